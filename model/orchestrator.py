"""The dispatcher orchestrator on the DM's node (``DispatcherOrchestrator.handleBootstrapRequest``
in ``downstreamadapter/dispatcherorchestrator/dispatcher_orchestrator.go``).
"""

from __future__ import annotations

from . import tracker
from .channels import pop, ready
from .maintainer import finish_bootstrap, handles_events
from .state import BOOTSTRAP


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
    return ((),) if ready(s.channels[BOOTSTRAP]) else ()


def dm_recv_bootstrap(s, cfg):
    """The head of ``bootstrap``, once no response its node sent before it is left (wire order,
    ``model.channels``): the DM takes the sender as its maintainer ID when it differs
    (Go never touches the epoch: it only logs a mismatch); with a ``rebind_on`` policy that
    fires, the DM also takes the bootstrap's epoch and every pending entry is rebound
    (``me`` := new, ``handled`` := false); with ``rebind_held`` also the identities the
    recover loop built but has not added yet. The answer lists the dispatchers in the DM's map
    (removing ones too), from which the sender finishes its bootstrap and is ``initialized``;
    the model delivers the answer in this step (see ``model.abstractions``).
    (``handleBootstrapRequest``, ``SetMaintainerID``, ``createBootstrapResponse``; the rebind is
    the design's ``rebindMaintainerEpoch``)"""
    bootstrap = s.channels[BOOTSTRAP][0]
    dm = s.dm
    if should_rebind(cfg, dm, bootstrap):
        dm = dm._replace(epoch=bootstrap.epoch, pending=tracker.rebind(dm.pending, bootstrap.epoch))
        if cfg.rebind_held:  # identities built but not yet added: they would be added stale
            dm = dm._replace(held=tuple(identity._replace(me=bootstrap.epoch) for identity in dm.held))
    dm = dm._replace(maintainer=bootstrap.sender, incarnation=bootstrap.incarnation)
    s = s._replace(channels=pop(s.channels, BOOTSTRAP), dm=dm)
    sender = s.maintainers[bootstrap.sender]
    if handles_events(sender) and not sender.initialized:
        s = finish_bootstrap(s, cfg, bootstrap.sender)
    return s
