"""Hypothesis stateful testing over any model: the same ``successors`` the BFS expands, driven by
Hypothesis's random walks, which it shrinks to a short failure.

:func:`make_machine` builds a ``RuleBasedStateMachine`` whose single rule draws an index into
``model.successors(state)``, so it can only ever take a transition the model allows, and does
nothing at a state without successors. Invariants are checked on every state the machine
reaches, step properties on every step it takes; a failure raises :class:`PropertyViolation`
(an ``AssertionError`` naming the property) that carries the trace and whose message is the
same table ``explore`` prints, so the shrunk failure reads like a BFS counterexample.
Liveness cannot be checked by a finite walk; see :func:`explorer.simulate.drain` for the hint
a test can take after one.
"""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from rich.console import Console

from .report import trace_table
from .result import Step, Trace
from .simulate import DRAIN_SHAPES, drain


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
                 seed: int | None = None, drain_steps: int = 0):
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
    is a digest of the source, it survives edits to this file). The last run's trace
    is kept in ``last_trace`` on the class, for tests that want it without a failure.
    """
    invariants = [p for p in properties if p.kind == "invariant"]
    step_properties = [p for p in properties if p.kind == "step"]
    drained = [p for p in properties if p.kind == "liveness" and p.shape in DRAIN_SHAPES] if drain_steps else []

    class Machine(RuleBasedStateMachine):
        last_trace: Trace | None = None

        def __init__(self) -> None:
            super().__init__()
            self.model = model_factory()
            self.steps: list[Step] = []

        @property
        def trace(self) -> Trace:
            return Trace(tuple(self.steps))

        @initialize(data=st.data())
        def start(self, data) -> None:
            inits = list(self.model.init_states())
            k = data.draw(st.integers(0, len(inits) - 1), label="initial state") if len(inits) > 1 else 0
            self._reach(None, inits[k])

        @rule(data=st.data())
        def step(self, data) -> None:
            state = self.steps[-1].state
            succs = self.model.successors(state)
            if not succs or len(self.steps) >= max_steps:
                return  # a dead end (or the bound): nothing can happen, Hypothesis shrinks it away
            action, nxt = succs[data.draw(st.integers(0, len(succs) - 1), label="successor")]
            self._reach(action, nxt)
            for prop in step_properties:
                if not prop.predicate(state, action, nxt):
                    self._fail(prop)

        @invariant()
        def invariants_hold(self) -> None:
            if not self.steps:  # before the initial state is drawn
                return
            state = self.steps[-1].state
            for prop in invariants:
                if not prop.predicate(state):
                    self._fail(prop)

        def _reach(self, action, state) -> None:
            self.steps.append(Step(action, state))
            if on_state is not None:
                on_state(state)

        def _fail(self, prop) -> None:
            raise PropertyViolation(prop.name, prop.kind, self.trace, self.model)

        def teardown(self) -> None:
            type(self).last_trace = self.trace
            if not self.steps:
                return
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
