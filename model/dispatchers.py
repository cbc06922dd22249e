"""Dispatcher instances on the DM's node: their first event, resets of their event stream, the
scheduler's Remove/Create/merge requests, the close of a removing instance and the periodic
heartbeat (``downstreamadapter/dispatcher/basic_dispatcher.go``,
``downstreamadapter/eventcollector/dispatcher_stat.go``,
``downstreamadapter/dispatchermanager/helper.go`` ``SchedulerDispatcherRequestHandler``,
``dispatcher_manager_helper.go`` ``removeDispatcher``, ``prepareMergeDispatcher``,
``getDispatcherStatus``, ``task.go`` ``RemoveDispatcherTask``, ``HeartBeatTask``,
``dispatcher_manager.go`` ``newEventDispatchers``, ``cleanEventDispatcher``).
"""

from __future__ import annotations

from . import tracker
from .channels import pop, ready, send
from .dm import clear_recover_state, from_known_maintainer
from .maintainer import WAITS_FOR_WORKING, handles_events
from .state import (
    CMD_CREATE,
    CMD_REMOVE,
    HEARTBEAT,
    PHASE_ADD,
    RESTART,
    SCHED_A,
    SCHED_B,
    SPAN_LOCAL,
    STATUSES,
    Beat,
    Instance,
    Message,
    Working,
    build,
    maintainer_args,
    memo,
    put,
    schedule_of,
    spend,
    with_channels,
    with_dm,
    with_de,
    with_instances_channels,
    with_instances_epoch_base_ghost,
    with_instances_epoch_base_producer_budget,
    with_instances_producer_channels,
    with_lifecycles,
    with_live,
    with_pending,
    with_removing_restarted,
    with_working,
)


def status_beat(s, d: int, working: bool) -> Beat:
    """A status of D for the maintainer the DM knows now (a Working one carries the epoch its
    instance was created with: a field Go's TableSpanStatus lacks, read only by
    ``maintainer_dedup``)."""
    dm = s.dm
    # Beat(target, working, d, de, incarnation)
    return build(Beat, (dm.maintainer, working, d, s.instances[d].first_de if working else 0, dm.incarnation))


# --- first_event(d) --------------------------------------------------------------------------


def first_event_args(s, cfg):
    out = []
    for d, instance in enumerate(s.instances):
        if instance and not instance.working and not instance.removing:
            out.append((d,))
    return out


def push_working(s, cfg, d: int, channels: tuple) -> tuple:
    """``channels`` with a Working status of D's instance on ``statuses`` (for the status loop,
    which clears the recover state and forwards it) and on ``heartbeat`` (see
    ``model.abstractions`` for why both at once)."""
    instance = s.instances[d]
    channels = send(channels, STATUSES, Working(d=d, de=instance.first_de, lifecycle=instance.lifecycle), cfg)
    return send(channels, HEARTBEAT, status_beat(s, d, True), cfg)


def first_event(s, cfg, d):
    """An initializing instance receives its first event and becomes working: Working goes to
    ``statuses`` and ``heartbeat``, and from now on its DML is in the producer and may fail.
    (``BasicDispatcher.updateDispatcherStatusToWorking``)"""
    instance = s.instances[d]
    channels = push_working(s, cfg, d, s.channels)
    producer = s.producer
    if cfg.messages_per_instance:
        message = Message(de=instance.de, fails_left=cfg.messages_per_instance, live=True, lifecycle=instance.lifecycle)
        producer = put(producer, d, producer[d] + (message,))
    return with_instances_producer_channels(s, put(s.instances, d, with_working(instance, True)), producer, channels)


# --- dm_recv_schedule(from) ------------------------------------------------------------------


def dm_recv_schedule_args(s, cfg):
    channels = s.channels
    a, b = channels[SCHED_A], channels[SCHED_B]  # schedule_of(0), schedule_of(1)
    return maintainer_args(ready(a), ready(b)) if a or b else ()  # (mostly both empty)


def next_de(s, cfg, d: int) -> int:
    """The ``de`` of a new instance of D under ``epoch_policy``."""
    return s.epoch_base[d] + 1 if cfg.epoch_policy == "monotonic" else 1


def create(s, cfg, d: int):
    """A new instance of D (new lifecycle, ``de`` by policy, initializing), then ``ack``: an
    entry already ``removed`` is cleared with the reporter. (``newEventDispatchers``,
    ``onDispatcherRecreatedForRecover``, ``recoverTracker.ack``)"""
    lifecycle = s.ghost.lifecycles[d] + 1
    de = next_de(s, cfg, d)
    # Instance(de, first_de, working, blocked, removing, lifecycle, restarted)
    instance = build(Instance, (de, de, False, False, False, lifecycle, False))
    s = with_instances_epoch_base_ghost(s, put(s.instances, d, instance), put(s.epoch_base, d, de),
                                        with_lifecycles(s.ghost, put(s.ghost.lifecycles, d, lifecycle)))
    entry = s.dm.pending[d]
    if entry and entry.removed:
        s = clear_recover_state(s, d)
    return s


