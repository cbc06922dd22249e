"""The dispatcher manager's recover loop (``DispatcherManager.collectRecoverableEvents`` in
``downstreamadapter/dispatchermanager/dispatcher_manager.go``) and the response handler.

One goroutine runs ``dm_take_event``, ``dm_add_pending``, ``dm_resend_tick`` and
``dm_timeout_tick``: while ``dm.held`` is non-empty (a request was built and its
``tracker.add`` is still to come) only ``dm_add_pending`` of them is enabled. The response
handler (``dm_recv_response``) runs on the heartbeat collector's goroutine, so it interleaves
freely with the loop.

``pending_before_enqueue`` (a knob) reorders the loop's two steps: off (Go), ``dm_take_event``
enqueues the request and ``dm_add_pending`` writes the entry; on, ``dm_take_event`` only builds
the identities and ``dm_add_pending`` writes the entry and then enqueues, in one step.
"""

from __future__ import annotations

from itertools import permutations

from . import sink, tracker
from .channels import pop, response_gone, send
from .maintainer import handles_events
from .state import (
    ACCEPTED,
    EVENTS,
    FAILED,
    REQUESTS,
    RESP_A,
    RESP_B,
    TIMEOUT,
    TO_A,
    TO_B,
    Identity,
    Request,
    build,
    maintainer_args,
    memo,
    responses_of,
    with_channels,
    with_dm,
    with_dm_reported_channels,
    with_fallback,
    with_held,
    with_pending,
    with_pending_held,
    with_reported,
)

# --- helpers shared with the other DM goroutines ----------------------------------------------


def is_local(s, d: int) -> bool:
    """``isLocalRecoverDispatcher``: D is in the DM's dispatcher map."""
    return bool(s.instances[d])


def clear_recover_state(s, d: int):
    """``clearRecoverState``: drop the pending entry and the reporter's memory of D."""
    pending, reported = cleared(s.dm.pending, s.reported, d)
    return with_recover_state(s, pending, reported)


def cleared(pending: tuple, reported: tuple, d: int) -> tuple:
    """``clearRecoverState`` on the tracker's entries and the reporter's memory: both, after."""
    return tracker.remove(pending, d), sink.clear(reported, d)


def with_recover_state(s, pending: tuple, reported: tuple):
    """``s`` with these tracker entries and reporter memory (what did not change is not rebuilt)."""
    if pending != s.dm.pending:  # (not ``is``: a cached result may be an equal copy)
        s = with_dm(s, with_pending(s.dm, pending))
    return s if reported == s.reported else with_reported(s, reported)


def from_known_maintainer(s, cfg, m: int, incarnation: int) -> bool:
    """The sender is the maintainer the DM knows: ``msg.From`` is its maintainer ID and, with
    ``incarnation_ids``, the sender's incarnation is the one whose bootstrap it took last."""
    return m == s.dm.maintainer and (not cfg.incarnation_ids or incarnation == s.dm.incarnation)


def enqueue(s, cfg, identities: tuple):
    """``enqueueRecoverDispatcherRequest``: one request to the maintainer ID the DM knows now;
    ``None`` while ``requests`` is full (the loop blocks on the send)."""
    channels = send(s.channels, REQUESTS, build(Request, (s.dm.maintainer, identities)), cfg)  # (target, identities)
    return None if channels is None else with_channels(s, channels)


# --- dm_take_event ---------------------------------------------------------------------------


def dm_take_event_args(s, cfg):
    return ((),) if s.channels[EVENTS] and not s.dm.held else ()


