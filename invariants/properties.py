"""The properties of the protocol (``docs/protocol.md``, "Properties"), as predicates over
the model's states and steps, wrapped in the engine's property kinds.

Requirements are those of the design's requirements document: R1-R10 and acceptance criteria
AC1-AC5.

Fairness (liveness only). The DM's loops, the collector and the maintainer are goroutines that
keep running: a step they can take stays possible until they take it, so their actions are
fair. Readers of a channel are **strongly** fair: a lossy channel may drop any one message, but
not every message of an endless stream of resends (fair delivery); ticks, re-sends and internal
steps are **weakly** fair (a ticker keeps firing). ``first_event`` is weakly fair: a new
dispatcher keeps receiving resolved-ts events. ``stop_maintainer`` is weakly fair: once a move
began, the coordinator re-sends its remove until the origin stops. The environment's other
actions (a DML failure, a reset, a maintainer move or crash, another operator, a loss, a
duplicate) are not fair: they may never happen.
"""

from __future__ import annotations

from explorer import Invariant, StepProperty, leads_to
from explorer.properties import Failed, Negation
from model.state import (
    ALIVE,
    BOOTSTRAP,
    MAINTAINERS,
    REMOVING,
    REMOVING_KINDS,
    RESTART,
    SPAN_LOCAL,
    PHASE_REMOTE,
    CMD_REMOVE,
    EVENTS,
    dispatcher_name,
    responses_of,
    schedule_of,
)

CHANNEL_READERS = ("dm_take_event", "dm_status", "dm_recv_response", "dm_recv_schedule",
                   "dm_recv_bootstrap", "hbc_send", "maintainer_recv_request", "maintainer_recv_status")
# stop_maintainer: once a move began, the coordinator re-sends its remove until the origin stops
LOOP_STEPS = ("dm_add_pending", "dm_resend_tick", "dm_timeout_tick", "dispatcher_close", "first_event",
              "operator_send", "dm_heartbeat", "bootstrap_resend", "stop_maintainer")
FAIRNESS = {name: "strong" for name in CHANNEL_READERS} | {name: "weak" for name in LOOP_STEPS}


# -- state helpers ---------------------------------------------------------------------------
def blocked(state, d: int) -> bool:
    inst = state.instances[d]
    return bool(inst) and inst.blocked


def dispatcher_index(name: str) -> int:
    return int(name[1:]) - 1


def residual(state, d: int) -> bool:
    """A pending entry for a D that is no longer on this node and was never marked removed:
    nothing will clear it but the fuse."""
    entry = state.dm.pending[d]
    return bool(entry) and not state.instances[d] and not entry.removed


def served(state, d: int) -> bool:
    """What a user means by "D recovered": D has a healthy (not blocked) instance on the DM's
    node, or its span is owned elsewhere (moved away, split or merged into other spans, or
    re-added under a new dispatcher ID), or a changefeed fallback restarts everything."""
    instance = state.instances[d]
    if bool(state.fallback) or (bool(instance) and not instance.blocked) or state.spans[d] != SPAN_LOCAL:
        return True
    return Failed(lambda: _unserved(instance, dispatcher_name(d)), "served")


def _unserved(instance, name: str) -> str:
    here = f"{name}'s instance (lifecycle {instance.lifecycle}) is blocked" if instance else f"{name} has no instance"
    return f"{here}, spans.{name} = local, no fallback"


def maintainer_index(action) -> int:
    return MAINTAINERS.index(action.arg("from") if action.arg("from") is not None else action.arg("m"))


# -- liveness --------------------------------------------------------------------------------
# The goals below are evaluated on every state (marks for the liveness check): each gives its
# reason as a function, formatted only when a counterexample is explained.
def _eventually(name: str, d: int, goal, description: str):
    """``not goal(s, d) ~> goal(s, d)`` for dispatcher ``d`` (that is, ``[]<>goal``); the search
    evaluates ``goal`` once a state for both sides (``Negation``)."""
    def reached(s):
        return goal(s, d)

    return leads_to(f"{name}[d{d + 1}]", Negation(reached), reached, FAIRNESS, description)


def no_silent_stall(d: int):
    """R10, R4, AC5: whenever ``d`` is not served (a blocked instance, or no instance while its
    span is still this node's), it is eventually served again: a healthy instance, its span
    owned elsewhere, or a changefeed fallback. Checked with the fuse on. A blocked instance
    that is closed and never comes back does not count."""
    return _eventually("no_silent_stall", d, served,
                       "a dispatcher that is not served is eventually served again, or a fallback is raised")


