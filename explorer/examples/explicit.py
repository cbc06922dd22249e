"""A model given as an explicit graph: handy for hand-built liveness cases and random graphs."""

from __future__ import annotations


class ExplicitGraph:
    """``edges`` are ``(source, label, destination)``; states are ints; ``terminal`` states
    are not deadlocks. Successors keep the order the edges were given in."""

    fingerprint = hash  # states are small ints

    def __init__(self, init, edges, terminal=()):
        self.inits = list(init)
        self.out: dict[int, list[tuple[str, int]]] = {}
        for src, label, dst in edges:
            self.out.setdefault(src, []).append((label, dst))
        self.terminal = frozenset(terminal)

    def init_states(self):
        return list(self.inits)

    def successors(self, state):
        return self.out.get(state, [])

    def is_terminal(self, state):
        return state in self.terminal

    def fields(self, state):
        return {"node": state}