def dm_take_event(s, cfg):
    """The loop takes the head of ``events``: non-local D are cleared (pending and reporter),
    local ones deduped to their max ``de``, pending ones dropped (with ``drop_stale_reports``
    also a report older than the local instance: a ``de`` below the one it was created with,
    since a reset moves its current ``de`` past its own older messages); the rest become identities
    with the DM's current maintainer epoch and are enqueued as one request (or, with
    ``pending_before_enqueue``, held for ``dm_add_pending``).
    (``collectRecoverableEvents``, ``reconcileRecoverDispatchers``, ``filterNonPending``,
    ``newRecoverIdentities``, ``enqueueRecoverDispatcherRequest``)"""
    event = s.channels[EVENTS][0]
    s = with_channels(s, pop(s.channels, EVENTS))
    local = []
    for entry in event:
        if not is_local(s, entry.d):
            s = clear_recover_state(s, entry.d)
        elif not (cfg.drop_stale_reports and entry.de < s.instances[entry.d].first_de):
            local.append(entry)  # (with drop_stale_reports, a closed instance's late failure is dropped)
    to_recover = [entry for entry in sink.normalize(tuple(local)) if not s.dm.pending[entry.d]]
    if not to_recover:
        return s
    # Identity(d, de, me, lifecycle)
    identities = tuple([build(Identity, (e.d, e.de, s.dm.epoch, e.lifecycle)) for e in to_recover])
    if not cfg.pending_before_enqueue:
        s = enqueue(s, cfg, identities)
        if s is None:
            return None
    return with_dm(s, with_held(s.dm, identities))


# --- dm_add_pending --------------------------------------------------------------------------


def dm_add_pending_args(s, cfg):
    return ((),) if s.dm.held else ()


def dm_add_pending(s, cfg):
    """``recoverTracker.add`` for the identities the loop just built (D already pending is
    skipped); with ``pending_before_enqueue`` the request is enqueued right after.
    (``recoverTracker.add``, ``enqueueRecoverDispatcherRequest``)"""
    held = s.dm.held
    if cfg.add_checks_local:  # the instance may have been removed since dm_take_event looked
        for identity in held:
            if not is_local(s, identity.d):
                s = clear_recover_state(s, identity.d)
        held = tuple(identity for identity in held if is_local(s, identity.d))
    s = with_dm(s, with_pending_held(s.dm, tracker.add(s.dm.pending, held), ()))
    if cfg.pending_before_enqueue and held:
        s = enqueue(s, cfg, held)
    return s


# --- dm_resend_tick --------------------------------------------------------------------------


def round_trip_in_flight(s) -> bool:
    """A recover request or response is queued or in transit somewhere."""
    channels = s.channels
    return bool(channels[REQUESTS] or channels[TO_A] or channels[TO_B] or channels[RESP_A] or channels[RESP_B])


def resendable(pending: tuple, instances: tuple) -> list:
    """The dispatchers whose entry ``dm_resend_tick`` resends: local (in ``instances``) and
    not ``handled``."""
    return [d for d, entry in enumerate(pending) if entry and not entry.handled and instances[d]]


def dm_resend_tick_args(s, cfg):
    # slow_ticks: the 5 s resend interval is taken to be longer than a round trip
    if s.dm.held or (cfg.slow_ticks and round_trip_in_flight(s)):
        return ()
    batch = resendable(s.dm.pending, s.instances) if cfg.resend_order == "any" else ()
    if len(batch) < 2:
        return ((),)  # ascending dispatcher order (resend_order=sorted, or nothing to order)
    return [(order,) for order in permutations(batch)]  # Go ranges over a map: any order may come out


def dm_resend_tick(s, cfg, order=None):
    """The resend ticker: every pending identity of a local D not yet ``handled`` is resent in
    one request to the current maintainer ID with the ``me`` stored in the entry; a non-local D
    whose entry is ``removed`` is cleared (pending and reporter); a non-local one not removed
    is skipped. With nothing to do the state is unchanged (a self-loop).
    ``order`` (``resend_order=any`` only) lists the resent dispatchers in the order of the
    request; by default it is ascending.
    (``resendPendingRecoverRequests``, ``reconcileRecoverIdentities``,
    ``clearSupersededRecoverState``, ``filterResendableIdentities``)"""
    pending, reported, resend = resend_plan(s.dm.pending, s.reported, s.instances, order)
    s = with_recover_state(s, pending, reported)
    return enqueue(s, cfg, resend) if resend else s


