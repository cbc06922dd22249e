"""The properties of PROTOCOL.md section 5, as predicates over the model's states and steps,
wrapped in the engine's property kinds.

Requirements are those of the requirements document (``seeds/recover-dispatcher-
requirements.md``): R1-R10 and acceptance criteria AC1-AC5.

Fairness (liveness only). The DM's loops, the collector and the maintainer are goroutines that
keep running: a step they can take stays possible until they take it, so their actions are
fair. Readers of a channel are **strongly** fair: a lossy channel may drop any one message, but
not every message of an endless stream of resends (fair delivery); ticks and internal steps are
**weakly** fair (a ticker keeps firing). The environment's actions (a DML failure, a maintainer
move or stop, another operator, a loss, a duplicate) are not fair: they may never happen.
``first_event`` is weakly fair: a new dispatcher keeps receiving resolved-ts events.
"""

from __future__ import annotations

from explorer import Invariant, StepProperty, leads_to
from model.state import (
    ALIVE,
    MAINTAINERS,
    REMOVING,
    REMOVING_KINDS,
    RESTART,
    CMD_REMOVE,
    EVENTS,
    responses_of,
    schedule_of,
)

CHANNEL_READERS = ("dm_take_event", "dm_status", "dm_recv_response", "dm_recv_schedule",
                   "dm_recv_bootstrap", "hbc_send", "maintainer_recv_request", "maintainer_recv_status")
LOOP_STEPS = ("dm_add_pending", "dm_resend_tick", "dm_timeout_tick", "dispatcher_close", "first_event")
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


def maintainer_index(action) -> int:
    return MAINTAINERS.index(action.arg("from") if action.arg("from") is not None else action.arg("m"))


# -- liveness --------------------------------------------------------------------------------
def _ends_or_fallback(name: str, d: int, condition, description: str):
    """``condition(s, d) ~> (not condition(s, d) or a fallback)`` for dispatcher ``d``."""
    return leads_to(
        f"{name}[d{d + 1}]",
        lambda s: condition(s, d),
        lambda s: bool(s.fallback) or not condition(s, d),
        FAIRNESS,
        description,
    )


def no_silent_stall(d: int):
    """R10, R4, AC5: a blocked instance of ``d`` is eventually removed from the DM (closed),
    or a changefeed fallback is raised. Checked with the fuse on."""
    return _ends_or_fallback("no_silent_stall", d, blocked,
                             "a blocked instance is eventually removed, or a fallback is raised")


def recovers_without_fuse(d: int):
    """R6 (the timeout is only a last fuse), R7, AC2, AC4: with the fuse off and fair delivery,
    a blocked instance of ``d`` is eventually removed by the restart path (or a determinate
    fallback other than the timeout ends the changefeed: FAILED, a send or sink failure).
    The same formula as ``no_silent_stall``; the difference is the configuration it is
    checked on (the fuse off), which leaves the restart path alone to satisfy it."""
    return _ends_or_fallback("recovers_without_fuse", d, blocked,
                             "without the fuse, the restart path alone removes a blocked instance")


def no_residual_pending(d: int):
    """R6, R4, AC4: with the fuse off, an entry whose dispatcher left this node without being
    marked removed is eventually cleared (or the dispatcher is back, or a fallback is raised):
    no entry lingers with nothing but the timeout to end it."""
    return _ends_or_fallback("no_residual_pending", d, residual,
                             "a pending entry of a dispatcher gone from this node does not linger")


# -- step properties -------------------------------------------------------------------------
def _response_answers(state, action):
    """(sender, answers) of the response ``dm_recv_response`` consumes in ``state``."""
    head = state.channels[responses_of(maintainer_index(action))][0]
    return head.sender, head.answers


def stale_response_harmless_step(state, action, nxt) -> bool:
    """R8, AC3: a response from a maintainer other than the DM's current one, or for another
    lifecycle than the pending entry's, neither removes the entry nor sets ``handled``."""
    if action.name != "dm_recv_response":
        return True
    sender, answers = _response_answers(state, action)
    for d in {a.identity.d for a in answers}:
        entry = state.dm.pending[d]
        if not entry:
            continue
        fresh = [a for a in answers if a.identity.d == d and sender == state.dm.maintainer
                 and a.identity.lifecycle == entry.lifecycle]
        if fresh:
            continue
        after = nxt.dm.pending[d]
        if not after or (after.handled and not entry.handled):
            return False
    return True


