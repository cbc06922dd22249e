"""Hypothesis stateful testing over any model: the same ``successors`` the BFS expands, driven by
Hypothesis's random walks, which it shrinks to a short failure.

:func:`make_machine` builds a ``RuleBasedStateMachine`` whose single rule draws an index among
the state-changing successors of ``model.successors(state)`` (self-loops are checked in place,
as ``simulate`` does), so it can only ever take a transition the model allows. It uses the
scheduler ideas of :mod:`explorer.schedule` with Hypothesis's own tools: an ``initialize`` rule
draws the run's swarm configuration (a coin per action name), the model's replicas out of
focus and the point until which the model's absorbing actions are held back, so that
Hypothesis mutates and shrinks them like any other choice; a step draws among the moves the
configuration prefers (when it prefers none, the next pool ``schedule.choose`` names); where
nothing can move, with restart, the step's draw picks an earlier state of the path to go on
from; and ``target()`` on the run's distinct states steers generation towards
runs that get somewhere. Every step makes exactly one draw, whatever the state: the target
phase mutates earlier choices, and a run whose number of draws changed with them overran by the
thousand (``st.integers(0, 0)`` draws nothing, so a one-move step draws from ``0..1``).

Invariants are checked on every state the machine reaches, step properties on every step it
takes (and every self-loop of a state it reaches); a failure raises :class:`PropertyViolation`
(an ``AssertionError`` naming the property) that carries the trace and whose message is the
same table ``explore`` prints, so the shrunk failure reads like a BFS counterexample.
Liveness cannot be checked by a finite walk; see :func:`explorer.simulate.drain` for the hint
a test can take after one.
"""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import seed as hypothesis_seed
from hypothesis import settings, target
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from rich.console import Console

from .fingerprint import stable_fingerprint
from .report import trace_table
from .result import Step, Trace
from .schedule import (CORPUS, FOCUS, HOLD, LEARN, PLAIN, RESTART, SWARM, Strategy, WalkConfig, choose, declared_absorbing,
                       declared_replicas, draw_unfocused, replica_pairs, split_stutters)
from .simulate import DRAIN_SHAPES, drain
from .trace import action_name

MACHINE_STRATEGY = Strategy(frozenset((SWARM, FOCUS, HOLD, RESTART)))  # learning is simulate's alone
TARGET_LABEL = "distinct states"


class PropertyViolation(AssertionError):
    """A property failed on a Hypothesis walk: ``name``, ``kind`` and the ``trace`` to it."""

    def __init__(self, name: str, kind: str, trace: Trace, model=None) -> None:
        super().__init__(name, kind, len(trace))
        self.name, self.kind, self.trace, self.model = name, kind, trace, model

    def __str__(self) -> str:
        # rendered only when shown: shrinking raises this thousands of times
        head = f"{self.kind} {self.name} violated after {len(self.trace)} states"
        if self.model is None:
            return head
        return head + "\n" + render_trace(self.model, self.trace, f"counterexample: {self.name}")


