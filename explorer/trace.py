"""Counterexample traces: changed-field rows, JSON export, and replay of an exported trace.

A trace row shows the action that was taken (name and arguments) and only the fields that
changed, read through the model's optional ``fields(state)``; a model without it shows its
state's ``repr``. A JSON trace records every step's action label and full fields, so that
:func:`replay_trace` can rebuild it on the model and check it step by step.
"""

from __future__ import annotations

from typing import Any

from .result import Step, Trace


class TraceError(ValueError):
    """An exported trace does not replay on the model: the message names the step."""


class StepNotEnabled(TraceError):
    """A step's action is not enabled where the replay reached: ``step`` is its 1-based number
    in the trace (the initial state is step 1)."""

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step


def same_label(action, wanted) -> bool:
    """The default step matcher: the same label text."""
    return str(action) == str(wanted)


_ANY_FIELDS = object()


def take_step(model, state, number: int, wanted, match=same_label, fields=_ANY_FIELDS):
    """The first ``(action, next state)`` of ``state`` that ``match(action, wanted)`` accepts
    (and, if ``fields`` is given, that leads to those fields): step ``number`` of a replay."""
    moves = [(a, t) for a, t in model.successors(state) if match(a, wanted)]
    if not moves:
        raise StepNotEnabled(f"step {number}: {wanted} is not enabled", number)
    if fields is not _ANY_FIELDS:
        moves = [(a, t) for a, t in moves if jsonable(state_fields(model, t)) == fields]
        if not moves:
            raise TraceError(f"step {number}: {wanted} leads to other fields than recorded")
    return moves[0]


def replay_actions(model, start, actions, match=same_label, first_number: int = 2) -> list[Step]:
    """The steps that take ``actions`` one after another from state ``start``, each the first
    successor ``match`` accepts; :class:`StepNotEnabled` names the first one that is not enabled
    (numbered from ``first_number``). What-if replays (a step removed, another configuration)
    use it: they match labels, not the recorded fields, which differ once the run does."""
    steps, state = [], start
    for number, wanted in enumerate(actions, start=first_number):
        action, state = take_step(model, state, number, wanted, match)
        steps.append(Step(action, state))
    return steps


def action_name(action) -> str:
    """The name part of an action label: ``.name`` if it has one, else the text before '('."""
    name = getattr(action, "name", None)
    return name if isinstance(name, str) else str(action).split("(", 1)[0]


def state_fields(model, state) -> dict[str, Any]:
    fields = getattr(model, "fields", None)
    return dict(fields(state)) if fields else {"state": repr(state)}


def action_args(action) -> dict[str, Any]:
    args = getattr(action, "args", None)
    return {k: v for k, v in args} if isinstance(args, tuple) else {}


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """Fields whose value differs; a field that disappeared shows as None."""
    if before is None:
        return dict(after)
    changed = {k: v for k, v in after.items() if before.get(k, _MISSING) != v}
    changed.update({k: None for k in before if k not in after})
    return changed


_MISSING = object()


def trace_rows(model, trace: Trace, full: bool = False) -> list[dict[str, Any]]:
    """One row per step: ``index``, ``action`` (label or None), ``fields`` (changed or all),
    ``loop`` (True at the loop point of a lasso)."""
    rows, before = [], None
    for i, step in enumerate(trace.steps):
        after = state_fields(model, step.state)
        rows.append({
            "index": i + 1,
            "action": None if step.action is None else str(step.action),
            "fields": dict(after) if full else changed_fields(before, after),
            "loop": trace.loop == i,
        })
        before = after
    return rows


def trace_text(model, trace) -> str:
    """A trace as plain text: one line per step, its action and the fields it changed."""
    lines = []
    for row in trace_rows(model, trace):
        fields = ", ".join(f"{k} = {v!r}" for k, v in row["fields"].items()) or "(no change)"
        loop = "  <- loop point" if row["loop"] else ""
        lines.append(f"  {row['index']:>3}. {row['action'] or '(initial state)'}: {fields}{loop}")
    if trace.is_lasso:
        lines.append("  then it stays there forever (stuttering)" if trace.stutter
                     else f"  then it repeats from step {trace.loop + 1} forever")
    return "\n".join(lines)


