"""What a replayed trace must still show (``verify-trace``): a counterexample ends in its
violation, a lasso is a fair behaviour that violates its liveness property, a witness ends in
the state its ``Sometimes`` property asks for. A trace that replays step by step but was cut
short (its last step gone) fails here, not in :func:`explorer.trace.replay_trace`.

:func:`evidence` returns what the trace shows, as text, or raises :class:`TraceError` naming
what it no longer shows.
"""

from __future__ import annotations

from .properties import DEADLOCK
from .result import Trace
from .simulate import earliest_pending, unfair_obligation
from .trace import TraceError


def evidence(model, prop, trace: Trace, *, hint: bool = False) -> str:
    """What ``trace`` (replayed on ``model``) shows about ``prop``: a property object, or the
    name ``"deadlock"``. ``hint``: the trace claims only to be a simulation's liveness hint
    (P met no Q within the steps taken), which needs no lasso."""
    last = trace.steps[-1]
    if prop == DEADLOCK:
        is_terminal = getattr(model, "is_terminal", None) or (lambda state: False)
        if model.successors(last.state) or is_terminal(last.state):
            raise TraceError("it no longer ends in a deadlock: the last state has successors or is an end")
        return "ends in a deadlock"
    if prop.kind == "invariant":
        if prop.predicate(last.state):
            raise TraceError("it no longer ends in a violation: the invariant holds in its last state")
        return "ends in a violation"
    if prop.kind == "step":
        if len(trace) < 2 or prop.predicate(trace.steps[-2].state, last.action, last.state):
            raise TraceError("it no longer ends in a violation: its last step satisfies the property")
        return "ends in a violation"
    if prop.kind == "sometimes":
        if not prop.predicate(last.state):
            raise TraceError("it no longer ends in a witness: its last state does not satisfy the property")
        return "ends in a witness"
    return _liveness_evidence(model, prop, trace, hint)


def _liveness_evidence(model, prop, trace: Trace, hint: bool) -> str:
    states = [step.state for step in trace.steps]
    if not trace.is_lasso:
        if not hint:
            raise TraceError("it is no lasso, so it no longer shows a violation of a liveness property")
        if earliest_pending(states, prop.p, prop.q) is None:
            raise TraceError("it no longer shows a pending P: every P state is followed by a Q state")
        return "a hint, not a lasso: a P state that met no Q (proves no violation)"
    cycle = states[trace.loop:]
    if prop.shape == "eventually_always":
        if all(prop.q(s) for s in cycle):
            raise TraceError("its cycle no longer leaves Q, so it does not violate <>[]Q")
    elif any(prop.q(s) for s in cycle) or earliest_pending(states, prop.p, prop.q) is None:
        raise TraceError("its lasso no longer keeps Q false forever after a P state")
    unfair = unfair_obligation(model, prop, trace.steps[trace.loop:])
    if unfair:
        raise TraceError(f"its cycle is not fair: {unfair}")
    return "a fair lasso that violates it"
