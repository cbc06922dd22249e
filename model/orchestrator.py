"""The dispatcher orchestrator on the DM's node (``DispatcherOrchestrator.handleBootstrapRequest``
in ``downstreamadapter/dispatcherorchestrator/dispatcher_orchestrator.go``).
"""

from __future__ import annotations

from . import tracker
from .channels import pop
from .state import ALIVE, BOOTSTRAP, REMOVING, put


def should_rebind(cfg, dm, bootstrap) -> bool:
    """Whether the ``rebind_on`` knob rebinds pending entries on this bootstrap."""
    policy = cfg.rebind_on
    if policy == "every_bootstrap":
        return True
    if policy == "maintainer_change":
        return bootstrap.sender != dm.maintainer
    if policy == "epoch_change":
        return bootstrap.epoch != dm.epoch
    return False


def dm_recv_bootstrap_args(s, cfg):
    return ((),) if s.channels[BOOTSTRAP] else ()


def dm_recv_bootstrap(s, cfg):
    """The head of ``bootstrap``: the DM takes the sender as its maintainer ID when it differs
    (Go never touches the epoch: it only logs a mismatch); with a ``rebind_on`` policy that
    fires, the DM also takes the bootstrap's epoch and every pending entry is rebound
    (``me`` := new, ``handled`` := false); with ``rebind_held`` also the identities the
    recover loop built but has not added yet. The answer makes the sender ``initialized``.
    (``handleBootstrapRequest``, ``SetMaintainerID``; the rebind is the design's
    ``rebindMaintainerEpoch``)"""
    bootstrap = s.channels[BOOTSTRAP][0]
    dm = s.dm
    if should_rebind(cfg, dm, bootstrap):
        dm = dm._replace(epoch=bootstrap.epoch, pending=tracker.rebind(dm.pending, bootstrap.epoch))
        if cfg.rebind_held:  # identities built but not yet added: they would be added stale
            dm = dm._replace(held=tuple(identity._replace(me=bootstrap.epoch) for identity in dm.held))
    dm = dm._replace(maintainer=bootstrap.sender)
    maintainers = s.maintainers
    sender = maintainers[bootstrap.sender]
    if sender.status in (ALIVE, REMOVING) and not sender.initialized:
        maintainers = put(maintainers, bootstrap.sender, sender._replace(initialized=True))
    return s._replace(channels=pop(s.channels, BOOTSTRAP), dm=dm, maintainers=maintainers)