def render_trace(model, trace: Trace, title: str, width: int = 160) -> str:
    """The trace table of ``explore`` as plain text (for notes and assertion messages)."""
    console = Console(width=width, record=True, file=_Discard(), color_system=None)
    console.print(trace_table(model, trace, title))
    return console.export_text()


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def make_machine(model_factory: Callable[[], Any], properties, max_steps: int = 50, *,
                 on_state: Callable[[Any], None] | None = None, name: str = "ModelMachine",
                 seed: int | None = None, drain_steps: int = 0,
                 strategy: Strategy = MACHINE_STRATEGY, targeting: bool = True):
    """A ``RuleBasedStateMachine`` subclass over ``model_factory()``.

    ``properties``: invariants and step properties are checked on the walk; with
    ``drain_steps > 0`` every ``leads_to`` / ``always_eventually`` property is checked after
    the run by :func:`explorer.simulate.drain` (only its fair actions, the first enabled in
    successor order, at most ``drain_steps`` of them: a hint of a violation, not a proof);
    other kinds are ignored;
    ``max_steps`` bounds the states of one run, initial included (``stateful_step_count`` of the class's
    settings, and the rule stops moving past it); ``on_state`` is called with every state
    reached, e.g. to cross-check them against the BFS's reachable set; ``seed`` fixes
    Hypothesis's random choices (like ``@hypothesis.seed``; unlike ``derandomize``, whose seed
    is a digest of the source, it survives edits to this file). ``strategy``: ``swarm`` draws
    per run which action names (``model.action_names()``) are switched off, ``focus`` which
    replicas (``model.replica_args()``) are out of focus, ``hold`` a point
    before which the model's ``absorbing_actions()`` are held back, ``restart`` goes on from an
    earlier state of the path where nothing can move (``learn`` belongs to ``simulate``: a run
    must depend on Hypothesis's data alone); ``targeting`` calls ``hypothesis.target`` with the
    run's number of distinct states. The last run's trace (the path at its end) is kept in
    ``last_trace`` on the class, for tests that want it without a failure.
    """
    if LEARN in strategy or CORPUS in strategy:
        raise ValueError("the Hypothesis machine neither learns nor keeps a corpus: a run must depend on its data alone")
    invariants = [p for p in properties if p.kind == "invariant"]
    step_properties = [p for p in properties if p.kind == "step"]
    drained = [p for p in properties if p.kind == "liveness" and p.shape in DRAIN_SHAPES] if drain_steps else []

    class Machine(RuleBasedStateMachine):
        last_trace: Trace | None = None

        def __init__(self) -> None:
            super().__init__()
            self.model = model_factory()
            self.steps: list[Step] = []
            self.config: WalkConfig = PLAIN
            self.replicas: tuple = ()

        @property
        def trace(self) -> Trace:
            return Trace(tuple(self.steps))

        @initialize(data=st.data())
        def start(self, data) -> None:
            self.replicas = declared_replicas(self.model)
            self.config = _draw_config(self.model, strategy, data, max_steps, self.replicas)
            inits = list(self.model.init_states())
            k = data.draw(st.integers(0, len(inits) - 1), label="initial state") if len(inits) > 1 else 0
            self._reach(None, inits[k])

        @rule(data=st.data())
        def step(self, data) -> None:
            state = self.steps[-1].state
            moves = []
            if len(self.steps) < max_steps:  # past the bound nothing happens; Hypothesis shrinks it away
                moves, stutters = split_stutters(self.model.successors(state), state)
                for action, nxt in stutters:
                    self._check_step(state, action, nxt)
            # one draw every step, whatever the state: a mutation of an earlier choice never
            # changes how many draws a run makes (else the target phase's mutations overrun,
            # and it can spend thousands of runs on them). Where nothing can move, with
            # restart, the draw picks the earlier state of the path to go on from.
            if not moves and RESTART in strategy and len(self.steps) > 1:
                del self.steps[_draw_index(data, len(self.steps) - 1, "restart at") + 1:]
                return
            (action, nxt), _ = choose(moves or [(None, state)], self.config, len(self.steps), _name_or_none,
                                      lambda pool: pool[_draw_index(data, len(pool), "successor")],
                                      lambda action: replica_pairs(action, self.replicas))
            if action is not None:
                self._check_step(state, action, nxt)
                self._reach(action, nxt)

        @invariant()
        def invariants_hold(self) -> None:
            if not self.steps:  # before the initial state is drawn
                return
            state = self.steps[-1].state
            for prop in invariants:
                if not prop.predicate(state):
                    self._fail(prop, self.trace)

        def _reach(self, action, state) -> None:
            self.steps.append(Step(action, state))
            if on_state is not None:
                on_state(state)

        def _check_step(self, state, action, nxt) -> None:
            for prop in step_properties:
                if not prop.predicate(state, action, nxt):
                    self._fail(prop, Trace(tuple(self.steps) + (Step(action, nxt),)))

        def _fail(self, prop, trace: Trace) -> None:
            raise PropertyViolation(prop.name, prop.kind, trace, self.model)

        def teardown(self) -> None:
            type(self).last_trace = self.trace
            if not self.steps:
                return
            if targeting:
                fingerprint = getattr(self.model, "fingerprint", None) or stable_fingerprint
                target(float(len({fingerprint(s.state) for s in self.steps})), label=TARGET_LABEL)
            for prop in drained:
                outcome = drain(self.model, self.trace, prop, drain_steps)
                if outcome.violated:
                    raise PropertyViolation(prop.name, f"liveness (drain: {outcome.status})",
                                            outcome.trace, self.model)

    Machine.__name__ = Machine.__qualname__ = name
    Machine.TestCase.settings = settings(Machine.TestCase.settings, stateful_step_count=max_steps)
    if seed is not None:
        Machine = hypothesis_seed(seed)(Machine)
    return Machine


def _draw_index(data, n: int, label: str) -> int:
    """An index below ``n`` drawn from ``data``, always as one choice: ``st.integers(0, 0)``
    would draw none, and a choice count that depends on the state lets the target phase's
    mutations overrun by the thousand."""
    return min(data.draw(st.integers(0, max(1, n - 1)), label=label), n - 1)


def _name_or_none(action) -> str:
    return "" if action is None else action_name(action)


def _draw_config(model, strategy: Strategy, data, max_steps: int, replicas: tuple) -> WalkConfig:
    """The run's configuration, drawn from Hypothesis's data (so it shrinks towards every
    action on, every replica in focus and nothing held back): a coin per action name (swarm),
    the replica kept in focus and a coin per other one (focus), a hold point (hold)."""
    names = tuple(getattr(model, "action_names", tuple)()) if SWARM in strategy else ()
    flags = data.draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)),
                      label="switched off") if names else ()
    off = frozenset(n for n, flag in zip(names, flags) if flag)
    unfocused = frozenset()
    if FOCUS in strategy:
        unfocused = draw_unfocused(replicas,
                                   lambda n: data.draw(st.integers(0, n - 1), label="kept in focus"),
                                   lambda: data.draw(st.booleans(), label="out of focus"))
    absorbing = declared_absorbing(model) if HOLD in strategy else frozenset()
    if not absorbing:
        return WalkConfig(off, unfocused=unfocused)
    return WalkConfig(off, absorbing, data.draw(st.integers(1, max_steps), label="hold point"), unfocused)
