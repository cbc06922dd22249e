"""The Kafka sink and its reporter (``pkg/sink/recoverable/reporter.go``,
``pkg/sink/kafka/sarama_async_producer.go``).

The reporter keeps ``reported: D -> max de enqueued`` (``state.reported``, 0 = none). The
producer keeps, per dispatcher, the messages of each instance that may still fail
(``state.producer``): an instance gets ``messages_per_instance`` of them when it starts working
(DML reaches the sink only after its first event), and they stay after the instance closes, so a
closed instance's message can still fail later (finding N5).
"""

from __future__ import annotations

from .channels import has_room, push
from .state import (EVENTS, SINK_ERROR, Report, put, spend, with_accepted_accepted_de, with_blocked, with_fails_left,
                    with_fallback, with_producer_instances_budget, with_reported_channels_ghost)


def normalize(batch: tuple) -> tuple:
    """One entry per dispatcher, with the max ``de`` the batch holds for it, in first-seen
    order (``Reporter.Report``'s per-call dedupe)."""
    merged: list[Report] = []
    for entry in batch:
        for i, kept in enumerate(merged):
            if kept.d == entry.d:
                if entry.de > kept.de:
                    merged[i] = entry
                break
        else:
            merged.append(entry)
    return tuple(merged)


def candidates(reported: tuple, batch: tuple) -> tuple:
    """The entries of ``batch`` that still need an event: ``de`` above the max already
    enqueued for that dispatcher (``Reporter.Report``)."""
    return tuple(entry for entry in normalize(batch) if entry.de > reported[entry.d])


def record(reported: tuple, accepted: tuple) -> tuple:
    """``reported`` after the event holding ``accepted`` was enqueued."""
    for entry in accepted:
        reported = put(reported, entry.d, entry.de)
    return reported


def clear(reported: tuple, d: int) -> tuple:
    """``Reporter.Clear``: the next report of ``d`` counts as a new lifecycle."""
    return put(reported, d, 0) if reported[d] else reported


def report(s, cfg, batch: tuple):
    """``Reporter.Report(batch)`` on state ``s``: deduped entries are swallowed; the rest go to
    ``events`` as one event, or, when ``events`` is full, the error takes the sink's ordinary
    error path: the changefeed fallback ``sink_error``."""
    accepted = candidates(s.reported, batch)
    if not accepted:
        return s
    if not has_room(s.channels, EVENTS, cfg):
        return with_fallback(s, SINK_ERROR)
    accepted_by, accepted_de = s.ghost.accepted, s.ghost.accepted_de
    for entry in accepted:
        accepted_by = put(accepted_by, entry.d, entry.lifecycle)
        accepted_de = put(accepted_de, entry.d, entry.de)
    return with_reported_channels_ghost(s, record(s.reported, accepted), push(s.channels, EVENTS, accepted),
                                        with_accepted_accepted_de(s.ghost, accepted_by, accepted_de))


# --- dml_fail(d, lifecycle) ------------------------------------------------------------------


def dml_fail_args(s, cfg):
    """Internal args ``(d, i)``: message ``i`` of ``producer[d]`` (the label shows its
    lifecycle), while the behaviour's ``failures`` bound is not used up."""
    if s.budget.failures >= cfg.failures:
        return ()
    return [(d, i) for d, messages in enumerate(s.producer) for i in range(len(messages))]


def dml_fail(s, cfg, d, i):
    """A message fails with a transient Kafka error: its callback never runs, so its instance,
    if still in the map, is blocked; the reporter gets ``[(D, de of the message)]``.
    (``AsyncRunCallback`` error path, ``Reporter.Report``)"""
    message = s.producer[d][i]
    left = message.fails_left - 1
    messages = s.producer[d]
    messages = put(messages, i, with_fails_left(message, left)) if left else messages[:i] + messages[i + 1 :]
    instances = s.instances
    if message.live:
        instances = put(instances, d, with_blocked(instances[d], True))
    budget = spend(s.budget, "failures")
    s = with_producer_instances_budget(s, put(s.producer, d, messages), instances, budget)
    return report(s, cfg, (Report(d=d, de=message.de, lifecycle=message.lifecycle),))
