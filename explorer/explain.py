"""Explained counterexamples: which part of the property failed and on what values, which steps
the violation depends on, the nearest run that passes, and which alternative configurations
block the trace.

After Groce, Chaki, Kroening and Strichman, "Error explanation with distance metrics" (STTT
2006): the successful execution closest to the failing one shows the cause in its differences.
Here the state space is explicit, so "closest" is searched exactly (within a cap) over the
reachable graph, and a model's alternative configurations are the candidate fixes.

* **The violated clause** (:func:`violated_clause`): the predicate evaluated on the last state
  (step) once more, through a recorder of the state fields it reads; a predicate that returns
  :class:`explorer.properties.Failed` also gives its reason and clause. For liveness: the step
  where P held that no Q followed, and Q on the cycle.
* **Essential steps** (:func:`step_roles`): each step is removed, and swapped with the next one,
  and the rest replayed by label. A step is essential when its removal makes the trace pass
  (*cause*), or when a swap that keeps every step enabled makes it pass (*order*), or when its
  removal makes the trace impossible (*enabler* of the step that can no longer be taken, or of
  the cycle that no longer closes) and *skipping* it, that is leaving out with it every later
  step that then cannot run, loses the violation too. Otherwise it is *irrelevant*: the
  violation stays without it (and without what it alone enabled). A shortest (BFS)
  counterexample has no irrelevant step: with one, a shorter trace would still violate; the
  roles then say how each step matters. Random walks and hand-written traces have irrelevant
  ones (a second dispatcher's failure, with all it led to, in a trace about the first).
* **The nearest passing run** (:func:`nearest_passing_run`): the run from an initial state
  with the least edit distance over action labels to the counterexample (substitution,
  insertion and deletion cost 1), along which the property holds, that ends with the
  counterexample's last action (a safety property: the same judged step, taken harmlessly) or,
  for liveness, visits P and then reaches a Q state (a finite run needs no fairness: weak and
  strong fairness are machine-closed, so it extends to a fair behaviour that has reached the
  goal). A 0-1 breadth-first search over pairs (state, position in the counterexample), states
  generated on the fly from ``successors``, so it finds a minimum. Ties (one run per end state
  at the minimum distance) are broken by the fewest fields that differ between aligned states,
  then by the labels. The search stops after ``max_nodes`` pairs (or ``max_states`` states):
  then every run within the distance it finished is known not to pass.
* **Alternative configurations** (:func:`replay_variants`): the same actions replayed on other
  models (the caller builds them: the recover model's knobs live in ``invariants``): impossible
  at step k, no longer violating (with the steps whose effect differs), or still violating.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Sequence

import attrs

from .fingerprint import stable_fingerprint
from .properties import DEADLOCK
from .result import Step, Trace
from .evidence import evidence
from .simulate import earliest_pending
from .trace import (StepNotEnabled, TraceError, changed_fields, jsonable, replay_actions, same_label,
                    state_fields, take_step)

MAX_NODES = 150_000  # (state, position) pairs the nearest-run search expands at most
SHOWN_READS = 12  # values read shown in text (JSON has all)

CAUSE, ORDER, ENABLER, IRRELEVANT = "cause", "order", "enabler", "irrelevant"
PASSES, IMPOSSIBLE, VIOLATES = "passes", "impossible", "violates"
SAME, CHANGED, ONLY_COUNTEREXAMPLE, ONLY_RUN = "same", "changed", "only in the counterexample", "only in the run"


# -- the violated clause -------------------------------------------------------------------------
@attrs.frozen
class Clause:
    """What failed: ``clause`` names the failed part ("" for a one-piece predicate), ``reason``
    is the predicate's own account ("" if it gives none), ``reads`` the state fields it read,
    ``step`` the (1-based) step it was evaluated at; for liveness ``pending_from`` is the step
    where P held that no Q followed, and the values are those of Q at the loop point."""

    property: str
    kind: str
    clause: str
    reason: str
    reads: tuple[tuple[str, Any], ...]
    step: int
    pending_from: int | None = None

    def text(self) -> str:
        if self.kind == "liveness":
            where = (f"P holds at step {self.pending_from} and Q never holds after it; on the cycle "
                     f"(from step {self.step}) Q is false")
        elif self.kind == "deadlock":
            where = f"step {self.step} has no successor and is no end state"
        else:
            where = f"false at step {self.step}"
        part = f" (clause '{self.clause}')" if self.clause else ""
        return f"{self.property}{part}: {where}" + (f": {self.reason}" if self.reason else "")

    def reads_text(self, limit: int | None = SHOWN_READS) -> str:
        shown = self.reads if limit is None else self.reads[:limit]
        more = f", and {len(self.reads) - len(shown)} more" if len(self.reads) > len(shown) else ""
        return ", ".join(f"{path} = {value!r}" for path, value in shown) + more


class _Recorder:
    """A read-only view of a value that logs every leaf (and every empty container) read
    through it, by its path from the root: ``state.dm.pending[0].handled``."""

    __slots__ = ("_value", "_path", "_log")

    def __init__(self, value, path: str, log: list) -> None:
        self._value, self._path, self._log = value, path, log

    def __getattr__(self, name):
        return _recorded(getattr(self._value, name), f"{self._path}.{name}", self._log)

    def __getitem__(self, key):
        key = _raw(key)
        return _recorded(self._value[key], f"{self._path}[{key!r}]", self._log)

    def __iter__(self):
        for i, item in enumerate(self._value):
            yield _recorded(item, f"{self._path}[{i}]", self._log)

    def __len__(self) -> int:
        size = len(self._value)
        self._log.append((f"len({self._path})", size))
        return size

    def __bool__(self) -> bool:
        if not self._value:
            self._log.append((self._path, self._value))
        return bool(self._value)

    def __contains__(self, item) -> bool:
        return _raw(item) in self._value

    def __eq__(self, other) -> bool:
        return self._value == _raw(other)

    def __ne__(self, other) -> bool:
        return self._value != _raw(other)

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return repr(self._value)


_LEAVES = (bool, int, float, str, bytes, type(None))


def _raw(value):
    return value._value if isinstance(value, _Recorder) else value


def _recorded(value, path: str, log: list):
    if isinstance(value, _LEAVES):
        log.append((path, value))
        return value
    if callable(value) or not hasattr(value, "__getitem__") and not hasattr(value, "__dict__"):
        return value
    return _Recorder(value, path, log)


def read_values(predicate: Callable, named_args: Sequence[tuple[str | None, Any]]):
    """``predicate``'s verdict on the args, and the values it read from the named ones (in the
    order first read, each path once). A predicate the recorder cannot follow (it tests types,
    say) gives its verdict and no values."""
    verdict = predicate(*(value for _, value in named_args))
    log: list = []
    try:
        recorded = predicate(*(value if name is None else _recorded(value, name, log) for name, value in named_args))
    except Exception:  # noqa: BLE001 - a predicate that needs real values: no reads, the verdict stands
        return verdict, ()
    if bool(recorded) != bool(verdict):
        return verdict, ()
    return verdict, tuple(dict(log).items())


def violated_clause(model, prop, trace: Trace) -> Clause:
    """The part of ``prop`` that ``trace`` violates and the values it read (see the module
    docstring); ``prop`` is a property or the name ``"deadlock"``."""
    last, end = trace.steps[-1], len(trace)
    if prop == DEADLOCK:
        return Clause(DEADLOCK, "deadlock", "", "", (), end)
    pending = None
    if prop.kind == "invariant":
        named = [("state", last.state)]
        verdict, reads = read_values(prop.predicate, named)
    elif prop.kind == "step":
        named = [("state", trace.steps[-2].state), (None, last.action), ("next", last.state)]
        verdict, reads = read_values(prop.predicate, named)
    elif prop.kind == "liveness" and trace.is_lasso:
        states = [s.state for s in trace.steps]
        pending = earliest_pending(states, prop.p, prop.q)
        named = [("state", states[trace.loop])]
        verdict, reads = read_values(prop.q, named)
        end = trace.loop + 1
    else:
        raise ValueError(f"{prop.name}: a {prop.kind} property has no counterexample to explain")
    # a predicate that reads a whole state (a packed int, say) read every field of it
    whole = {name: state_fields(model, value) for name, value in named if name is not None}
    reads = tuple((path, whole.get(path, value)) for path, value in reads)
    return Clause(prop.name, prop.kind, getattr(verdict, "clause", ""), getattr(verdict, "reason", ""), reads, end,
                  None if pending is None else pending + 1)


# -- replays: does a changed trace still violate? ------------------------------------------------
@attrs.frozen
class Replayed:
    """A what-if replay: ``status`` passes / impossible / violates; ``step`` the step that could
    not be taken (None when every step ran but a lasso's cycle no longer closes); ``trace`` the
    steps that ran (None when a step could not be taken); ``detail`` one line."""

    status: str
    step: int | None = None
    trace: Trace | None = None
    detail: str = ""


def violates(model, prop, trace: Trace) -> bool:
    """Whether ``trace`` (already replayed on ``model``) still shows a violation of ``prop``."""
    try:
        evidence(model, prop, trace)
    except TraceError:
        return False
    return True


def replay_changed(model, prop, start, actions, loop: int | None, match=same_label) -> Replayed:
    """Replay ``actions`` from state ``start`` on ``model``; for a lasso the cycle must still
    return to its loop point (index ``loop``)."""
    try:
        steps = replay_actions(model, start, actions, match)
    except StepNotEnabled as exc:
        return Replayed(IMPOSSIBLE, exc.step, None, str(exc))
    return _judged(model, prop, start, steps, loop)


def _judged(model, prop, start, steps: list[Step], loop: int | None) -> Replayed:
    """A replay that ran every step it kept: is it still a lasso (for a lasso), and does it
    still violate?"""
    trace = Trace((Step(None, start), *steps), loop=loop, stutter=loop is not None and loop == len(steps))
    if loop is not None and trace.steps[loop].state != trace.steps[-1].state:
        return Replayed(IMPOSSIBLE, None, trace, f"the cycle no longer returns to step {loop + 1}")
    return Replayed(VIOLATES if violates(model, prop, trace) else PASSES, None, trace)


# -- essential steps -----------------------------------------------------------------------------
@attrs.frozen
class StepRole:
    """How step ``step`` (1-based; the initial state is step 1) matters: ``role`` is cause,
    order, enabler or irrelevant; ``removed`` and ``swapped`` what removing it and swapping it
    with the next step do; ``enables`` the step that cannot run without it."""

    step: int
    action: str
    role: str
    removed: str
    swapped: str
    enables: int | None = None

    @property
    def short(self) -> str:
        return f"enabler of {self.enables}" if self.role == ENABLER and self.enables else self.role

    @property
    def essential(self) -> bool:
        return self.role != IRRELEVANT

    def why(self) -> str:
        return {CAUSE: f"without it {self.removed}",
                ORDER: f"after step {self.step + 1} instead, {self.swapped}",
                ENABLER: f"without it {self.removed}; left out with the steps that then cannot run, "
                         f"the violation goes too",
                IRRELEVANT: f"without it {self.removed}"}[self.role]


def _outcome_text(replayed: Replayed, subject: str) -> str:
    if replayed.status == IMPOSSIBLE:
        return (f"{subject} is no lasso: {replayed.detail}" if replayed.step is None
                else f"{subject} cannot run: step {replayed.step} is no longer enabled")
    return f"{subject} " + {PASSES: "runs and the property holds", VIOLATES: "runs and still violates"}[replayed.status]


def step_roles(model, prop, trace: Trace) -> tuple[StepRole, ...]:
    """The role of every step of ``trace`` (see the module docstring). Steps keep the
    counterexample's numbers in every replay: "step k" is always its step k."""
    positions = list(range(len(trace) - 1))  # action i leads to trace.steps[i + 1], step i + 2
    roles = []
    for j in range(1, len(trace)):
        rest = positions[:j - 1] + positions[j:]
        removed = _replay_positions(model, prop, trace, rest)
        skipped = _replay_positions(model, prop, trace, rest, skip=True) if removed.status == IMPOSSIBLE else None
        swapped = None
        if j < len(positions):
            swapped = _replay_positions(model, prop, trace, positions[:j - 1] + [j, j - 1] + positions[j + 1:])
        if removed.status == PASSES:
            role = CAUSE
        elif swapped is not None and swapped.status == PASSES:
            role = ORDER
        elif skipped is not None and skipped.status != VIOLATES:
            role = ENABLER
        else:
            role = IRRELEVANT
        removed_text = _outcome_text(removed, "the rest")
        if skipped is not None and skipped.status == VIOLATES:
            removed_text += f"; skipping the {skipped.detail} that then cannot run, it still violates"
        roles.append(StepRole(j + 1, str(trace.steps[j].action), role, removed_text,
                              "" if swapped is None else _outcome_text(swapped, "the trace"),
                              removed.step if role == ENABLER else None))
    return tuple(roles)


def _replay_positions(model, prop, trace: Trace, positions: list[int], skip: bool = False) -> Replayed:
    """The trace's actions at ``positions`` (0-based, in that order) replayed from its initial
    state, numbered as in the trace. ``skip``: an action no longer enabled is left out (with
    the steps it enabled, since they cannot run either) instead of ending the replay; the
    Replayed's ``detail`` then counts them."""
    start, state, steps, kept = trace.steps[0].state, trace.steps[0].state, [], []
    for p in positions:
        try:
            action, state = take_step(model, state, p + 2, trace.steps[p + 1].action)
        except StepNotEnabled as exc:
            if skip:
                continue
            return Replayed(IMPOSSIBLE, exc.step, None, str(exc))
        steps.append(Step(action, state))
        kept.append(p)
    # the loop point is the state after the last kept action that led up to it
    loop = None if trace.loop is None else sum(p < trace.loop for p in kept)
    judged = _judged(model, prop, start, steps, loop)
    left_out = len(positions) - len(kept)
    return attrs.evolve(judged, detail=f"{left_out} step{'s' if left_out != 1 else ''}") if skip else judged


# -- the nearest passing run ---------------------------------------------------------------------
@attrs.frozen
class Aligned:
    """One row of an alignment: ``op`` (same, changed, only in the counterexample, only in the
    run) and the step numbers on each side (None where a side has no step)."""

    op: str
    counterexample: int | None
    run: int | None


@attrs.frozen
class NearestRun:
    """The nearest passing run, or ``trace`` None with ``complete`` saying whether no passing run
    exists at all (the whole product was searched) or none within ``searched_distance``."""

    trace: Trace | None
    distance: int | None
    alignment: tuple[Aligned, ...]
    field_differences: int
    searched: int
    complete: bool
    searched_distance: int
    goal: str
    note: str = ""

    @property
    def first_divergence(self) -> Aligned | None:
        return next((row for row in self.alignment if row.op != SAME), None)


def divergence_text(trace: Trace, nearest: NearestRun) -> str:
    """Where the nearest passing run first leaves the counterexample, in words."""
    row = nearest.first_divergence
    if row is None:
        return "it takes the same steps"
    if row.op == CHANGED:
        return (f"at step {row.counterexample} the counterexample takes {trace.steps[row.counterexample - 1].action}, "
                f"the passing run {nearest.trace.steps[row.run - 1].action}")
    if row.op == ONLY_COUNTEREXAMPLE:
        return f"the passing run leaves out step {row.counterexample} ({trace.steps[row.counterexample - 1].action})"
    rows = nearest.alignment
    later = next((r.counterexample for r in rows[rows.index(row):] if r.counterexample), None)
    where = f"before step {later}" if later else "after the last step"
    return f"the passing run takes {nearest.trace.steps[row.run - 1].action} {where} of the counterexample"


class _StatesCapped(Exception):
    """The nearest-run search met more states than it may keep."""


class _Product:
    """The states met so far: index by fingerprint, successors and marks computed once each."""

    def __init__(self, model, prop, max_states: int | None = None) -> None:
        self.model, self.prop, self.max_states = model, prop, max_states
        self.fingerprint = getattr(model, "fingerprint", None) or stable_fingerprint
        self.is_terminal = getattr(model, "is_terminal", None) or (lambda state: False)
        self.index: dict[int, int] = {}
        self.states: list = []
        self.ok: list[bool] = []  # the invariant holds here (True for other kinds)
        self.mark: list[bool] = []  # liveness: P holds here
        self.goal: list[bool] = []  # liveness: Q holds here; deadlock: not a dead end
        self.edges: list = []  # per state: [(label text, action, destination index, edge ok)]

    def add(self, state) -> int:
        key = self.fingerprint(state)
        i = self.index.get(key)
        if i is None:
            if self.max_states is not None and len(self.states) >= self.max_states:
                raise _StatesCapped
            i = self.index[key] = len(self.states)
            self.states.append(state)
            prop, kind = self.prop, _kind(self.prop)
            self.ok.append(bool(prop.predicate(state)) if kind == "invariant" else True)
            self.mark.append(kind == "liveness" and (prop.p is None or bool(prop.p(state))))
            self.goal.append(bool(prop.q(state)) if kind == "liveness" else
                             bool(self.model.successors(state)) or self.is_terminal(state) if kind == DEADLOCK
                             else True)
            self.edges.append(None)
        return i

    def out(self, i: int) -> list:
        edges = self.edges[i]
        if edges is None:
            state, step = self.states[i], self.prop.predicate if _kind(self.prop) == "step" else None
            edges = self.edges[i] = [
                (str(a), a, j, self.ok[j] and (step is None or bool(step(state, a, nxt))))
                for a, nxt in self.model.successors(state) for j in (self.add(nxt),)]
        return edges


def _kind(prop) -> str:
    return DEADLOCK if prop == DEADLOCK else prop.kind


def _goal_text(prop, last_label: str) -> str:
    if _kind(prop) == "liveness":
        return "visits a P state and then reaches a Q state"
    if _kind(prop) == DEADLOCK:
        return f"ends with {last_label} in a state that has a successor or is an end"
    return f"ends with {last_label}, the property holding on every {'step' if _kind(prop) == 'step' else 'state'}"


def nearest_passing_run(model, prop, trace: Trace, max_nodes: int = MAX_NODES,
                        max_states: int | None = None) -> NearestRun:
    """The run nearest to ``trace`` that passes (see the module docstring). The search expands
    at most ``max_nodes`` (state, position) pairs and meets at most ``max_states`` states."""
    kind = _kind(prop)
    if kind == "liveness" and prop.shape == "eventually_always":
        return NearestRun(None, None, (), 0, 0, False, 0, "",
                          "not searched: a run passing <>[]Q needs a cycle, not a finite run")
    labels = [str(s.action) for s in trace.steps[1:]]
    n, last = len(labels), labels[-1] if labels else ""
    product = _Product(model, prop, max_states)
    width = 2 * (n + 1)

    def node(state_index: int, position: int, flag: bool) -> int:
        return state_index * width + 2 * position + flag

    dist: dict[int, int] = {}
    came: dict[int, tuple] = {}
    queue: deque = deque()
    for state in model.init_states():
        i = product.add(state)
        if product.ok[i]:
            start = node(i, 0, product.mark[i])
            if start not in dist:
                dist[start], came[start] = 0, None
                queue.append((0, start))

    def relax(target: int, cost: int, step, free: bool) -> None:
        if cost < dist.get(target, cost + 1):
            dist[target], came[target] = cost, step
            if free:  # 0-1 BFS: a free move goes first, a costly one last
                queue.appendleft((cost, target))
            else:
                queue.append((cost, target))

    goals: list[int] = []
    best = None
    popped = 0
    while queue:
        cost, current = queue.popleft()
        if cost > dist[current]:
            continue
        if best is not None and cost > best:
            break
        popped += 1
        if popped > max_nodes:
            return _capped(prop, last, popped - 1, cost, f"search capped at {max_nodes:,} (state, position) pairs")
        s, rest = divmod(current, width)
        position, flag = divmod(rest, 2)
        if position == n and flag and product.goal[s]:
            best = cost
            goals.append(current)
            continue
        if position < n:
            relax(node(s, position + 1, flag), cost + 1, (current, "delete", None), False)
        try:
            edges = product.out(s)
        except _StatesCapped:
            return _capped(prop, last, popped, cost, f"search capped at {max_states:,} states")
        for label, action, t, edge_ok in edges:
            if not edge_ok:
                continue
            new_flag = (flag or product.mark[t]) if kind == "liveness" else label == last
            if t != s:
                relax(node(t, position, new_flag), cost + 1, (current, "insert", action), False)
            if position < n and (label == labels[position] or t != s):
                same = label == labels[position]
                relax(node(t, position + 1, new_flag), cost + (not same), (current, "take", action), same)
    if not goals:
        return NearestRun(None, None, (), 0, popped, True, 0, _goal_text(prop, last),
                          "no run in the reachable graph passes")
    candidates = [_rebuild(product, came, goal, width, trace, model) for goal in goals]
    run, alignment, differences = min(candidates, key=lambda c: (c[2], [str(s.action) for s in c[0].steps[1:]]))
    return NearestRun(run, best, alignment, differences, popped, True, best, _goal_text(prop, last))


def _capped(prop, last: str, searched: int, cost: int, note: str) -> NearestRun:
    """No passing run found before a cap: every run within ``cost - 1`` edits was searched."""
    return NearestRun(None, None, (), 0, searched, False, max(cost - 1, 0), _goal_text(prop, last), note)


def _rebuild(product: _Product, came: dict, goal: int, width: int, trace: Trace, model):
    """The run, the alignment and the field differences along it, back from ``goal``."""
    moves = []
    current = goal
    while came[current] is not None:
        previous, op, action = came[current]
        moves.append((op, action, current // width, (previous % width) // 2, (current % width) // 2))
        current = previous
    moves.reverse()
    steps = [Step(None, product.states[current // width])]
    alignment, differences = [], 0
    fields_of = {}

    def fields(state_index=None, trace_index=None):
        key = ("run", state_index) if trace_index is None else ("trace", trace_index)
        if key not in fields_of:
            state = product.states[state_index] if trace_index is None else trace.steps[trace_index].state
            fields_of[key] = state_fields(model, state)
        return fields_of[key]

    for op, action, state_index, before, after in moves:
        if op == "delete":
            alignment.append(Aligned(ONLY_COUNTEREXAMPLE, before + 2, None))
            continue
        steps.append(Step(action, product.states[state_index]))
        if op == "insert":
            alignment.append(Aligned(ONLY_RUN, None, len(steps)))
            continue
        same = str(action) == str(trace.steps[after].action)
        alignment.append(Aligned(SAME if same else CHANGED, after + 1, len(steps)))
        differences += len(changed_fields(fields(trace_index=after), fields(state_index=state_index)))
    return Trace(tuple(steps)), tuple(alignment), differences


# -- other configurations ------------------------------------------------------------------------
@attrs.frozen
class Variant:
    """An alternative model to replay a trace on: ``name`` says what changed (``knob=value``)."""

    name: str
    model: Any
    prop: Any


@attrs.frozen
class VariantOutcome:
    """``status``: impossible (at ``step``), passes (no longer violating; ``step`` is the first
    step whose effect differs), or violates; ``detail`` one line saying what differs."""

    name: str
    status: str
    step: int | None
    detail: str

    @property
    def blocks(self) -> bool:
        return self.status in (IMPOSSIBLE, PASSES)


def replay_variants(model, trace: Trace, variants: Sequence[Variant], match=same_label) -> tuple[VariantOutcome, ...]:
    """``trace`` (found on ``model``) replayed action by action on each variant."""
    return tuple(_replay_variant(model, trace, v, match) for v in variants)


def _replay_variant(model, trace: Trace, variant: Variant, match) -> VariantOutcome:
    init_fields = jsonable(state_fields(model, trace.steps[0].state))
    inits = variant.model.init_states()
    start = next((s for s in inits if jsonable(state_fields(variant.model, s)) == init_fields), inits[0])
    actions = [s.action for s in trace.steps[1:]]
    replayed = replay_changed(variant.model, variant.prop, start, actions, trace.loop, match)
    if replayed.status == VIOLATES:
        return VariantOutcome(variant.name, VIOLATES, None, "still violates")
    if replayed.status == IMPOSSIBLE:
        # the steps that did run: where the behaviour differed before it stopped
        ran = replayed.trace or Trace((Step(None, start),
                                       *replay_actions(variant.model, start, actions[:replayed.step - 2], match)))
        differences = effect_differences(model, trace, variant.model, ran)
        return VariantOutcome(variant.name, IMPOSSIBLE, replayed.step,
                              replayed.detail + (f"; before it, {_differences_text(differences)}" if differences else ""))
    differences = effect_differences(model, trace, variant.model, replayed.trace)
    return VariantOutcome(variant.name, PASSES, differences[0][0] if differences else None,
                          _differences_text(differences) if differences else "every step has the same effect")


SHOWN_DIFFERENCES = 3


def _differences_text(differences: list[tuple[int, str]]) -> str:
    steps = [step for step, _ in differences]
    shown = "; ".join(text for _, text in differences[:SHOWN_DIFFERENCES])
    more = f" (and steps {', '.join(map(str, steps[SHOWN_DIFFERENCES:]))})" if len(steps) > SHOWN_DIFFERENCES else ""
    return f"steps {', '.join(map(str, steps))} differ: {shown}{more}" if len(steps) > 1 else shown


def effect_differences(model_a, trace_a: Trace, model_b, trace_b: Trace) -> list[tuple[int, str]]:
    """The steps whose label or effect (the fields they change) differs between two runs of the
    same actions, as (step number, text)."""
    out = []
    before_a = before_b = None
    for i, (a, b) in enumerate(zip(trace_a.steps, trace_b.steps)):
        fields_a, fields_b = state_fields(model_a, a.state), state_fields(model_b, b.state)
        if i and str(a.action) != str(b.action):
            out.append((i + 1, f"step {i + 1} is {b.action} instead of {a.action}"))
        elif i:
            effect_a, effect_b = changed_fields(before_a, fields_a), changed_fields(before_b, fields_b)
            leaves = [leaf for k in dict.fromkeys([*effect_a, *effect_b])
                      for leaf in _leaf_differences(k, jsonable(fields_a.get(k)), jsonable(fields_b.get(k)))]
            if leaves:
                shown = ", ".join(f"{path} = {_short(new)} (was {_short(old)})" for path, old, new in leaves[:3])
                out.append((i + 1, f"step {i + 1} ({a.action}) leaves {shown}" + (" …" if len(leaves) > 3 else "")))
        before_a, before_b = fields_a, fields_b
    return out


def _leaf_differences(path: str, old, new) -> list[tuple[str, Any, Any]]:
    """(path, old, new) of each differing leaf of two JSON values; objects with the same keys
    are compared key by key, lists of the same length item by item, anything else whole."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys():
        return [leaf for k in old for leaf in _leaf_differences(f"{path}.{k}", old[k], new[k])]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [leaf for i, (x, y) in enumerate(zip(old, new)) for leaf in _leaf_differences(f"{path}[{i}]", x, y)]
    return [(path, old, new)]


def _short(value, limit: int = 90) -> str:
    import json

    text = json.dumps(jsonable(value))
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- the whole explanation -----------------------------------------------------------------------
@attrs.frozen
class Explanation:
    property: str
    clause: Clause
    roles: tuple[StepRole, ...]
    nearest: NearestRun
    variants: tuple[VariantOutcome, ...]
    variants_note: str = ""

    @property
    def essential(self) -> tuple[int, ...]:
        return tuple(r.step for r in self.roles if r.essential)

    @property
    def blocking(self) -> tuple[VariantOutcome, ...]:
        return tuple(v for v in self.variants if v.blocks)


def explain(model, prop, trace: Trace, variants: Sequence[Variant] = (), match=same_label,
            max_nodes: int = MAX_NODES, variants_note: str = "", max_states: int | None = None) -> Explanation:
    """Every part of the explanation of ``trace``, a counterexample to ``prop`` on ``model``
    (``max_nodes`` and ``max_states`` cap the nearest-run search)."""
    name = DEADLOCK if prop == DEADLOCK else prop.name
    return Explanation(name, violated_clause(model, prop, trace), step_roles(model, prop, trace),
                       nearest_passing_run(model, prop, trace, max_nodes, max_states),
                       replay_variants(model, trace, variants, match), variants_note)