def recovers_without_fuse(d: int):
    """R6 (the timeout is only a last fuse), R7, AC2, AC4: with the fuse off and fair delivery,
    ``d`` is eventually served again by the restart path alone (or a determinate fallback other
    than the timeout ends the changefeed: FAILED, a send or sink failure). The same formula as
    ``no_silent_stall``; the difference is the configuration it is checked on (the fuse off),
    which leaves the restart path alone to satisfy it."""
    return _eventually("recovers_without_fuse", d, served,
                       "without the fuse, the restart path alone serves the dispatcher again")


def restart_running(state, d: int) -> bool:
    """A maintainer that handles events holds a restart operator for D on the DM's node (a
    restart of a span living elsewhere is not followed by the model)."""
    for maintainer in state.maintainers:
        if maintainer.status in (ALIVE, REMOVING):
            operator = maintainer.operators[d]
            if operator and operator.kind == RESTART and operator.phase != PHASE_REMOTE:
                return True
    return False


def restart_ends(d: int):
    """R4: a restart operator for ``d`` eventually ends (finishes, or vanishes with its
    maintainer), or a fallback is raised. While it exists it pins the changefeed's checkpoint
    (``BlockTsForward``) and answers RUNNING to every request for ``d``: a restart stuck on a
    Remove the DM never applies stalls the whole changefeed."""
    return _eventually("restart_ends", d, restart_over, "a restart operator eventually ends")


def restart_over(state, d: int):
    """No restart operator for ``d`` runs, or a fallback is raised."""
    if state.fallback or not restart_running(state, d):
        return True
    return Failed(lambda: f"a maintainer still runs a restart operator for {dispatcher_name(d)}, no fallback",
                  "restart over")


def pending_resolves(d: int):
    """R6, AC4: with the fuse off, a pending entry of ``d`` is eventually cleared by the protocol
    (or a determinate fallback ends the changefeed). An entry nothing clears ends only in the
    fuse: with the fuse on, a changefeed-level restart for nothing (a stale report of a healthy
    instance that every maintainer answers SUPERSEDED, say)."""
    return _eventually("pending_resolves", d, pending_cleared, "a pending entry is eventually cleared without the fuse")


def pending_cleared(state, d: int):
    """``d`` has no pending entry, or a fallback is raised."""
    entry = state.dm.pending[d]
    if state.fallback or not entry:
        return True
    name = dispatcher_name(d)
    return Failed(lambda: f"dm.pending.{name} is set (lifecycle {entry.lifecycle}, "
                          f"handled = {str(entry.handled).lower()}), no fallback", "pending cleared")


def no_residual_pending(d: int):
    """R6, R4, AC4: with the fuse off, an entry whose dispatcher left this node without being
    marked removed is eventually cleared (or the dispatcher is back, or a fallback is raised):
    no entry lingers with nothing but the timeout to end it."""
    return _eventually("no_residual_pending", d, residual_gone,
                       "a pending entry of a dispatcher gone from this node does not linger")


def residual_gone(state, d: int):
    """``d`` has no residual entry (see :func:`residual`), or a fallback is raised."""
    if state.fallback or not residual(state, d):
        return True
    name = dispatcher_name(d)
    return Failed(lambda: f"dm.pending.{name} stays while {name} has no instance here and the entry is not marked "
                          f"removed, no fallback", "no residual entry")


# -- step properties -------------------------------------------------------------------------
def _response(state, action):
    """The response ``dm_recv_response`` consumes in ``state``."""
    return state.channels[responses_of(maintainer_index(action))][0]


def from_current_incarnation(state, response) -> bool:
    """The response comes from the maintainer the DM knows now: its node, and the incarnation
    whose bootstrap the DM took last (node IDs repeat across incarnations: A, then B, then A
    again). A maintainer that stopped while the DM still knows it counts as current: the DM
    cannot know better until the next bootstrap, which rebinds."""
    return response.sender == state.dm.maintainer and response.incarnation == state.dm.incarnation


def stale_response_harmless_step(state, action, nxt) -> bool:
    """R8, AC3: a response from a maintainer other than the DM's current one (another node, or
    an earlier incarnation on the same node), or for another lifecycle than the pending entry's,
    neither removes the entry nor sets ``handled``."""
    if action.name != "dm_recv_response":
        return True
    response = _response(state, action)
    current = from_current_incarnation(state, response)
    for d in {a.identity.d for a in response.answers}:
        entry = state.dm.pending[d]
        if not entry:
            continue
        if current and any(a.identity.d == d and a.identity.lifecycle == entry.lifecycle for a in response.answers):
            continue
        after = nxt.dm.pending[d]
        if not after or (after.handled and not entry.handled):
            return _stale_acts(state, response, current, entry, d, removed=not after)
    return True


