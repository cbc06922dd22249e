"""Seeded random walks over any model: simulation beyond the bounds an exhaustive search can reach.

A walk starts at a random initial state and takes random state-changing successors (of the very
``successors(state)`` the BFS expands); its path holds at most ``depth`` states, initial state
included (the BFS's depth convention). A path ends at a state without successors (*absorbing*
if the model calls it terminal, else a *deadlock*), at a state whose every successor is a
self-loop (*quiescent*: nothing can change any more), or at the depth bound. How a walk picks
its steps, and whether a path that ends early restarts from a random state of itself until the
walk's budget of ``depth - 1`` steps is spent, is the walk's :class:`~explorer.schedule.Strategy`
(:mod:`explorer.schedule`: uniform, swarm, focus, hold, learn, restart, corpus). Invariants are checked on
every state a walk visits; step properties on every step it takes and on every self-loop of a
state it visits (a self-loop does not move the walk, so checking it in place costs no depth);
deadlock at a non-terminal dead end. A violation does not end a walk: it goes on and may
violate another property. For each violated property the shortest trace over all walks is
kept, with the first walk that found it, its configuration, and how many walks found it.

A random walk cannot show that a liveness property holds, nor find a lasso; with
``drain_steps`` it can show a *hint* of a violation: at the end of each path, :func:`drain`
keeps taking only the actions the property's fairness names and reports a state where P held
that no Q followed within that many steps (see :func:`drain` for exactly what that does and
does not mean). ``Sometimes`` properties are not judged: a walk that never met one proves
nothing.

Determinism: walk number k draws every choice from its own ``random.Random`` seeded by
``(seed, k)`` (:func:`explorer.schedule.walk_rng`), in successor order; what the engine learns
comes from the walks before it; the only set kept (of fingerprints, for the distinct count) is
never iterated. So the same seed on the same model gives the same walks under any
``PYTHONHASHSEED``, and a time budget only decides how many of them run.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from typing import Any, Callable, Sequence

import attrs

from .fingerprint import FP_MASK, stable_fingerprint
from .levels import add_counts
from .properties import DEADLOCK, STRONG, WEAK, Liveness
from .result import VIOLATED, Step, Trace, Verdict
from .schedule import (CORPUS, DEFAULT_STRATEGY, LEARN, RESTART, Corpus, Learner, Strategy, WalkConfig, choose,
                       declared_absorbing, declared_replicas, draw_config, first_seen, replica_pairs, split_stutters,
                       walk_rng)
from .trace import action_name


# drain outcomes
REACHED = "reached"  # every pending P state was followed by a Q state
NOTHING_PENDING = "nothing pending"  # the walk left no P state without a later Q state
STUCK = "stuck"  # no fair action is enabled and Q never came: a genuine fair counterexample
FAIR_CYCLE = "fair cycle"  # the drain came back to a state over a fair cycle without Q: a lasso
EXHAUSTED = "exhausted"  # Q did not come within the step budget: a hint, not a proof
DRAIN_SHAPES = ("leads_to", "always_eventually")
DRAIN_WHY = {  # what a violating drain outcome shows, for the verdict's detail
    STUCK: "no fair action is enabled and Q never came (a fair behaviour stutters here)",
    FAIR_CYCLE: "a fair cycle without Q came back to its start: a lasso, a real counterexample",
    EXHAUSTED: "Q not reached within {steps} fair steps: a hint, not a proof",
}

# why a path ended
DEPTH = "depth"  # it holds ``depth`` states
BUDGET = "budget"  # the walk's steps are spent (only after a restart)
ABSORBING = "absorbing"  # a terminal state: no successors, an intended end
DEAD_END = "deadlock"  # no successors, not terminal
QUIESCENT = "quiescent"  # only self-loops: nothing can change any more
END_REASONS = (DEPTH, BUDGET, ABSORBING, DEAD_END, QUIESCENT)
EARLY_ENDS = (ABSORBING, DEAD_END, QUIESCENT)  # what a learning engine holds against the last step

# why the simulation stopped
RUNS_DONE = "runs"
TIME_UP = "time"
ALL_VIOLATED = "all violated"  # every checked property has a counterexample (not a hint): nothing left to find
INTERRUPTED = "interrupted"


@attrs.frozen
class Find:
    """Who found a violated property: the first walk (numbered from 1) that violated it, how far
    into the simulation that walk ended (``seconds``, a timing field: it varies run to run), its
    configuration, how many walks violated it in all, and per action name how many of those had
    it switched on (with swarm: an action on in far fewer than half of them suppresses the
    violation, in far more it triggers it)."""

    walk: int
    seconds: float
    config: WalkConfig
    walks: int
    on: dict


@attrs.frozen
class WalkStats:
    """What the walks did, to explain a result: per path its length when it ended and why;
    steps per action name; restarts; and after each walk the distinct states and steps so far
    (the new-state rate over the run); the walks that went on from the corpus."""

    path_lengths: dict  # states on a path when it ended -> paths
    ends: dict  # why a path ended -> paths
    actions: dict  # action name -> steps taken
    last_resort: dict  # action name -> steps taken because the walk's configuration preferred nothing enabled
    restarts: int
    walks_violating: int  # walks that violated at least one property
    distinct_after: array  # distinct states after each walk
    steps_after: array  # steps taken after each walk
    from_corpus: int = 0  # walks that started at the end of a kept path


@attrs.frozen
class SimulationResult:
    """What a simulation found. ``violations`` holds, per violated property, a Verdict whose
    trace is the shortest found, and ``finds`` who found it; ``checked`` names what the walks
    could judge and ``skipped`` what they could not (``Sometimes``, and liveness without
    ``drain_steps``); ``stopped`` says why no more walks ran; ``absorbing`` the action names
    held back as the model declared them and as the walks learned them."""

    violations: dict[str, Verdict]
    checked: tuple[str, ...]
    skipped: tuple[str, ...]
    runs: int
    steps: int
    distinct: int
    elapsed: float
    seed: int
    depth: int
    strategy: Strategy = DEFAULT_STRATEGY
    finds: dict[str, Find] = attrs.Factory(dict)
    stats: WalkStats | None = None
    stopped: str = RUNS_DONE
    declared: frozenset = frozenset()
    learned: frozenset = frozenset()

    @property
    def interrupted(self) -> bool:
        return self.stopped == INTERRUPTED

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
        return self.status in DRAIN_WHY


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
    fair = dict(prop.fairness)
    return [(a, nxt) for a, nxt in model.successors(state) if action_name(a) in fair and nxt != state]


def unfair_obligation(model, prop: Liveness, cycle: Sequence[Step]) -> str | None:
    """The first fairness obligation a cycle breaks, or None when repeating it forever is a fair
    behaviour. ``cycle`` runs from a state back to the same state; fairness is per action (name
    and arguments), and a self-loop neither takes nor enables an action (explorer.liveness)."""
    taken = {step.action for before, step in zip(cycle, cycle[1:]) if step.state != before.state}
    enabled_in: dict = {}
    for step in cycle:
        for action, _ in fair_moves(model, step.state, prop):
            enabled_in.setdefault(action, set()).add(id(step))
    for action, where in enabled_in.items():
        kind = prop.fairness_of(action_name(action))
        if action not in taken and (kind == STRONG or len(where) == len(cycle)):
            return (f"{action} is {kind}ly fair and enabled "
                    f"{'throughout' if kind == WEAK else 'in'} the cycle, never taken")
    return None


def drain(model, trace: Trace, prop: Liveness, max_steps: int,
          rng: random.Random | None = None, hold: frozenset = frozenset()) -> DrainOutcome:
    """After a walk, take only fair actions until every pending P state has met Q.

    Each step takes a fair, state-changing successor: of those, the action taken least
    recently in this drain (a round-robin scheduler, so an action that stays enabled is soon
    taken); ties go to the first in successor order when ``rng`` is None, else to one chosen by
    ``rng``. An action named in ``hold`` (an absorbing one, say: the fuse) is taken only when
    no other fair action is enabled; the outcomes below stay what they are, since a cycle that
    leaves a held action enabled throughout breaks its fairness and is not reported. Outcomes:

    * ``stuck``: no fair action is enabled and Q has not come since P. Staying here forever
      is then a fair behaviour, so this *is* a counterexample (a stuttering lasso).
    * ``fair cycle``: the drain came back to a state it had visited, and the steps between
      keep every fairness obligation (:func:`unfair_obligation`). Repeating them forever is a
      fair behaviour in which Q never comes, so this too *is* a counterexample (a lasso).
    * ``exhausted``: ``max_steps`` fair steps did not reach Q nor close a fair cycle. This is
      only a hint: another choice of fair actions, or more steps, might reach Q. A sound
      check of liveness needs the exhaustive search.
    * ``reached`` / ``nothing pending``: no violation seen.
    """
    if prop.shape not in DRAIN_SHAPES:
        raise ValueError(f"drain checks leads_to and always_eventually, not {prop.shape}")
    pending = earliest_pending((s.state for s in trace.steps), prop.p, prop.q)
    if pending is None:
        return DrainOutcome(NOTHING_PENDING, trace, None)
    return drain_from(model, trace.steps, {prop: pending}, max_steps, rng, hold)[prop.name]


def drain_from(model, path: Sequence[Step], pending: dict, max_steps: int,
               rng: random.Random | None = None, hold: frozenset = frozenset()) -> dict[str, DrainOutcome]:
    """:func:`drain` for several properties at once, from ``path``: ``pending`` maps each
    property to the earliest pending P state of ``path``; all of them assume the same fairness,
    so one drain serves them all (it goes on while one is still pending). Returns an outcome
    per property name."""
    pending = dict(pending)
    fairness = next(iter(pending))  # they share it: any of them judges moves and cycles
    steps = list(path)
    outcomes: dict[str, DrainOutcome] = {}

    def end(status: str, trace: Trace) -> dict[str, DrainOutcome]:
        outcomes.update((prop.name, DrainOutcome(status, trace, at)) for prop, at in pending.items())
        return outcomes

    # Every drained state comes after each pending P with its Q false, so any cycle among them
    # is a candidate lasso; ``visited`` keeps each state's latest index.
    visited: dict = {}
    last_taken: dict = {}
    for _ in range(max_steps):
        here = len(steps) - 1
        state = steps[here].state
        if state in visited and unfair_obligation(model, fairness, steps[visited[state]:]) is None:
            return end(FAIR_CYCLE, Trace(tuple(steps), loop=visited[state]))
        visited[state] = here
        moves = fair_moves(model, state, fairness)
        if not moves:
            return end(STUCK, Trace(tuple(steps), loop=here, stutter=True))
        unheld = [move for move in moves if action_name(move[0]) not in hold]
        action, nxt = _least_recently_taken(unheld or moves, last_taken, rng)
        last_taken[action] = here
        steps.append(Step(action, nxt))
        for prop in [prop for prop in pending if prop.q(nxt)]:
            outcomes[prop.name] = DrainOutcome(REACHED, Trace(tuple(steps)), None)
            del pending[prop]
        if not pending:
            return outcomes
    return end(EXHAUSTED, Trace(tuple(steps)))


def _least_recently_taken(moves: list, last_taken: dict, rng: random.Random | None):
    oldest = min(last_taken.get(action, -1) for action, _ in moves)
    ties = [move for move in moves if last_taken.get(move[0], -1) == oldest]
    return ties[0] if rng is None else ties[rng.randrange(len(ties))]


# -- one walk ------------------------------------------------------------------------------------
@attrs.define
class _Checks:
    """The properties a walk checks, split by kind."""

    invariants: list
    steps: list
    liveness: list
    deadlock: bool
    drain_steps: int
    drain_groups: list = attrs.field(init=False)  # the liveness properties by fairness: one drain each

    def __attrs_post_init__(self) -> None:
        groups: dict = {}
        for prop in self.liveness:
            groups.setdefault(prop.fairness, []).append(prop)
        self.drain_groups = list(groups.values())


@attrs.define
class _WalkOutcome:
    """What one walk did: its violations (``name -> Verdict``, the first per property), steps,
    paths ``(why it ended, states)``, restarts, and per action name the steps taken, those
    taken as a last resort (the configuration preferred nothing enabled), and the paths that
    ended right after one of them (for the learner)."""

    found: dict = attrs.Factory(dict)
    steps: int = 0
    paths: list = attrs.Factory(list)
    restarts: int = 0
    taken: dict = attrs.Factory(dict)
    last_resort: dict = attrs.Factory(dict)
    ended: dict = attrs.Factory(dict)
    new_at: int = 0  # states on the current path up to its last new state (0: none new)
    novel: list = attrs.Factory(list)  # paths up to their last new state, for the corpus


class _Walker:
    """Takes walks over one model with fixed checks; ``seen`` gathers every visited fingerprint."""

    def __init__(self, model, checks: _Checks, depth: int, restart: bool) -> None:
        self.model, self.checks, self.depth, self.restart = model, checks, depth, restart
        self.is_terminal = getattr(model, "is_terminal", None) or (lambda state: False)
        self.fingerprint = getattr(model, "fingerprint", None) or stable_fingerprint
        self.inits = list(model.init_states())
        self.seen: set[int] = set()
        self.best: dict[str, Verdict] = {}  # the simulation's shortest counterexample per property
        self.drained: set = set()  # (fingerprint, pending property names) of every drain's start
        self._names: dict = {}  # action label -> its name, computed once per label
        self.replicas = declared_replicas(model)
        self._replicas: dict = {}  # action label -> its replica pairs, computed once per label

    def name_of(self, action) -> str:
        name = self._names.get(action)
        if name is None:
            name = self._names[action] = action_name(action)
        return name

    def replicas_of(self, action) -> frozenset:
        pairs = self._replicas.get(action)
        if pairs is None:
            pairs = self._replicas[action] = replica_pairs(action, self.replicas)
        return pairs

    def walk(self, rng: random.Random, config: WalkConfig, start: tuple | None = None) -> _WalkOutcome:
        """One walk: a path from a random initial state, or from ``start`` (a path an earlier
        walk took and checked); with ``restart``, after each path end with steps left, the
        path backs up to a random earlier state of itself and goes on. Each path that reached
        a state no walk had visited is handed over in ``out.novel`` up to its last new state."""
        out = _WalkOutcome()
        if start:
            path = list(start)
        else:
            path = [Step(None, self.inits[rng.randrange(len(self.inits))])]
            self._visit(path, out)
        budget = self.depth - 1
        while True:
            why = self._extend(path, rng, config, out, budget - out.steps)
            out.paths.append((why, len(path)))
            if out.new_at:
                out.novel.append(tuple(path[:out.new_at]))
                out.new_at = 0
            if why in EARLY_ENDS and len(path) > 1:
                name = self.name_of(path[-1].action)
                out.ended[name] = out.ended.get(name, 0) + 1
            self._drain(path, why, rng, config, out)
            if not self.restart or out.steps >= budget or len(path) < 2:
                return out
            del path[rng.randrange(len(path) - 1) + 1:]
            out.restarts += 1

    def _extend(self, path: list[Step], rng: random.Random, config: WalkConfig, out: _WalkOutcome,
                steps_left: int) -> str:
        """Extend ``path`` until it ends; return why it ended."""
        state = path[-1].state
        while len(path) < self.depth:
            if steps_left <= 0:
                return BUDGET
            succs = self.model.successors(state)
            if not succs:
                if self.is_terminal(state):
                    return ABSORBING
                if self.checks.deadlock:
                    out.found.setdefault(DEADLOCK, Verdict(DEADLOCK, "deadlock", VIOLATED, Trace(tuple(path))))
                return DEAD_END
            moves = self._moves_checking_stutters(succs, state, path, out)
            if not moves:
                return QUIESCENT
            (action, nxt), last_resort = choose(moves, config, len(path), self.name_of,
                                                lambda pool: pool[rng.randrange(len(pool))], self.replicas_of)
            self._check_step(state, action, nxt, path, out)
            path.append(Step(action, nxt))
            name = self.name_of(action)
            out.taken[name] = out.taken.get(name, 0) + 1
            if last_resort:
                out.last_resort[name] = out.last_resort.get(name, 0) + 1
            out.steps += 1
            steps_left -= 1
            state = nxt
            self._visit(path, out)
        return DEPTH

    def _visit(self, path: list[Step], out: _WalkOutcome) -> None:
        state = path[-1].state
        fingerprint = self.fingerprint(state) & FP_MASK
        if fingerprint not in self.seen:
            self.seen.add(fingerprint)
            out.new_at = len(path)
        for prop in self.checks.invariants:
            if prop.name not in out.found and not prop.predicate(state):
                out.found[prop.name] = Verdict(prop.name, "invariant", VIOLATED, Trace(tuple(path)))

    def _moves_checking_stutters(self, succs, state, path: list[Step], out: _WalkOutcome) -> list:
        """The state-changing successors. Self-loops are checked by step properties here, in
        place, so that a walk spends its depth on steps that change something."""
        moves, stutters = split_stutters(succs, state)
        for action, nxt in stutters:
            self._check_step(state, action, nxt, path, out)
        return moves

    def _check_step(self, state, action, nxt, path: list[Step], out: _WalkOutcome) -> None:
        for prop in self.checks.steps:
            if prop.name not in out.found and not prop.predicate(state, action, nxt):
                out.found[prop.name] = Verdict(prop.name, "step", VIOLATED,
                                               Trace(tuple(path) + (Step(action, nxt),)))

    def _drain(self, path: list[Step], why: str, rng: random.Random, config: WalkConfig,
               out: _WalkOutcome) -> None:
        """The liveness check at the end of a path (see :func:`drain`), one drain per group of
        properties that assume the same fairness. A path that ended in an absorbing state (the
        fuse's fallback, say) usually satisfies Q there, so the drain also starts one step
        earlier: there another fair action may be taken instead. A drain that took an
        absorbing action the walk holds back (``config.held``: the fuse, taken as soon as it is
        enabled, ends a drain before the other dispatchers settle into the cycle a
        counterexample needs) is run again with it held back in the drain too; the second
        counts only where it shows a real counterexample (stuck or a fair cycle)."""
        starts = [path, path[:-1]] if why == ABSORBING and len(path) > 1 else [path]
        for group in self.checks.drain_groups:
            for start in starts:
                pending = self._pending(group, start, out)
                if not pending or not self._first_drain(start[-1].state, pending):
                    continue
                outcomes = drain_from(self.model, start, pending, self.checks.drain_steps, rng)
                if self._took(config.held, outcomes.values(), len(start)):
                    again = drain_from(self.model, start, pending, self.checks.drain_steps, rng, config.held)
                    outcomes.update((name, o) for name, o in again.items() if o.status in (STUCK, FAIR_CYCLE))
                for name, outcome in outcomes.items():
                    if outcome.violated:
                        detail = DRAIN_WHY[outcome.status].format(steps=self.checks.drain_steps)
                        out.found[name] = Verdict(name, "liveness", VIOLATED, outcome.trace,
                                                  f"state {outcome.pending + 1} (P): {detail}")

    def _first_drain(self, state, pending: dict) -> bool:
        """Whether no drain for these properties has started from ``state`` yet: the future of
        a state is the same whatever path led to it, so a second drain would mostly repeat the
        first (walks that restart or go on from the corpus come back to the same ends)."""
        key = (self.fingerprint(state) & FP_MASK, frozenset(prop.name for prop in pending))
        if key in self.drained:
            return False
        self.drained.add(key)
        return True

    def _pending(self, group: list[Liveness], start: list[Step], out: _WalkOutcome) -> dict:
        """The properties of ``group`` worth a drain from ``start``, with their earliest pending
        P state: not yet found by this walk, and able to beat the shortest lasso known (a
        drain's trace starts with the whole of ``start``)."""
        pending = {}
        for prop in group:
            known = self.best.get(prop.name)
            if prop.name in out.found or (known and not is_hint(known) and len(start) >= len(known.trace)):
                continue
            at = earliest_pending((step.state for step in start), prop.p, prop.q)
            if at is not None:
                pending[prop] = at
        return pending

    def _took(self, names: frozenset, outcomes, start: int) -> bool:
        """Whether the drain took one of ``names`` (its steps after ``start``; every outcome's
        trace is a prefix of the longest)."""
        if not names:
            return False
        longest = max((o.trace.steps for o in outcomes), key=len)
        return any(self.name_of(step.action) in names for step in longest[start:])


# -- the simulation ------------------------------------------------------------------------------
@attrs.define
class _Tally:
    """What the walks so far add up to (a mutable accumulator; frozen into the result)."""

    best: dict = attrs.Factory(dict)  # name -> Verdict with the shortest trace
    finds: dict = attrs.Factory(dict)  # name -> [first walk, seconds, config, walks, on-counts]
    path_lengths: dict = attrs.Factory(dict)
    ends: dict = attrs.Factory(dict)
    actions: dict = attrs.Factory(dict)
    last_resort: dict = attrs.Factory(dict)
    restarts: int = 0
    walks_violating: int = 0
    steps: int = 0
    distinct_after: array = attrs.Factory(lambda: array("q"))
    steps_after: array = attrs.Factory(lambda: array("q"))
    from_corpus: int = 0

    def add(self, walk: int, seconds: float, config: WalkConfig, names, out: _WalkOutcome, distinct: int) -> None:
        for verdict in out.found.values():
            _keep_shortest(self.best, verdict)
            find = self.finds.setdefault(verdict.name, [walk, seconds, config, 0, dict.fromkeys(names, 0)])
            find[3] += 1
            for name in names:
                if name not in config.off:
                    find[4][name] = find[4].get(name, 0) + 1
        self.walks_violating += bool(out.found)
        for why, length in out.paths:
            self.ends[why] = self.ends.get(why, 0) + 1
            self.path_lengths[length] = self.path_lengths.get(length, 0) + 1
        add_counts(self.actions, out.taken, out.taken.values())
        add_counts(self.last_resort, out.last_resort, out.last_resort.values())
        self.restarts += out.restarts
        self.steps += out.steps
        self.distinct_after.append(distinct)
        self.steps_after.append(self.steps)

    def stats(self) -> WalkStats:
        return WalkStats(dict(sorted(self.path_lengths.items())), self.ends, self.actions, self.last_resort,
                         self.restarts,
                         self.walks_violating, self.distinct_after, self.steps_after, self.from_corpus)


def simulate(model, properties=(), runs: int | None = 100, depth: int = 100, seed: int = 0, *,
             strategy: Strategy = DEFAULT_STRATEGY, deadlock: bool = True, drain_steps: int = 0,
             max_seconds: float | None = None, progress: Callable[[dict], None] | None = None,
             progress_interval: float = 0.5) -> SimulationResult:
    """Run seeded random walks of at most ``depth`` states and check ``properties``.

    ``runs`` walks, or with ``runs=None`` as many as ``max_seconds`` allows; ``max_seconds``
    only stops between walks (a walk is never cut by time, so the walks that ran are exactly
    those ``runs=result.runs`` gives). The simulation also stops once every checked property has a
    counterexample (a drain's hint is not one). ``strategy`` says how walks choose (:mod:`explorer.schedule`); ``drain_steps > 0``
    adds the drain hint for ``leads_to`` / ``always_eventually`` properties (see :func:`drain`).
    Ctrl-C returns the walks done so far with ``stopped == "interrupted"``.
    """
    names = [p.name for p in properties]
    if len(set(names)) != len(names) or (deadlock and DEADLOCK in names):
        raise ValueError("property names must be unique (and 'deadlock' is built in)")
    if (runs is not None and runs < 1) or depth < 1 or drain_steps < 0:
        raise ValueError("runs and depth must be at least 1, drain_steps at least 0")
    if runs is None and max_seconds is None:
        raise ValueError("without a number of runs, give max_seconds")
    checks = _Checks(
        invariants=[p for p in properties if p.kind == "invariant"],
        steps=[p for p in properties if p.kind == "step"],
        liveness=[p for p in properties if p.kind == "liveness" and p.shape in DRAIN_SHAPES
                  and drain_steps > 0],
        deadlock=deadlock,
        drain_steps=drain_steps,
    )
    checked = tuple(p.name for p in checks.invariants + checks.steps + checks.liveness)
    checked += (DEADLOCK,) if deadlock else ()
    skipped = tuple(n for n in names if n not in checked)
    walker = _Walker(model, checks, depth, RESTART in strategy)
    vocabulary = dict.fromkeys(getattr(model, "action_names", tuple)())
    declared = declared_absorbing(model)
    learner = Learner()
    corpus = Corpus()
    tally = _Tally()
    walker.best = tally.best  # a drain that cannot beat a known lasso is not run
    stopped = RUNS_DONE
    started = last_progress = time.perf_counter()
    try:
        while runs is None or len(tally.steps_after) < runs:
            now = time.perf_counter()
            if max_seconds is not None and now - started > max_seconds:
                stopped = TIME_UP
                break
            walk = len(tally.steps_after)
            rng = walk_rng(seed, walk)
            absorbing = declared | (learner.absorbing() if LEARN in strategy else frozenset())
            config = draw_config(strategy, rng, tuple(vocabulary), absorbing, depth, walker.replicas)
            start = corpus.start(rng) if CORPUS in strategy else None
            tally.from_corpus += start is not None
            out = walker.walk(rng, config, start)
            if CORPUS in strategy:
                corpus.add(out.novel)
            now = time.perf_counter()
            tally.add(walk + 1, now - started, config, tuple(vocabulary), out, len(walker.seen))
            first_seen(out.taken, vocabulary)
            learner.record(out.taken, out.ended)
            if progress is not None and now - last_progress >= progress_interval:
                last_progress = now
                progress({"runs": walk + 1, "steps": tally.steps, "distinct": len(walker.seen),
                          "violations": len(tally.best), "elapsed": now - started})
            if checked and all(n in tally.best and not is_hint(tally.best[n]) for n in checked):
                stopped = ALL_VIOLATED
                break
    except KeyboardInterrupt:
        stopped = INTERRUPTED
    order = names + [DEADLOCK]
    violations = {n: tally.best[n] for n in order if n in tally.best}
    finds = {n: Find(*tally.finds[n]) for n in order if n in tally.finds}
    learned = learner.absorbing() - declared if LEARN in strategy else frozenset()
    return SimulationResult(violations, checked, skipped, len(tally.steps_after), tally.steps, len(walker.seen),
                            time.perf_counter() - started, seed, depth, strategy, finds, tally.stats(),
                            stopped, declared, learned)


def _keep_shortest(best: dict[str, Verdict], verdict: Verdict) -> None:
    # a counterexample beats a drain's hint, however long; ties keep the earlier walk, so the
    # answer does not depend on anything but the seed
    known = best.get(verdict.name)
    if known is None or _rank(verdict) < _rank(known):
        best[verdict.name] = verdict


def _rank(verdict: Verdict) -> tuple[bool, int]:
    return is_hint(verdict), len(verdict.trace)


def is_hint(verdict: Verdict) -> bool:
    """A liveness verdict whose trace is no lasso: the drain's hint, not a counterexample."""
    return verdict.kind == "liveness" and not verdict.trace.is_lasso


# -- the summary that explains a result ----------------------------------------------------------
QUANTILES = (("min", 0.0), ("p10", 0.1), ("median", 0.5), ("p90", 0.9), ("max", 1.0))
SLICES = 10  # the new-state rate is given per tenth of the walks
Z_99 = 2.576  # two-sided 99% normal quantile, for the swarm's trigger / suppressor calls


def walk_summary(result: SimulationResult) -> dict:
    """Why the walks did what they did, as plain data (for the table and for JSON): path
    lengths (mean and quantiles), why paths ended, the share of each action and how often it
    was a last resort, the new-state rate per tenth of the walks, and per violated property
    the actions that trigger or suppress it (swarm only)."""
    stats = result.stats
    paths = sum(stats.path_lengths.values())
    return {
        "paths": paths,
        "restarts": stats.restarts,
        "walks_from_corpus": stats.from_corpus,
        "walks_with_a_violation": stats.walks_violating,
        "path_length": _length_summary(stats.path_lengths),
        "ends": {why: stats.ends[why] for why in END_REASONS if stats.ends.get(why)},
        "actions": [{"action": name, "steps": n, "share": n / result.steps if result.steps else 0.0,
                     "last_resort": stats.last_resort.get(name, 0)}
                    for name, n in sorted(stats.actions.items(), key=lambda kv: (-kv[1], kv[0]))],
        "new_states": new_state_rate(stats.distinct_after, stats.steps_after),
        "swarm": {name: swarm_effects(find, stats.actions) for name, find in result.finds.items()}
                 if "swarm" in result.strategy else {},
    }


def _length_summary(lengths: dict) -> dict:
    total = sum(lengths.values())
    if not total:
        return {}
    out = {"mean": sum(k * n for k, n in lengths.items()) / total}
    for label, q in QUANTILES:
        out[label] = _nearest_rank(lengths, max(1, math.ceil(q * total)))
    return out


def _nearest_rank(counts: dict, rank: float) -> int:
    """The smallest key whose cumulative count reaches ``rank`` (keys in ascending order)."""
    seen = 0
    for key, n in counts.items():
        seen += n
        if seen >= rank:
            return key
    return key


def new_state_rate(distinct_after, steps_after, slices: int = SLICES) -> list[dict]:
    """Per slice of the walks (a tenth each, fewer slices if fewer walks): walks, new distinct
    states, steps, and new states per 1,000 steps. A rate that falls to nothing says more walks
    of this kind will find little new."""
    walks = len(distinct_after)
    bounds = sorted({walks * i // slices for i in range(slices + 1)})
    out = []
    for a, b in zip(bounds, bounds[1:]):
        new = distinct_after[b - 1] - (distinct_after[a - 1] if a else 0)
        steps = steps_after[b - 1] - (steps_after[a - 1] if a else 0)
        out.append({"walks": f"{a + 1}-{b}", "new_states": new, "steps": steps,
                    "per_1000_steps": 1000 * new / steps if steps else 0.0})
    return out


def swarm_effects(find: Find, taken: dict) -> dict:
    """Swarm's explanation of one violation (Groce et al. 2013): over the walks that found it,
    the share with each action switched on. Every walk switches each action off with chance
    1/2, so an action on in clearly more than half of them *triggers* the violation, in clearly
    fewer *suppresses* it ("clearly": the 99% Wilson interval of the share excludes 1/2).
    Only actions some walk took are judged."""
    triggers, suppressors = [], []
    for name, on in find.on.items():
        if not taken.get(name):
            continue
        low, high = _wilson(on, find.walks)
        if low > 0.5:
            triggers.append(name)
        elif high < 0.5:
            suppressors.append(name)
    return {"triggers": triggers, "suppressors": suppressors}


def _wilson(successes: int, n: int, z: float = Z_99) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    scale = 1 + z * z / n
    return (centre - spread) / scale, (centre + spread) / scale
