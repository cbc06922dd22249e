"""A model given as an explicit graph: handy for hand-built liveness cases and random graphs."""

from __future__ import annotations

import numpy as np

from ..batched import sources_and_positions


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

    # -- the vectorised form (explorer.batched), from the edges in compressed rows; it needs
    # -- node ids in [0, 2**60), each its own fingerprint (the batched search checks) --
    def vector_labels(self):
        return tuple(dict.fromkeys(label for succs in self.out.values() for label, _ in succs))

    def _rows(self):
        """(nodes with out-edges, sorted; their first edge; their degree; edge labels and
        destinations in that order), built once."""
        if not hasattr(self, "_csr"):
            label_ids = {label: i for i, label in enumerate(self.vector_labels())}
            nodes = sorted(self.out)
            edges = [edge for node in nodes for edge in self.out[node]]
            degree = np.array([len(self.out[node]) for node in nodes], dtype=np.int64)
            self._csr = (np.array(nodes, dtype=np.int64), np.cumsum(degree) - degree, degree,
                         np.array([label_ids[label] for label, _ in edges], dtype=np.int64),
                         np.array([dst for _, dst in edges], dtype=np.int64))
        return self._csr

    def vector_successors(self, states):
        nodes, first_edge, degree, labels, dsts = self._rows()
        if not len(nodes):
            none = np.zeros(0, dtype=np.int64)
            return none, none, none, none
        row = np.minimum(np.searchsorted(nodes, states), len(nodes) - 1)
        counts = np.where(nodes[row] == states, degree[row], 0)
        sources, positions = sources_and_positions(counts)
        edge = np.repeat(first_edge[row], counts) + positions
        return sources, positions, labels[edge], dsts[edge]