def dm_recv_schedule(s, cfg, m):
    """The head of ``schedule[m]`` (from any maintainer: the DM does not check the sender), once
    no response m sent before it is left (wire order, ``model.channels``).
    With ``schedule_checks_source`` a request from another maintainer than the one the DM knows
    (with ``incarnation_ids``: another incarnation) is dropped. Remove(D) marks a local instance ``removing`` (a second Remove is skipped); for a
    D not in the map it answers Stopped(D) at once. Create(D) creates a new instance unless D is in the map already. A
    merge request for a merged dispatcher that is already working pushes its Working status
    again. (``SchedulerDispatcherRequestHandler.Handle``, ``removeDispatcher``,
    ``prepareCreateDispatcher``, ``newEventDispatchers``, ``prepareMergeDispatcher``)"""
    c = schedule_of(m)
    command = s.channels[c][0]
    channels = pop(s.channels, c)  # (the state is built once, below, with what else changes)
    if cfg.schedule_checks_source and not from_known_maintainer(s, cfg, m, command.incarnation):
        return with_channels(s, channels)
    d = command.d
    instance = s.instances[d]
    if command.op == CMD_REMOVE:
        if not instance:
            return with_channels(s, send(channels, HEARTBEAT, status_beat(s, d, False), cfg))
        if instance.removing:
            return with_channels(s, channels)
        marked = with_removing_restarted(instance, True, instance.restarted or command.by_restart)
        return with_instances_channels(s, put(s.instances, d, marked), channels)
    if command.op == CMD_CREATE:
        return with_channels(s, channels) if instance else create(with_channels(s, channels), cfg, d)
    if instance and instance.working and not instance.removing:  # the merge is outdated: report Working
        return with_channels(s, push_working(s, cfg, d, channels))
    return with_channels(s, channels)


# --- dispatcher_close(d) ---------------------------------------------------------------------


def dispatcher_close_args(s, cfg):
    out = []
    for d, instance in enumerate(s.instances):
        if instance and instance.removing and (not instance.blocked or s.dm.pending[d]):
            out.append((d,))
    return out


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
    producer = s.producer
    messages = producer[d]
    if any(message.live for message in messages):  # its messages can no longer block an instance
        messages = tuple([with_live(message, False) if message.live else message for message in messages])
        producer = put(producer, d, messages)
    return with_instances_producer_channels(s, put(s.instances, d, ()), producer, channels)


# --- dm_heartbeat(d) -------------------------------------------------------------------------


def waits_for_working(operator) -> bool:
    """An operator that a Working(D) from the DM's node would finish."""
    if operator.kind == RESTART:
        return operator.phase == PHASE_ADD
    return operator.kind in WAITS_FOR_WORKING


def heartbeat_news(s, cfg, d: int):
    """What the periodic complete heartbeat tells the maintainer the DM knows about D that
    changes something there, or ``None``: D's Working status, when it would finish an operator
    there; with ``absent_on_stopped``, that D is not in the DM's map (it is not listed), when
    that maintainer holds D's span as replicating here with no operator. Every other status
    drives nothing the model holds, so the model does not send it."""
    maintainer = listener(s)
    return None if maintainer is None else news_of(s, cfg, d, maintainer.operators[d])


def listener(s):
    """The maintainer the DM knows, when it reads statuses (it handles events and is
    initialized), else ``None``."""
    maintainer = s.maintainers[s.dm.maintainer]
    return maintainer if handles_events(maintainer) and maintainer.initialized else None


def news_of(s, cfg, d: int, operator):
    """``heartbeat_news`` about D, the listener's operator for D being ``operator``."""
    instance = s.instances[d]
    if instance:
        useful = instance.working and operator and waits_for_working(operator)
        return status_beat(s, d, True) if useful else None
    if cfg.absent_on_stopped and not operator and s.spans[d] == SPAN_LOCAL:
        return status_beat(s, d, False)
    return None


@memo  # per operators tuple: the states share a few dozen
def finishing_on_working(operators: tuple) -> tuple:
    """The dispatchers whose operator here a Working status would finish."""
    return tuple(d for d, operator in enumerate(operators) if operator and waits_for_working(operator))


def dm_heartbeat_args(s, cfg):
    operators = s.maintainers[s.dm.maintainer].operators
    # without absent_on_stopped, only a Working of D that finishes D's operator is news: most
    # states have no such operator, and this test is far cheaper than asking news_of
    candidates = range(len(operators)) if cfg.absent_on_stopped else finishing_on_working(operators)
    if not candidates or listener(s) is None:
        return ()
    queued = s.channels[HEARTBEAT]
    out = []
    for d in candidates:
        beat = news_of(s, cfg, d, operators[d])
        if beat is not None and beat not in queued:
            out.append((d,))
    return out


def dm_heartbeat(s, cfg, d):
    """The periodic complete heartbeat (every 10 s) reports every dispatcher in the DM's map to
    the maintainer the DM knows now (a removing instance not yet closed still reports Working);
    the model sends the part of it that changes something there (``heartbeat_news``). It does
    not pass the status loop, so it clears no recover state.
    (``HeartBeatTask.Execute``, ``aggregateDispatcherHeartbeats``, ``getDispatcherStatus``)"""
    return with_channels(s, send(s.channels, HEARTBEAT, heartbeat_news(s, cfg, d), cfg))


# --- reset(d) --------------------------------------------------------------------------------


def reset_args(s, cfg):
    if s.budget.resets >= cfg.resets:
        return ()
    return [(d,) for d, instance in enumerate(s.instances) if instance and instance.working and not instance.removing]


def reset(s, cfg, d):
    """The event collector resets D's event stream (a sequence gap, a dropped event, a new
    event service): the instance's ``de`` goes up by one (``epoch_policy=monotonic``: past every
    ``de`` D ever had) and the events it writes from now on carry it; messages stamped before
    stay in the producer with the old one. (``dispatcherStat.reset``, ``doReset``)"""
    instance = s.instances[d]
    de = next_de(s, cfg, d) if cfg.epoch_policy == "monotonic" else instance.de + 1
    producer = s.producer
    if cfg.messages_per_instance:
        message = Message(de=de, fails_left=cfg.messages_per_instance, live=True, lifecycle=instance.lifecycle)
        producer = put(producer, d, producer[d] + (message,))
    return with_instances_epoch_base_producer_budget(s, put(s.instances, d, with_de(instance, de)),
                                                     put(s.epoch_base, d, de), producer, spend(s.budget, "resets"))
