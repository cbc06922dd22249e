"""What an exploration returns: verdicts, traces, statistics and coverage."""

from __future__ import annotations

from typing import Any

import attrs

HOLDS = "holds"
VIOLATED = "violated"
INCOMPLETE = "incomplete"


@attrs.frozen
class Step:
    """One state of a trace and the action that led to it (None for an initial state)."""

    action: Any
    state: Any


@attrs.frozen
class Trace:
    """A finite trace, or a lasso when ``loop`` is set.

    For a lasso, ``steps[loop]`` is the loop point and the last step returns to it (its state
    equals ``steps[loop].state``); ``stutter`` means the behaviour stays at the last state
    forever (no step of the cycle changes the state).
    """

    steps: tuple[Step, ...]
    loop: int | None = None
    stutter: bool = False

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def is_lasso(self) -> bool:
        return self.loop is not None


@attrs.frozen
class Verdict:
    name: str
    kind: str
    status: str
    trace: Trace | None = None
    message: str = ""


@attrs.define
class ActionCoverage:
    """Per action name: transitions fired and the new states they found.

    A BFS fires every enabled transition exactly once, so ``fired`` is also the number of
    (state, label) pairs where the action was enabled."""

    name: str
    fired: int = 0
    new_states: int = 0
    scope_note: str | None = None  # why the model says it cannot fire here, if it says so


@attrs.frozen
class Result:
    verdicts: dict[str, Verdict]
    distinct: int
    generated: int
    depth: int
    elapsed: float
    peak_rss_delta: int
    coverage: tuple[ActionCoverage, ...]
    truncated: str | None  # which bound cut the search, or None when it was exhaustive
    interrupted: bool = False
    collision_probability: float = 0.0
    graph: Any = None  # the explored StateGraph, when the search kept it
    engine: str = "one state at a time"  # or "batched[, vectorised model]" (explorer.batched), "N processes"
    # per property found violated: the distinct states when a search for it alone would have
    # stopped, None if where this one ended (the one-state search gives it: Search.note_decided)
    stopped_at: dict[str, int | None] = attrs.field(factory=dict)

    @property
    def complete(self) -> bool:
        return self.truncated is None

    @property
    def states_per_second(self) -> float:
        return self.distinct / self.elapsed if self.elapsed > 0 else float("inf")

    @property
    def generated_per_second(self) -> float:
        return self.generated / self.elapsed if self.elapsed > 0 else float("inf")

    @property
    def bytes_per_state(self) -> float:
        return self.peak_rss_delta / self.distinct if self.distinct else 0.0

    @property
    def violated(self) -> list[Verdict]:
        return [v for v in self.verdicts.values() if v.status == VIOLATED]

    @property
    def exit_code(self) -> int:
        """0 all hold, 1 a violation, 3 incomplete (a violation outranks a cut)."""
        if self.violated:
            return 1
        if any(v.status == INCOMPLETE for v in self.verdicts.values()) or self.truncated:
            return 3
        return 0

    @property
    def never_taken(self) -> list[ActionCoverage]:
        return [c for c in self.coverage if c.fired == 0]
