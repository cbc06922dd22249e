"""The kinds of property the engine checks.

A property is data: a name, a predicate and, for liveness, the fairness it assumes. The engine
never looks inside a predicate; it only calls it on states (or steps) it has reached. A safety
property may also give ``vector``: the same predicate over numpy arrays of packed states, which
the batched search (:mod:`explorer.batched`) calls on a whole batch of a vectorised model.

Fairness is declared per action *name* and applies to every label of that name separately
(``WF(dm_recv_response(from=A))`` and ``WF(dm_recv_response(from=B))``, as TLA+'s
``\\A m: WF(Recv(m))``). An action is *taken* only by a step that changes the state: a self-loop
is a stutter step, as in TLA+'s ``<<A>>_vars``, so it neither satisfies nor enables fairness.

A predicate may say *why* it fails: it returns :class:`Failed` (falsy, so every search reads it
as False) with a reason naming the values it read, and a property may be written as named
clauses (:func:`clauses`), whose first false clause the failure names. ``recover-check explain``
shows both (:mod:`explorer.explain`); a predicate that returns a plain bool still works.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs

WEAK = "weak"
STRONG = "strong"
FAIRNESS_KINDS = (WEAK, STRONG)

StatePredicate = Callable[[Any], bool]
StepPredicate = Callable[[Any, Any, Any], bool]


def _check_fairness(instance, attribute, value: tuple[tuple[str, str], ...]) -> None:
    for name, kind in value:
        if kind not in FAIRNESS_KINDS:
            raise ValueError(f"fairness of {name!r} must be 'weak' or 'strong', not {kind!r}")


def _frozen_fairness(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((value or {}).items()))


@attrs.frozen
class Invariant:
    """Holds in every reachable state."""

    name: str
    predicate: StatePredicate
    description: str = ""
    vector: Callable | None = attrs.field(default=None, kw_only=True)  # states -> bool array
    kind = "invariant"


@attrs.frozen
class StepProperty:
    """Holds for every reachable transition ``(state, action, next_state)``."""

    name: str
    predicate: StepPredicate
    description: str = ""
    # (states, label ids, next states) -> bool array
    vector: Callable | None = attrs.field(default=None, kw_only=True)
    kind = "step"


@attrs.frozen
class Sometimes:
    """Some reachable state satisfies the predicate: a guard against a vacuous model."""

    name: str
    predicate: StatePredicate
    description: str = ""
    vector: Callable | None = attrs.field(default=None, kw_only=True)  # states -> bool array
    kind = "sometimes"


@attrs.frozen
class Liveness:
    """A temporal property over fair behaviours of the explored graph.

    ``shape`` is one of ``leads_to`` (``P ~> Q``), ``always_eventually`` (``[]<>Q``, i.e.
    ``TRUE ~> Q``) and ``eventually_always`` (``<>[]Q``). ``fairness`` maps action names to
    ``weak`` or ``strong``; actions not named may be left untaken forever.
    """

    name: str
    shape: str
    p: StatePredicate | None
    q: StatePredicate
    fairness: tuple[tuple[str, str], ...] = attrs.field(
        converter=_frozen_fairness, validator=_check_fairness, factory=tuple
    )
    description: str = ""
    kind = "liveness"

    def fairness_of(self, action_name: str) -> str | None:
        return dict(self.fairness).get(action_name)


def leads_to(name: str, p: StatePredicate, q: StatePredicate, fairness=None, description=""):
    """``P ~> Q``: from every state where P holds, every fair behaviour reaches a Q state."""
    return Liveness(name, "leads_to", p, q, fairness, description)


def always_eventually(name: str, q: StatePredicate, fairness=None, description=""):
    """``[]<>Q``: every fair behaviour meets Q again and again."""
    return Liveness(name, "always_eventually", None, q, fairness, description)


def eventually_always(name: str, q: StatePredicate, fairness=None, description=""):
    """``<>[]Q``: every fair behaviour ends up in Q for good."""
    return Liveness(name, "eventually_always", None, q, fairness, description)


class Negation:
    """``not predicate(state)``. As a liveness P (``Negation(q) ~> q``: ``q`` again and again),
    the search reads its marks off ``predicate``'s, flipped, instead of evaluating ``predicate``
    on every state a second time."""

    __slots__ = ("predicate",)

    def __init__(self, predicate: StatePredicate) -> None:
        self.predicate = predicate

    def __call__(self, state) -> bool:
        return not self.predicate(state)


class Failed:
    """A predicate's "no", with why: falsy, so a search treats it as False; ``reason`` says what
    the predicate read (e.g. "pending.d1.handled = true while d1 is blocked"), ``clause`` which
    part of the predicate failed. ``reason`` may be given as a function that returns it, called
    when first asked: a liveness predicate is evaluated on every state, and a reason formatted
    for each state where it fails cost 6% of a recover search."""

    __slots__ = ("_reason", "clause")

    def __init__(self, reason: str | Callable[[], str] = "", clause: str = "") -> None:
        self._reason, self.clause = reason, clause

    @property
    def reason(self) -> str:
        if callable(self._reason):
            self._reason = self._reason()
        return self._reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Failed({self.reason!r}, clause={self.clause!r})"


def clauses(*named: tuple[str, Callable]) -> Callable:
    """A predicate that is the conjunction of ``(name, predicate)`` clauses, evaluated in order:
    the first false one fails it, as :class:`Failed` naming that clause (and keeping the
    clause's own reason, if it gave one)."""

    def conjunction(*args):
        for name, predicate in named:
            verdict = predicate(*args)
            if not verdict:
                return Failed(verdict._reason if isinstance(verdict, Failed) else "", name)  # still lazy
        return True

    conjunction.clauses = named
    return conjunction


DEADLOCK = "deadlock"
Property = Invariant | StepProperty | Sometimes | Liveness
