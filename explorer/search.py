"""The one-state-at-a-time breadth-first search: a set of fingerprints and a queue of states.

A model is any object with ``init_states()`` and ``successors(state)`` (a sequence of
``(action, next_state)`` in a deterministic order). Optional: ``is_terminal(state)`` (no
successors there is not a deadlock), ``fields(state)`` (for traces), ``fingerprint(state)``
(a stable 64-bit int; without it see :mod:`explorer.fingerprint`), ``action_names()`` and
``out_of_scope(name)`` (for coverage). Liveness and graph export need the explored graph,
which this search keeps (:class:`explorer.base.StateGraph`).
"""

from __future__ import annotations

from collections import deque
from itertools import repeat

from .base import CHECK_EVERY, Search, action_of, count_elements, next_state_of
from .fingerprint import FP_MASK
from .properties import DEADLOCK
from .result import Step, Trace


class OneStateSearch(Search):
    """Expands one state at a time, in discovery order."""

    def _bfs(self) -> None:
        fingerprint = self.fingerprint
        guard = self.guard
        graph = self.graph
        index: dict[int, int] = {}
        seen = index if graph is not None else set()
        queue: deque = deque()
        for k, state in enumerate(self.model.init_states()):
            self.inits.append(state)
            self.generated += 1
            f = fingerprint(state) & FP_MASK
            if f not in seen:
                if guard is not None:
                    guard.check(state)
                self._discover(seen, f, -1, k, state)
                queue.append(state)
        self.depth = 1 if queue else 0
        self.level_end = len(self.parent)
        if self._should_stop():
            return

        successors = self.model.successors
        step_properties = self.step_properties
        fired, new_by_label = self.fired, self.new_by_label
        has_graph = graph is not None
        add_edge = graph.add_edge if has_graph else None
        checks_new = bool(self.invariants or self.sometimes or self.liveness or has_graph)
        seen_add = None if has_graph else seen.add
        passes_step = guard.passes_step if guard is not None else None  # see explorer.fingerprint
        parent = self.parent
        parent_append, ordinal_append, push = parent.append, self.ordinal.append, queue.append
        pop = queue.popleft
        max_states = self.max_states if self.max_states is not None else 1 << 62
        depth_cut = self.max_depth if self.max_depth is not None else 1 << 62
        level_end = self.level_end
        level = self.depth
        expanded = generated = 0
        violations = self.violations
        decided = len(violations)  # violations already weighed by _should_stop
        try:
            while queue:
                if expanded == level_end:  # the queue now holds exactly the next level
                    level_end = self.level_end = len(parent)
                    level = self.depth = level + 1
                state = pop()
                if expanded % CHECK_EVERY == 0 and self._over_budget(len(queue), generated):
                    return
                succs = successors(state)
                if not succs and self._dead_end(expanded, state):
                    return
                generated += len(succs)
                count_elements(fired, map(action_of, succs))
                if step_properties:
                    self._check_steps(expanded, state, succs)
                for k, (action, nxt) in enumerate(succs):
                    f = fingerprint(nxt) & FP_MASK
                    if f in seen:
                        if has_graph:
                            add_edge(action, index[f])
                        continue
                    if len(parent) >= max_states:
                        self.truncated = "max_states"
                        return
                    if level >= depth_cut:  # a new state beyond the depth bound: not kept
                        self.truncated = "max_depth"
                        continue
                    if passes_step is not None and not passes_step(nxt, state):
                        guard.check(nxt)  # HashGuard.check_step, its fast path inlined
                    new_by_label[action] = new_by_label.get(action, 0) + 1
                    if checks_new:
                        if has_graph:
                            add_edge(action, len(parent))
                        self._discover(seen, f, expanded, k, nxt)
                    else:
                        seen_add(f)
                        parent_append(expanded)
                        ordinal_append(k)
                    push(nxt)
                if has_graph:
                    graph.offset.append(len(graph.dst))
                expanded += 1
                if len(violations) != decided:  # whether to stop changes only with a new violation
                    decided = len(violations)
                    if self._should_stop():
                        return
        finally:
            self.generated += generated
            self.note_decided(ended=True)  # a violation found in an expansion a bound cut short

    def _dead_end(self, index: int, state) -> bool:
        """Record a deadlock at a state without successors; True if the search should stop."""
        if not self.check_deadlock or DEADLOCK in self.violations or self.is_terminal(state):
            return False
        self.violations[DEADLOCK] = self._trace_to(index)
        return self._should_stop()

    def _discover(self, seen, f, parent_index, k, state) -> None:
        new_index = len(self.parent)
        if self.graph is not None:
            seen[f] = new_index
            self.graph.fingerprints.append(f)
        else:
            seen.add(f)
        self.parent.append(parent_index)
        self.ordinal.append(k)
        for prop in self.invariants:
            if prop.name not in self.violations and not prop.predicate(state):
                self.violations[prop.name] = self._trace_to(new_index)
        for prop in self.sometimes:
            if prop.name not in self.witnesses and prop.predicate(state):
                self.witnesses[prop.name] = self._trace_to(new_index)
        for pred, bits in zip(self.mark_predicates, self.marks):
            bits.append(bool(pred(state)))

    def _check_steps(self, source_index, state, succs) -> None:
        """Each step property not yet violated, on every step out of ``state``: the steps in
        one C loop (``all``), walked in Python only to find the first that breaks it."""
        violations = self.violations
        for prop in self.step_properties:
            if prop.name in violations:
                continue
            holds = prop.predicate
            if all(map(holds, repeat(state), map(action_of, succs), map(next_state_of, succs))):
                continue
            for action, nxt in succs:
                if not holds(state, action, nxt):
                    trace = self._trace_to(source_index)
                    violations[prop.name] = Trace(trace.steps + (Step(action, nxt),))
                    break