def _stale_acts(state, response, current: bool, entry, d: int, removed: bool) -> Failed:
    name = dispatcher_name(d)
    effect = f"removes dm.pending.{name}" if removed else f"sets dm.pending.{name}.handled = true"
    if not current:
        return Failed(f"a response from {MAINTAINERS[response.sender]} (incarnation {response.incarnation}) "
                      f"{effect} while the DM knows {MAINTAINERS[state.dm.maintainer]} (incarnation "
                      f"{state.dm.incarnation})", "a stale maintainer's answer acts")
    lifecycles = sorted({a.identity.lifecycle for a in response.answers if a.identity.d == d})
    return Failed(f"an answer for lifecycle {', '.join(map(str, lifecycles))} of {name} {effect}, whose "
                  f"entry is lifecycle {entry.lifecycle}", "another lifecycle's answer acts")


def identity_unique_step(state, action, nxt) -> bool:
    """R9, M3: whenever the DM matches an identity against a pending entry (a response's
    answer), both belong to the same lifecycle of the dispatcher."""
    if action.name != "dm_recv_response":
        return True
    for answer in _response(state, action).answers:
        identity, entry = answer.identity, state.dm.pending[answer.identity.d]
        if entry and (entry.de, entry.me) == (identity.de, identity.me) and entry.lifecycle != identity.lifecycle:
            name = dispatcher_name(identity.d)
            return Failed(f"the answer for ({name}, de={identity.de}, me={identity.me}) of lifecycle "
                          f"{identity.lifecycle} matches dm.pending.{name} of lifecycle {entry.lifecycle}",
                          "one identity, two lifecycles")
    return True


def no_wrong_clear_step(state, action, nxt) -> bool:
    """R6, AC4: ``pending[D]`` is not removed while the same blocked instance stays alive,
    unless the same step raises a fallback (FAILED does both)."""
    if nxt.fallback:
        return True
    for d, entry in enumerate(state.dm.pending):
        if entry and not nxt.dm.pending[d] and blocked(state, d):
            before, after = state.instances[d], nxt.instances[d]
            if after and after.lifecycle == before.lifecycle:
                name = dispatcher_name(d)
                return Failed(f"dm.pending.{name} is removed while {name}'s instance (lifecycle {after.lifecycle}) "
                              f"stays blocked, and no fallback is raised", "pending cleared under a blocked instance")
    return True


def no_spurious_restart_step(state, action, nxt) -> bool:
    """R2, AC1: a restart operator's Remove(D) never takes down an instance that has not failed
    (a healthy instance restarted for an old or duplicate identity)."""
    if action.name != "dm_recv_schedule":
        return True
    for d, (before, after) in enumerate(zip(state.instances, nxt.instances)):
        if before and after and after.restarted and not before.restarted and not before.blocked:
            name = dispatcher_name(d)
            return Failed(f"a restart's Remove({name}) from {action.arg('from')} takes down {name}'s instance "
                          f"(lifecycle {before.lifecycle}), which is not blocked", "a restart hits a healthy instance")
    return True


# -- state invariants ------------------------------------------------------------------------
def settled(state) -> bool:
    """The DM knows the live maintainer: its maintainer ID names the alive, initialized
    incarnation and no bootstrap is on its way. Between a maintainer's stop and its successor's
    bootstrap every design leaves entries without a live operator: that window is no bug."""
    known = state.maintainers[state.dm.maintainer]
    return known.status == ALIVE and known.initialized and not state.channels[BOOTSTRAP]


def handled_means_progress_state(state) -> bool:
    """R4, R7, AC2: once the DM knows the live maintainer, ``handled`` (resends stopped) only
    while something will remove the blocked instance: a live or removing maintainer holds a
    restart or a removing operator for D, a Remove(D) is on its way, or the instance is already
    removing (or gone, or not blocked). The window before a new maintainer's bootstrap is
    excluded (``settled``): liveness decides what happens after it."""
    if not settled(state):
        return True
    for d, entry in enumerate(state.dm.pending):
        if not entry or not entry.handled or not blocked(state, d) or state.instances[d].removing:
            continue
        if not _removal_under_way(state, d):
            name = dispatcher_name(d)
            return Failed(f"dm.pending.{name}.handled = true while {name} is blocked, the DM knows the live "
                          f"maintainer {MAINTAINERS[state.dm.maintainer]}, no maintainer holds a restart or removing "
                          f"operator for {name} and no Remove({name}) is on its way", "handled with no removal under way")
    return True


