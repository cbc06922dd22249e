"""Helpers shared by the engine tests that compare one search with another."""

from typing import NamedTuple


def outcome(result):
    """Everything a search reports that must not depend on the engine or the worker count."""
    return (result.distinct, result.generated, result.depth, result.truncated,
            {name: (v.status, None if v.trace is None else [(str(s.action), s.state) for s in v.trace.steps])
             for name, v in result.verdicts.items()},
            [(c.name, c.fired, c.new_states) for c in result.coverage])


class OneStateOnly:
    """A model's one-state interface alone: the batched search must loop over its states."""

    def __init__(self, model):
        self.init_states, self.successors = model.init_states, model.successors
        self.is_terminal = getattr(model, "is_terminal", lambda s: False)
        self.fingerprint = getattr(model, "fingerprint", None)
        if hasattr(model, "action_names"):
            self.action_names = model.action_names


class SuppressedStack:
    """A toy with a suppressor (Groce et al. 2013): ``push`` and ``pop`` move a stack of up to
    ``cap`` items; ``crash``, enabled whenever the stack holds anything, ends the behaviour (a
    terminal state, like a timeout fuse). The bug to find: the stack reaches ``overflow`` items.
    A uniform walk takes ``crash`` a third of the time, so it almost never builds the stack up
    (``crash`` comes first in successor order, where Hypothesis's draws lean);
    ``absorbing_actions()`` names ``crash`` only when ``declare`` is set."""

    def __init__(self, cap: int = 12, overflow: int = 10, declare: bool = True) -> None:
        self.cap, self.overflow, self.declare = cap, overflow, declare

    def init_states(self):
        return [(0, False)]

    def successors(self, state):
        size, crashed = state
        if crashed:
            return []
        out = [("crash", (size, True)), ("pop", (size - 1, False))] if size else []
        return out + [("push", (size + 1, False))] if size < self.cap else out

    def is_terminal(self, state) -> bool:
        return state[1]

    def fields(self, state):
        return {"size": state[0], "crashed": state[1]}

    def action_names(self):
        return ("push", "pop", "crash")

    def absorbing_actions(self):
        return ("crash",) if self.declare else ()

    def properties(self):
        from explorer import Invariant, StepProperty

        return [Invariant("no_overflow", lambda s: s[0] < self.overflow),
                # the suppressor's own bug, only reachable when it fires early
                StepProperty("no_crash_at_one", lambda s, a, t: not (a == "crash" and s[0] == 1))]


class Label(NamedTuple):
    """An action label with arguments, ``((name, value), ...)``, as the engine reads them."""

    name: str
    args: tuple = ()

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.args)})"


class SharedBudgetReplicas:
    """A toy where a bound shared by interchangeable replicas hides a bug (``focus``'s case):
    ``replicas`` workers, each with a ``tick`` that always has something to do, may ``fail``
    while the behaviour's ``failures`` bound (for all of them together) lasts; a failed worker
    takes ``recovery`` ``recover`` steps to come back in its next lifecycle. The bug: a worker
    that fails again after it came back. A walk that treats the workers alike spends the
    second failure on another worker while the first one recovers; swarm cannot help, since
    every worker's failure is one action name. ``replica_args()`` names the workers."""

    def __init__(self, replicas: int = 4, recovery: int = 6, failures: int = 2) -> None:
        self.names = tuple(f"w{k + 1}" for k in range(replicas))
        self.recovery, self.failures = recovery, failures

    def init_states(self):
        # per worker (lifecycle, recovery steps left, tick); then the failures spent
        return [(((1, 0, 0),) * len(self.names), 0)]

    def successors(self, state):
        workers, spent = state
        out = []
        for k, (lifecycle, left, tick) in enumerate(workers):
            label = (("w", self.names[k]),)
            if left:
                back = (lifecycle + 1, 0, tick) if left == 1 else (lifecycle, left - 1, tick)
                out.append((Label("recover", label), (_put(workers, k, back), spent)))
            elif spent < self.failures:
                out.append((Label("fail", label), (_put(workers, k, (lifecycle, self.recovery, tick)), spent + 1)))
            out.append((Label("tick", label), (_put(workers, k, (lifecycle, left, 1 - tick)), spent)))
        return out

    def action_names(self):
        return ("fail", "recover", "tick")

    def replica_args(self):
        return {"w": self.names}

    def properties(self):
        from explorer import Invariant

        return [Invariant("no_second_failure",
                          lambda s: not any(lifecycle >= 2 and left for lifecycle, left, _ in s[0]))]


def _put(items: tuple, k: int, value) -> tuple:
    return items[:k] + (value,) + items[k + 1:]
