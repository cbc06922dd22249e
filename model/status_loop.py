"""The DM's status loop (``DispatcherManager.collectComponentStatusWhenChanged``): it reads
``statuses`` and, for a Working status, clears the dispatcher's recover state
(``onDispatcherStatusForRecover``).

In Go the same loop then forwards the status to the maintainer; the model lets
``first_event`` put the status on ``heartbeat`` directly, which also covers the periodic
heartbeat that carries it independently of this loop (see ``model.abstractions``).
"""

from __future__ import annotations

from .channels import pop
from .dm import clear_recover_state
from .state import STATUSES, with_channels


def dm_status_args(s, cfg):
    statuses = s.channels[STATUSES]
    return ((statuses[0].d,),) if statuses else ()


def dm_status(s, cfg, d):
    """The head of ``statuses``, a Working(D): with ``working_clears=any`` (Go) it removes
    ``pending[D]`` with no check of instance, identity or ``removed``, and clears the reporter
    when an entry was there; ``matching_lifecycle`` only when the entry was created by a
    failure of the instance that sent the status; ``never`` clears nothing.
    (``collectComponentStatusWhenChanged``, ``onDispatcherStatusForRecover``)"""
    status = s.channels[STATUSES][0]
    s = with_channels(s, pop(s.channels, STATUSES))
    entry = s.dm.pending[d]
    if not entry or cfg.working_clears == "never":
        return s
    # the one place protocol logic reads a ghost: an idealised check, documented in model.state
    if cfg.working_clears == "matching_lifecycle" and entry.lifecycle != status.lifecycle:
        return s
    if cfg.working_clears == "newer_epoch" and status.de <= entry.de:
        return s  # the status of the failed instance itself (or older): it proves nothing
    return clear_recover_state(s, d)