def _removal_under_way(state, d: int) -> bool:
    for m, maintainer in enumerate(state.maintainers):
        if maintainer.status in (ALIVE, REMOVING):
            op = maintainer.operators[d]
            if op and (op.kind == RESTART or op.kind in REMOVING_KINDS):
                return True
        if any(c.op == CMD_REMOVE and c.d == d for c in state.channels[schedule_of(m)]):
            return True
    return False


def report_once_per_epoch_step(state, action, nxt) -> bool:
    """R2, AC1: no two accepted reports of the same ``(D, de)`` within one lifecycle: while an
    instance lives, a report the reporter accepts (it reaches ``events``) is never the very
    ``(lifecycle, de)`` it accepted last (a reset gives an instance a new ``de``, whose report
    is a new one), e.g. after a Working status cleared the reporter while the instance stayed
    blocked (N3)."""
    if action.name != "dml_fail" or len(nxt.channels[EVENTS]) <= len(state.channels[EVENTS]):
        return True
    d, lifecycle = dispatcher_index(action.arg("d")), action.arg("lifecycle")
    instance = state.instances[d]
    alive = bool(instance) and instance.lifecycle == lifecycle  # a closed instance's late report is N5's
    reported = nxt.channels[EVENTS][-1]
    de = next(entry.de for entry in reported if entry.d == d)
    if alive and state.ghost.accepted[d] == lifecycle and state.ghost.accepted_de[d] == de:
        return Failed(f"the reporter accepts ({action.arg('d')}, de={de}) of lifecycle {lifecycle} a second time "
                      f"while that instance lives", "one report accepted twice")
    return True


def single_pending_step(state, action, nxt) -> bool:
    """R3, AC1: one recover flow per dispatcher: the recover loop never builds a request for a
    D that already has a pending entry (a report for a pending D sends no second request)."""
    if action.name != "dm_take_event":
        return True
    for identity in nxt.dm.held:
        if state.dm.pending[identity.d]:
            name = dispatcher_name(identity.d)
            return Failed(f"the recover loop builds a request for {name} while dm.pending.{name} exists",
                          "a second request for a pending dispatcher")
    return True


SAFETY = {
    "stale_response_harmless": StepProperty(
        "stale_response_harmless", stale_response_harmless_step,
        "a response from a stale maintainer or lifecycle never clears or silences an entry"),
    "identity_unique": StepProperty(
        "identity_unique", identity_unique_step,
        "an identity the DM matches belongs to the pending entry's lifecycle"),
    "no_wrong_clear": StepProperty(
        "no_wrong_clear", no_wrong_clear_step,
        "pending is not cleared while the same blocked instance lives"),
    "no_spurious_restart": StepProperty(
        "no_spurious_restart", no_spurious_restart_step,
        "a restart never takes down an instance that did not fail"),
    "report_once_per_epoch": StepProperty(
        "report_once_per_epoch", report_once_per_epoch_step,
        "the reporter accepts one report per (D, de) and lifecycle"),
    "single_pending": StepProperty(
        "single_pending", single_pending_step,
        "a report for a pending dispatcher builds no second request"),
    "handled_means_progress": Invariant(
        "handled_means_progress", handled_means_progress_state,
        "once the DM knows the live maintainer, handled only while a removal of the blocked instance is under way"),
}

LIVENESS = {"no_silent_stall": no_silent_stall, "recovers_without_fuse": recovers_without_fuse,
            "no_residual_pending": no_residual_pending, "pending_resolves": pending_resolves,
            "restart_ends": restart_ends}


def liveness_for(name: str, dispatchers: int) -> list:
    """The liveness property ``name``, once per dispatcher."""
    return [LIVENESS[name](d) for d in range(dispatchers)]


def properties_for(config, names=None) -> list:
    """The properties that apply to ``config``: every safety property, ``restart_ends``, and the
    liveness properties that match its fuse (``no_silent_stall`` with the fuse on,
    ``recovers_without_fuse``, ``no_residual_pending`` and ``pending_resolves`` with it off). ``names`` picks some by
    name instead."""
    if names is None:
        fuse = (["no_silent_stall"] if config.timeout_fuse
                else ["recovers_without_fuse", "no_residual_pending", "pending_resolves"])
        names = list(SAFETY) + fuse + ["restart_ends"]
    out = []
    for name in names:
        if name in SAFETY:
            out.append(SAFETY[name])
        elif name in LIVENESS:
            out += liveness_for(name, config.dispatchers)
        else:
            raise KeyError(name)
    return out
