"""Dispatcher instances on the DM's node: their first event, the scheduler's Remove/Create
requests, and the close of a removing instance
(``downstreamadapter/dispatcher/basic_dispatcher.go``,
``downstreamadapter/dispatchermanager/helper.go`` ``SchedulerDispatcherRequestHandler``,
``dispatcher_manager_helper.go`` ``removeDispatcher``, ``task.go`` ``RemoveDispatcherTask``,
``dispatcher_manager.go`` ``newEventDispatchers``, ``cleanEventDispatcher``).
"""

from __future__ import annotations

from . import tracker
from .channels import pop, send
from .dm import clear_recover_state
from .state import (
    CMD_REMOVE,
    HEARTBEAT,
    STATUSES,
    Beat,
    Instance,
    Message,
    Working,
    maintainer_args,
    put,
    schedule_of,
    with_channels,
    with_dm,
    with_instances,
    with_pending,
    with_producer,
)


def status_beat(s, d: int, working: bool) -> Beat:
    """A status of D for the maintainer the DM knows now."""
    return Beat(target=s.dm.maintainer, working=working, d=d)


# --- first_event(d) --------------------------------------------------------------------------


def first_event_args(s, cfg):
    for d, instance in enumerate(s.instances):
        if instance and not instance.working and not instance.removing:
            yield (d,)


def first_event(s, cfg, d):
    """An initializing instance receives its first event and becomes working: Working goes to
    ``statuses`` and ``heartbeat``, and from now on its DML is in the producer and may fail.
    (``BasicDispatcher.updateDispatcherStatusToWorking``)"""
    instance = s.instances[d]
    channels = send(s.channels, STATUSES, Working(d=d, de=instance.de, lifecycle=instance.lifecycle), cfg)
    channels = channels and send(channels, HEARTBEAT, status_beat(s, d, True), cfg)
    if channels is None:
        return None
    producer = s.producer
    if cfg.messages_per_instance:
        message = Message(de=instance.de, fails_left=cfg.messages_per_instance, live=True, lifecycle=instance.lifecycle)
        producer = put(producer, d, producer[d] + (message,))
    return s._replace(instances=put(s.instances, d, instance._replace(working=True)), producer=producer, channels=channels)


# --- dm_recv_schedule(from) ------------------------------------------------------------------


def dm_recv_schedule_args(s, cfg):
    channels = s.channels
    return maintainer_args(channels[schedule_of(0)], channels[schedule_of(1)])


def next_de(s, cfg, d: int) -> int:
    """The ``de`` of a new instance of D under ``epoch_policy``."""
    return s.epoch_base[d] + 1 if cfg.epoch_policy == "monotonic" else 1


def create(s, cfg, d: int):
    """A new instance of D (new lifecycle, ``de`` by policy, initializing), then ``ack``: an
    entry already ``removed`` is cleared with the reporter. (``newEventDispatchers``,
    ``onDispatcherRecreatedForRecover``, ``recoverTracker.ack``)"""
    lifecycle = s.ghost.lifecycles[d] + 1
    de = next_de(s, cfg, d)
    instance = Instance(de=de, working=False, blocked=False, removing=False, lifecycle=lifecycle, restarted=False)
    s = s._replace(
        instances=put(s.instances, d, instance),
        epoch_base=put(s.epoch_base, d, de),
        ghost=s.ghost._replace(lifecycles=put(s.ghost.lifecycles, d, lifecycle)),
    )
    entry = s.dm.pending[d]
    if entry and entry.removed:
        s = clear_recover_state(s, d)
    return s


def dm_recv_schedule(s, cfg, m):
    """The head of ``schedule[m]`` (from any maintainer: the DM does not check the sender).
    Remove(D) marks a local instance ``removing`` (a second Remove is skipped); for a D not in
    the map it answers Stopped(D) at once. Create(D) creates a new instance unless D is in the
    map already. (``SchedulerDispatcherRequestHandler.Handle``, ``removeDispatcher``,
    ``prepareCreateDispatcher``, ``newEventDispatchers``)"""
    c = schedule_of(m)
    command = s.channels[c][0]
    channels = pop(s.channels, c)
    d = command.d
    instance = s.instances[d]
    if command.op == CMD_REMOVE:
        if not instance:
            channels = send(channels, HEARTBEAT, status_beat(s, d, False), cfg)
            return None if channels is None else with_channels(s, channels)
        marked = instance._replace(removing=True, restarted=instance.restarted or command.by_restart)
        return with_instances(with_channels(s, channels), put(s.instances, d, marked))
    s = with_channels(s, channels)
    return s if instance else create(s, cfg, d)


# --- dispatcher_close(d) ---------------------------------------------------------------------


def dispatcher_close_args(s, cfg):
    for d, instance in enumerate(s.instances):
        if instance and instance.removing and (not instance.blocked or s.dm.pending[d]):
            yield (d,)


def dispatcher_close(s, cfg, d):
    """A removing instance closes: normally only when no message of it is stuck; by force when
    D is pending. A pending entry is marked ``removed``; otherwise the reporter forgets D. The
    instance leaves the map and Stopped(D) goes to the maintainer.
    (``RemoveDispatcherTask.Execute``, ``BasicDispatcher.TryClose``,
    ``shouldForceTryCloseOnRemove``, ``getDispatcherStatus``, ``cleanEventDispatcher``,
    ``onDispatcherRemovedForRecover``)"""
    channels = send(s.channels, HEARTBEAT, status_beat(s, d, False), cfg)
    if channels is None:
        return None
    if s.dm.pending[d]:
        s = with_dm(s, with_pending(s.dm, tracker.mark_removed(s.dm.pending, d)))
    else:
        s = clear_recover_state(s, d)
    messages = s.producer[d]
    if any(message.live for message in messages):  # its messages can no longer block an instance
        messages = tuple([message._replace(live=False) if message.live else message for message in messages])
        s = with_producer(s, put(s.producer, d, messages))
    return with_channels(with_instances(s, put(s.instances, d, ())), channels)
