"""Seeded random walks over any model: simulation beyond the bounds an exhaustive search can reach.

A walk starts at a random initial state and takes uniformly random state-changing successors
(of the very ``successors(state)`` the BFS expands) for at most ``depth`` states, initial state
included (the BFS's depth convention). It ends early at a state without successors, and at a
state whose every successor is a self-loop (nothing can change any more). Invariants are
checked on every state a walk visits; step properties on every step it takes and on every
self-loop of a state it visits (a self-loop does not move the walk, so checking it in place
costs no depth); deadlock at a non-terminal dead end. For each violated property the shortest trace over all walks is kept.

A random walk cannot show that a liveness property holds, nor find a lasso; with
``drain_steps`` it can show a *hint* of a violation: after each walk, :func:`drain` keeps taking
only the actions the property's fairness names and reports a state where P held that no Q
followed within that many steps (see :func:`drain` for exactly what that does and does not
mean). ``Sometimes`` properties are not judged: a walk that never met one proves nothing.

Determinism: every choice comes from one ``random.Random(seed)`` in successor order, and the
only set kept (of fingerprints, for the distinct count) is never iterated, so the same seed on
the same model gives the same result under any ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable

import attrs

from .fingerprint import FP_MASK, stable_fingerprint
from .properties import DEADLOCK, Liveness
from .result import VIOLATED, Step, Trace, Verdict
from .trace import action_name


# drain outcomes
REACHED = "reached"  # every pending P state was followed by a Q state
NOTHING_PENDING = "nothing pending"  # the walk left no P state without a later Q state
STUCK = "stuck"  # no fair action is enabled and Q never came: a genuine fair counterexample
EXHAUSTED = "exhausted"  # Q did not come within the step budget: a hint, not a proof
DRAIN_SHAPES = ("leads_to", "always_eventually")


@attrs.frozen
class SimulationResult:
    """What a simulation found. ``violations`` holds, per violated property, a Verdict whose
    trace is the shortest found; ``checked`` names what the walks could judge and ``skipped``
    what they could not (``Sometimes``, and liveness without ``drain_steps``)."""

    violations: dict[str, Verdict]
    checked: tuple[str, ...]
    skipped: tuple[str, ...]
    runs: int
    steps: int
    distinct: int
    elapsed: float
    seed: int
    depth: int
    interrupted: bool = False

    @property
    def traces(self) -> dict[str, Trace]:
        return {name: v.trace for name, v in self.violations.items()}

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0


@attrs.frozen
class DrainOutcome:
    """The result of :func:`drain`: ``trace`` is the walk followed by the fair steps taken;
    ``pending`` the index (in ``trace``) of the earliest P state no Q state followed."""

    status: str
    trace: Trace
    pending: int | None

    @property
    def violated(self) -> bool:
        return self.status in (STUCK, EXHAUSTED)


# -- drain: the liveness hint --------------------------------------------------------------------
def earliest_pending(states, p: Callable | None, q: Callable, start: int = 0,
                     pending: int | None = None) -> int | None:
    """The index of the earliest state where P held and no state from it on satisfies Q
    (``p=None`` is TRUE, as in ``[]<>Q``); ``pending`` carries the answer over a prefix."""
    for i, state in enumerate(states, start=start):
        if q(state):
            pending = None
        elif pending is None and (p is None or p(state)):
            pending = i
    return pending


def fair_moves(model, state, prop: Liveness) -> list[tuple[Any, Any]]:
    """Successors by an action the property's fairness names, self-loops left out (a stutter
    step takes no action, so it cannot be what fairness promises)."""
    return [(a, nxt) for a, nxt in model.successors(state)
            if prop.fairness_of(action_name(a)) is not None and nxt != state]


def drain(model, trace: Trace, prop: Liveness, max_steps: int,
          rng: random.Random | None = None) -> DrainOutcome:
    """After a walk, take only fair actions until every pending P state has met Q.

    Each step takes a fair, state-changing successor: the first in successor order when
    ``rng`` is None, else one chosen by ``rng``. Outcomes:

    * ``stuck``: no fair action is enabled and Q has not come since P. Staying here forever
      is then a fair behaviour, so this *is* a counterexample (a stuttering lasso).
    * ``exhausted``: ``max_steps`` fair steps did not reach Q. This is only a hint: this
      drained run did not reach Q within N steps; another choice of fair actions, or more
      steps, might. A sound check of liveness needs the exhaustive search.
    * ``reached`` / ``nothing pending``: no violation seen.
    """
    if prop.shape not in DRAIN_SHAPES:
        raise ValueError(f"drain checks leads_to and always_eventually, not {prop.shape}")
    steps = list(trace.steps)
    pending = earliest_pending((s.state for s in steps), prop.p, prop.q)
    if pending is None:
        return DrainOutcome(NOTHING_PENDING, trace, None)
    for _ in range(max_steps):
        moves = fair_moves(model, steps[-1].state, prop)
        if not moves:
            return DrainOutcome(STUCK, Trace(tuple(steps), loop=len(steps) - 1, stutter=True), pending)
        action, nxt = moves[0] if rng is None else moves[rng.randrange(len(moves))]
        steps.append(Step(action, nxt))
        pending = earliest_pending([nxt], prop.p, prop.q, start=len(steps) - 1, pending=pending)
        if pending is None:
            return DrainOutcome(REACHED, Trace(tuple(steps)), None)
    return DrainOutcome(EXHAUSTED, Trace(tuple(steps)), pending)


# -- one walk ------------------------------------------------------------------------------------
@attrs.define
class _Checks:
    """The properties a walk checks, split by kind."""

    invariants: list
    steps: list
    liveness: list
    deadlock: bool
    is_terminal: Callable[[Any], bool]


def _walk(model, rng: random.Random, inits: list, depth: int, checks: _Checks,
          seen_add: Callable[[int], None], fingerprint) -> tuple[list[Step], dict[str, tuple[str, Trace]]]:
    """One random walk: its steps, and per property violated on it ``(kind, trace)``."""
    state = inits[rng.randrange(len(inits))]
    steps = [Step(None, state)]
    found: dict[str, tuple[str, Trace]] = {}
    _check_state(checks, steps, found)
    seen_add(fingerprint(state) & FP_MASK)
    while len(steps) < depth:
        succs = model.successors(state)
        if not succs:
            if checks.deadlock and not checks.is_terminal(state):
                found.setdefault(DEADLOCK, ("deadlock", Trace(tuple(steps))))
            break
        moves = _moves_checking_stutters(succs, state, checks, steps, found)
        if not moves:
            break  # only stutter steps are left: the walk cannot change anything any more
        action, nxt = moves[rng.randrange(len(moves))]
        _check_step(checks, state, action, nxt, steps, found)
        steps.append(Step(action, nxt))
        state = nxt
        _check_state(checks, steps, found)
        seen_add(fingerprint(state) & FP_MASK)
    return steps, found


def _moves_checking_stutters(succs, state, checks: _Checks, steps: list[Step], found: dict) -> list:
    """The state-changing successors. Self-loops are checked by step properties here, in
    place, so that a walk spends its depth on steps that change something."""
    moves = []
    for action, nxt in succs:
        if nxt != state:
            moves.append((action, nxt))
        else:
            _check_step(checks, state, action, nxt, steps, found)
    return moves


def _check_step(checks: _Checks, state, action, nxt, steps: list[Step], found: dict) -> None:
    for prop in checks.steps:
        if prop.name not in found and not prop.predicate(state, action, nxt):
            found[prop.name] = ("step", Trace(tuple(steps) + (Step(action, nxt),)))


def _check_state(checks: _Checks, steps: list[Step], found: dict) -> None:
    state = steps[-1].state
    for prop in checks.invariants:
        if prop.name not in found and not prop.predicate(state):
            found[prop.name] = ("invariant", Trace(tuple(steps)))


def _drain_violations(model, steps: list[Step], checks: _Checks, drain_steps: int,
                      rng: random.Random) -> dict[str, tuple[str, Trace, str]]:
    out = {}
    for prop in checks.liveness:
        outcome = drain(model, Trace(tuple(steps)), prop, drain_steps, rng)
        if outcome.violated:
            why = ("no fair action is enabled and Q never came (a fair behaviour stutters here)"
                   if outcome.status == STUCK else
                   f"Q not reached within {drain_steps} fair steps: a hint, not a proof")
            out[prop.name] = ("liveness", outcome.trace, f"state {outcome.pending + 1} (P): {why}")
    return out


# -- the simulation ------------------------------------------------------------------------------
def simulate(model, properties=(), runs: int = 100, depth: int = 100, seed: int = 0, *,
             deadlock: bool = True, drain_steps: int = 0, max_seconds: float | None = None,
             progress: Callable[[dict], None] | None = None,
             progress_interval: float = 0.5) -> SimulationResult:
    """Run ``runs`` seeded random walks of at most ``depth`` states and check ``properties``.

    ``drain_steps > 0`` adds the drain hint for ``leads_to`` / ``always_eventually``
    properties (see :func:`drain`); ``max_seconds`` stops between walks. Ctrl-C returns the
    walks done so far with ``interrupted`` set.
    """
    names = [p.name for p in properties]
    if len(set(names)) != len(names) or (deadlock and DEADLOCK in names):
        raise ValueError("property names must be unique (and 'deadlock' is built in)")
    if runs < 1 or depth < 1 or drain_steps < 0:
        raise ValueError("runs and depth must be at least 1, drain_steps at least 0")
    checks = _Checks(
        invariants=[p for p in properties if p.kind == "invariant"],
        steps=[p for p in properties if p.kind == "step"],
        liveness=[p for p in properties if p.kind == "liveness" and p.shape in DRAIN_SHAPES
                  and drain_steps > 0],
        deadlock=deadlock,
        is_terminal=getattr(model, "is_terminal", None) or (lambda state: False),
    )
    checked = tuple(p.name for p in checks.invariants + checks.steps + checks.liveness)
    checked += (DEADLOCK,) if deadlock else ()
    skipped = tuple(n for n in names if n not in checked)
    fingerprint = getattr(model, "fingerprint", None) or stable_fingerprint
    rng = random.Random(seed)
    inits = list(model.init_states())
    seen: set[int] = set()
    best: dict[str, Verdict] = {}
    done = steps_taken = 0
    interrupted = False
    started = last_progress = time.perf_counter()
    try:
        while done < runs:
            if max_seconds is not None and time.perf_counter() - started > max_seconds:
                break
            walk, found = _walk(model, rng, inits, depth, checks, seen.add, fingerprint)
            for name, (kind, trace) in found.items():
                _keep_shortest(best, Verdict(name, kind, VIOLATED, trace))
            for name, (kind, trace, message) in _drain_violations(model, walk, checks, drain_steps, rng).items():
                _keep_shortest(best, Verdict(name, kind, VIOLATED, trace, message))
            done += 1
            steps_taken += len(walk) - 1
            now = time.perf_counter()
            if progress is not None and now - last_progress >= progress_interval:
                last_progress = now
                progress({"runs": done, "steps": steps_taken, "distinct": len(seen),
                          "violations": len(best), "elapsed": now - started})
    except KeyboardInterrupt:
        interrupted = True
    ordered = {n: best[n] for n in names + [DEADLOCK] if n in best}
    return SimulationResult(ordered, checked, skipped, done, steps_taken, len(seen),
                            time.perf_counter() - started, seed, depth, interrupted)


def _keep_shortest(best: dict[str, Verdict], verdict: Verdict) -> None:
    # ties keep the earlier walk, so the answer does not depend on anything but the seed
    known = best.get(verdict.name)
    if known is None or len(verdict.trace) < len(known.trace):
        best[verdict.name] = verdict