def identity_unique_step(state, action, nxt) -> bool:
    """R9, M3: whenever the DM matches an identity against a pending entry (a response's
    answer), both belong to the same lifecycle of the dispatcher."""
    if action.name != "dm_recv_response":
        return True
    _, answers = _response_answers(state, action)
    for answer in answers:
        identity, entry = answer.identity, state.dm.pending[answer.identity.d]
        if entry and (entry.de, entry.me) == (identity.de, identity.me) and entry.lifecycle != identity.lifecycle:
            return False
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
                return False
    return True


def no_spurious_restart_step(state, action, nxt) -> bool:
    """R2, AC1: a restart operator's Remove(D) never lands on an instance that has not failed
    (a healthy instance restarted for an old or duplicate identity)."""
    if action.name != "dm_recv_schedule":
        return True
    command = state.channels[schedule_of(maintainer_index(action))][0]
    if command.op != CMD_REMOVE or not command.by_restart:
        return True
    inst = state.instances[command.d]
    return not inst or inst.blocked


# -- state invariants ------------------------------------------------------------------------
def handled_means_progress_state(state) -> bool:
    """R4, R7, AC2: ``handled`` (resends stopped) only while something will remove the blocked
    instance: a live or removing maintainer holds a restart or a removing operator for D, a
    Remove(D) is on its way, or the instance is already removing (or gone, or not blocked)."""
    for d, entry in enumerate(state.dm.pending):
        if not entry or not entry.handled or not blocked(state, d) or state.instances[d].removing:
            continue
        if not _removal_under_way(state, d):
            return False
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
    instance lives, a report the reporter accepts (it reaches ``events``) never comes from the
    lifecycle whose report it accepted last (an instance has one ``de``), e.g. after a Working
    status cleared the reporter while the instance stayed blocked (N3)."""
    if action.name != "dml_fail" or len(nxt.channels[EVENTS]) <= len(state.channels[EVENTS]):
        return True
    d, lifecycle = dispatcher_index(action.arg("d")), action.arg("lifecycle")
    instance = state.instances[d]
    alive = bool(instance) and instance.lifecycle == lifecycle  # a closed instance's late report is N5's
    return not (alive and state.ghost.accepted[d] == lifecycle)


def single_pending_step(state, action, nxt) -> bool:
    """R3, AC1: one recover flow per dispatcher: the recover loop never builds a request for a
    D that already has a pending entry (a report for a pending D sends no second request)."""
    if action.name != "dm_take_event":
        return True
    return all(not state.dm.pending[identity.d] for identity in nxt.dm.held)


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
        "a restart never hits an instance that did not fail"),
    "report_once_per_epoch": StepProperty(
        "report_once_per_epoch", report_once_per_epoch_step,
        "the reporter accepts one report per (D, de) and lifecycle"),
    "single_pending": StepProperty(
        "single_pending", single_pending_step,
        "a report for a pending dispatcher builds no second request"),
    "handled_means_progress": Invariant(
        "handled_means_progress", handled_means_progress_state,
        "handled only while a removal of the blocked instance is under way"),
}

LIVENESS = {"no_silent_stall": no_silent_stall, "recovers_without_fuse": recovers_without_fuse,
            "no_residual_pending": no_residual_pending}


def liveness_for(name: str, dispatchers: int) -> list:
    """The liveness property ``name``, once per dispatcher."""
    return [LIVENESS[name](d) for d in range(dispatchers)]


def properties_for(config, names=None) -> list:
    """The properties that apply to ``config``: every safety property, and the liveness
    properties that match its fuse (``no_silent_stall`` with the fuse on,
    ``recovers_without_fuse`` and ``no_residual_pending`` with it off). ``names`` picks some by name instead."""
    if names is None:
        fuse = ["no_silent_stall"] if config.timeout_fuse else ["recovers_without_fuse", "no_residual_pending"]
        names = list(SAFETY) + fuse
    out = []
    for name in names:
        if name in SAFETY:
            out.append(SAFETY[name])
        elif name in LIVENESS:
            out += liveness_for(name, config.dispatchers)
        else:
            raise KeyError(name)
    return out
