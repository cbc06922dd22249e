"""The dispatcher orchestrator on the DM's node (``DispatcherOrchestrator.handleBootstrapRequest``
in ``downstreamadapter/dispatcherorchestrator/dispatcher_orchestrator.go``).
"""

from __future__ import annotations

from . import tracker
from .maintainer import finish_bootstrap, handles_events
from .state import (BOOTSTRAP, put, with_channels, with_dm, with_epoch_pending, with_held,
                    with_maintainer_incarnation_term, with_me)


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


def first_from(bootstraps: tuple, m: int) -> int | None:
    """The index of the first bootstrap node ``m`` sent that is still on its way."""
    return next((k for k, bootstrap in enumerate(bootstraps) if bootstrap.sender == m), None)


def dm_recv_bootstrap_args(s, cfg):
    bootstraps = s.channels[BOOTSTRAP]
    out = []
    if bootstraps:  # (most states have none)
        for m in range(len(s.maintainers)):
            k = first_from(bootstraps, m)
            if k is not None and not bootstraps[k].waits:
                out.append((m,))
    return out


def dm_recv_bootstrap(s, cfg, m):
    """The first bootstrap from node ``m`` still on its way (each node's stream is ordered, two
    nodes' streams are not), once no response m sent before it is left (wire order,
    ``model.channels``). A stale copy of a maintainer that has stopped counts like any other: Go's
    orchestrator does not compare it with the maintainer it knows. The DM takes the sender as its maintainer ID when it differs
    (Go never touches the epoch: it only logs a mismatch); with a ``rebind_on`` policy that
    fires, the DM also takes the bootstrap's epoch and every pending entry is rebound
    (``me`` := new, ``handled`` := false); with ``rebind_held`` also the identities the
    recover loop built but has not added yet. The answer lists the dispatchers in the DM's map
    (removing ones too), from which the sender finishes its bootstrap and is ``initialized``;
    the model delivers the answer in this step (see ``model.abstractions``).
    (``handleBootstrapRequest``, ``SetMaintainerID``, ``createBootstrapResponse``; the rebind is
    the design's ``rebindMaintainerEpoch``)"""
    bootstraps = s.channels[BOOTSTRAP]
    k = first_from(bootstraps, m)
    bootstrap = bootstraps[k]
    s = with_channels(s, put(s.channels, BOOTSTRAP, bootstraps[:k] + bootstraps[k + 1:]))
    if cfg.bootstrap_term and bootstrap.term < s.dm.term:
        return s  # a copy from a maintainer that an earlier-answered one has replaced
    dm = s.dm
    if should_rebind(cfg, dm, bootstrap):
        dm = with_epoch_pending(dm, bootstrap.epoch, tracker.rebind(dm.pending, bootstrap.epoch))
        if cfg.rebind_held:  # identities built but not yet added: they would be added stale
            dm = with_held(dm, tuple([with_me(identity, bootstrap.epoch) for identity in dm.held]))
    s = with_dm(s, with_maintainer_incarnation_term(dm, bootstrap.sender, bootstrap.incarnation, bootstrap.term))
    sender = s.maintainers[bootstrap.sender]
    if handles_events(sender) and not sender.initialized:
        s = finish_bootstrap(s, cfg, bootstrap.sender)
    return s