def trace_to_json(model, trace: Trace) -> dict[str, Any]:
    return {
        "length": len(trace),
        "loop": trace.loop,
        "stutter": trace.stutter,
        "steps": [
            {"action": None if s.action is None else str(s.action),
             "name": None if s.action is None else action_name(s.action),
             "args": action_args(s.action), "fields": jsonable(state_fields(model, s.state))}
            for s in trace.steps
        ],
    }


def replay_trace(model, data: dict[str, Any]) -> Trace:
    """Rebuild a JSON trace on ``model``; raise :class:`TraceError` at the first step whose
    action is not enabled or whose fields differ from the recorded ones."""
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not steps:
        raise TraceError("a trace needs a non-empty list 'steps'")
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise TraceError(f"step {i}: expected an object with 'action' and 'fields'")
    first = steps[0]
    candidates = [s for s in model.init_states()
                  if jsonable(state_fields(model, s)) == first.get("fields")]
    if not candidates:
        raise TraceError("step 1: no initial state has the recorded fields")
    state = candidates[0]
    rebuilt = [Step(None, state)]
    for i, step in enumerate(steps[1:], start=2):
        action, state = take_step(model, state, i, step.get("action"), fields=step.get("fields"))
        rebuilt.append(Step(action, state))
    loop = data.get("loop")
    if loop is not None:
        if not (type(loop) is int and 0 <= loop < len(rebuilt)):
            raise TraceError(f"loop point {loop} is outside the trace")
        if jsonable(state_fields(model, rebuilt[loop].state)) != jsonable(
                state_fields(model, rebuilt[-1].state)):
            raise TraceError(f"the cycle does not return to its loop point (step {loop + 1})")
    return Trace(tuple(rebuilt), loop=loop, stutter=bool(data.get("stutter")))


def jsonable(value):
    """The value as JSON would give it back (tuples become lists, keys strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def mermaid_sequence(model, trace: Trace) -> str:
    """A Mermaid sequence diagram of a trace. The model may say who acts (``actor(action)``)
    and which message a step takes (``message_flow(state, action)``, ``state`` the one the step
    leaves: ``(sender, receiver)``, or ``(sender, receiver, lost)`` where a true ``lost`` draws
    a message that never arrives, ``-x``); a step without a flow is a note over its actor."""
    actor = getattr(model, "actor", None) or (lambda a: "system")
    flow = getattr(model, "message_flow", None) or (lambda state, a: None)
    lines, participants = [], []

    def meet(name: str) -> str:
        key = _mermaid_id(name)
        if key not in participants:
            participants.append(key)
            lines.insert(len(participants) - 1, f"    participant {key} as {name}")
        return key

    for i, (before, step) in enumerate(zip(trace.steps, trace.steps[1:]), start=2):
        label = f"{i}. {step.action}".replace(";", ",")
        loop = " (loop point)" if trace.loop == i - 1 else ""
        edge = flow(before.state, step.action)
        if edge:
            src, dst = meet(edge[0]), meet(edge[1])
            lost = len(edge) > 2 and edge[2]
            lines.append(f"    {src}{'-x' if lost else '->>'}{dst}: {label}{' (lost)' if lost else ''}{loop}")
        else:
            who = meet(actor(step.action))
            lines.append(f"    Note over {who}: {label}{loop}")
    if trace.is_lasso:
        first = participants[0] if participants else meet("system")
        tail = "stutters here forever" if trace.stutter else f"repeats from step {trace.loop + 1}"
        lines.append(f"    Note over {first}: lasso: {tail}")
    return "sequenceDiagram\n" + "\n".join(lines)


def _mermaid_id(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)