@memo  # the states share few of these values: hashing them is cheaper than the loops
def resend_plan(pending: tuple, reported: tuple, instances: tuple, order) -> tuple:
    """``dm_resend_tick`` on the tracker's entries and the reporter's memory: both after the
    tick, and the identities it resends."""
    for d, entry in enumerate(pending):
        if entry and entry.removed and not instances[d]:  # not is_local
            pending, reported = cleared(pending, reported, d)
    resend = tuple([identity_of(pending[d], d) for d in (resendable(pending, instances) if order is None else order)])
    return pending, reported, resend


def identity_of(entry, d: int):
    """The identity a pending entry of D is resent with."""
    return build(Identity, (d, entry.de, entry.me, entry.lifecycle))  # (d, de, me, lifecycle)


# --- dm_timeout_tick -------------------------------------------------------------------------


def dm_timeout_tick_args(s, cfg):
    return ((),) if cfg.timeout_fuse and not s.dm.held and any(s.dm.pending) and error_delivered(s) else ()


def error_delivered(s) -> bool:
    """Whether an error the DM raises reaches the coordinator: the DM reports it in its
    heartbeats to the maintainer ID it knows, and only a maintainer running on that node passes
    it on (a node without one drops it). (``handleError``, ``HeartBeatCollector``,
    ``Manager.dispatcherMaintainerMessage``)"""
    return handles_events(s.maintainers[s.dm.maintainer])


def dm_timeout_tick(s, cfg):
    """The timeout ticker finds an expired entry and raises the changefeed fallback
    ``timeout``. Time is abstract: any pending entry may have expired. The error travels in the
    DM's heartbeats to the maintainer it knows, every 5 s, so it takes effect once that node runs
    a maintainer: the step waits until then (:func:`error_delivered`); a DM bound to a node that
    never runs one again (N10) never ends in the fuse.
    (``reportRecoverPendingTimeout``, ``recoverTracker.takeExpired``, ``handleError``)"""
    return with_fallback(s, TIMEOUT)


# --- dm_recv_response(from) ------------------------------------------------------------------


def dm_recv_response_args(s, cfg):
    channels = s.channels
    return maintainer_args(channels[RESP_A], channels[RESP_B])  # responses_of(0), responses_of(1)


def dm_recv_response(s, cfg, m):
    """The head of ``responses[m]``, entry by entry: ACCEPTED, RUNNING and SUPERSEDED mark the
    matching entry ``handled``; FAILED removes the matching entry and clears the reporter. With
    ``check_source`` a response from another maintainer than the current one (with
    ``incarnation_ids``: another incarnation) is dropped.
    (``HeartBeatCollector.RecvMessages``, ``onRecoverDispatcherResponse``)"""
    c = responses_of(m)
    response = s.channels[c][0]
    channels = response_gone(pop(s.channels, c), m)
    if cfg.check_source and not from_known_maintainer(s, cfg, response.sender, response.incarnation):
        return with_channels(s, channels)
    dm = s.dm
    pending, reported = answered(dm.pending, s.reported, response.answers, cfg.handled_on)
    return with_dm_reported_channels(s, dm if pending == dm.pending else with_pending(dm, pending), reported, channels)


@memo  # the states share few of these values: hashing them is cheaper than the loop
def answered(pending: tuple, reported: tuple, answers: tuple, handled_on: str) -> tuple:
    """The tracker's entries and the reporter's memory after the DM applies ``answers``."""
    for answer in answers:
        identity = answer.identity
        if answer.state == FAILED:
            if tracker.removable_by(pending, identity):
                pending, reported = cleared(pending, reported, identity.d)
        elif answer.state == ACCEPTED or handled_on == "any_answer":
            pending = tracker.mark_handled(pending, identity)
    return pending, reported
