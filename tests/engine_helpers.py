"""Helpers shared by the engine tests that compare one search with another."""


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
