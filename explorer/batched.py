"""Batched breadth-first search in fingerprint mode: the visited set holds 8-byte fingerprints
in numpy (:class:`explorer.levels.FingerprintRuns`), never a Python object per visited state.

A batch of up to ``BATCH`` frontier states is expanded, its successors' fingerprints are
deduplicated against the visited set in a few numpy calls, and the new states are numbered,
checked and cut in exactly the order of the one-state search (:mod:`explorer.levels`), so
counts, coverage, verdicts and counterexamples are the same; parent links and successor
positions are kept the same way (4 + 2 bytes a state), and traces are replayed the same way.

Any model can be searched so: its ``successors`` are called one state at a time and only the
frontier holds states. A model may also offer a vectorised form, and then the search has no
Python loop per state at all:

* ``vector_labels()``: the action labels, a label id being an index into them;
* ``vector_successors(states)``: for an int64 numpy array of states, every successor as four
  arrays ``(sources, positions, label_ids, next_states)``: the index of the state in
  ``states``, the successor's position in ``successors(state)``, its label id and the next
  state, ordered by (source, position): the one-state lists, concatenated.

Its states are ints below 2**60, each its own fingerprint (``fingerprint(s) & FP_MASK == s``,
checked on the initial states), so no two states can share a fingerprint. Safety properties
that give a ``vector`` predicate are evaluated on whole arrays; the others state by state.
Liveness and ``keep_graph`` need the one-state search.

Without a vectorised form the frontier's states, not the visited set, fill the memory (on the
recover model some 600 bytes a state, where the visited set takes 14). A model may then offer
its states in parts, and the frontier keeps one small number per part instead of the state:

* ``parts(state)``: a tuple of hashable parts, as many for every state;
* ``from_parts(parts)``: the state again, equal to it, of its type, with its fingerprint.

Both must be pure, and parts equal under ``==`` interchangeable (a state rebuilt from equal
parts is the same state). Each level numbers its distinct parts as met, one table per place,
and keeps, per state and place, the number in the smallest unsigned integer type that holds
it; a batch is rebuilt just before it is expanded, and a level's tables are dropped with it.
The states of a level share few distinct parts (the recover model: at most 253 per place in a
level of 57,706 states), so a state takes a byte or two a part: 23-26 bytes a frontier state
on the recover model instead of 600-760, for 1.02x-1.08x the CPU time
(benchmarks/frontier_memory.py). The round trip is checked on the initial states (also by the
stable fingerprint, which tells named tuples, bools and ints apart) and on the first new state
of every batch, not on every state (a rebuild, a comparison and a fingerprint a state would
about double what the parts cost); a model that fails it is refused with a ``ValueError``.
Counts, verdicts, coverage and counterexamples are the same with the parts and without (the
same search; traces are replayed from the initial states).
"""

from __future__ import annotations

from array import array
from itertools import chain

import numpy as np

from .base import action_of, next_state_of
from .fingerprint import FP_MASK, stable_fingerprint
from .levels import LabelIds, LevelSearch, add_counts, extend, least_unseen
from .properties import DEADLOCK

# frontier states per batch: a bigger batch searches the visited set fewer times (65,536: 10%
# faster on two-phase commit with 8 RMs) but holds more successors at once (31.5 instead of 23
# bytes a state there); the processes of explorer.sharded use it too
BATCH = 16384
# frontier states per batch of a model expanded one state at a time: its successors are Python
# objects (some 600 bytes each on the recover model) held until the batch is settled: 16,384
# states held 73 bytes for each of 300,000 states found, 2,048 hold 8; its own Python loop
# costs far more than a search of the visited set, so the smaller batch costs no time (CPU time
# 0.95x-1.04x on four configurations of the recover model, benchmarks/frontier_memory.py)
OBJECT_BATCH = 2048


def sources_and_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For states with ``counts`` successors each, every successor's source index and its
    position in its source's list, in (source, position) order."""
    sources = np.repeat(np.arange(len(counts)), counts)
    return sources, np.arange(len(sources)) - np.repeat(np.cumsum(counts) - counts, counts)


def is_vectorised(model) -> bool:
    return hasattr(model, "vector_successors") and hasattr(model, "vector_labels")


def has_parts(model) -> bool:
    return hasattr(model, "parts") and hasattr(model, "from_parts")


class _Levels:
    """How a store keeps a level: its new states as they are, batches sliced from them."""

    @staticmethod
    def keep(new):
        """What the level keeps of a batch's new states until they are expanded."""
        return new

    @staticmethod
    def batch(level, start: int, stop: int):
        """The level's states ``start`` to ``stop``, to expand."""
        return level[start:stop]


class _PackedStates(_Levels):
    """A vectorised model's states: int64 arrays, each state its own fingerprint."""

    vectorised = True

    def __init__(self, model, fingerprint) -> None:
        self.model, self.fingerprint = model, fingerprint
        self.labels = list(model.vector_labels())

    def initial(self, inits: list) -> tuple[np.ndarray, np.ndarray]:
        for state in inits:
            if not isinstance(state, int) or self.fingerprint(state) & FP_MASK != state:
                raise ValueError("a vectorised model's states must be ints that are their own fingerprints")
        states = np.array(inits, dtype=np.int64)
        return states, states

    def expand(self, batch: np.ndarray) -> tuple:
        """(sources, positions, label ids, next states, their fingerprints)."""
        sources, positions, label_ids, nexts = self.model.vector_successors(batch)
        if len(nexts) and (nexts.min() < 0 or nexts.max() > FP_MASK):
            raise ValueError("a vectorised model's states must be ints in [0, 2**60): they are their own fingerprints")
        return sources, positions, label_ids, nexts, nexts

    @staticmethod
    def take(states: np.ndarray, at: np.ndarray) -> np.ndarray:
        return states[at]

    @staticmethod
    def join(parts: list) -> np.ndarray:
        return np.concatenate(parts)

    @staticmethod
    def values(states: np.ndarray) -> list:
        return states.tolist()


class _ObjectStates(_Levels):
    """Any model's states: Python objects in lists, expanded one state at a time."""

    vectorised = False

    def __init__(self, model, fingerprint) -> None:
        self.successors, self.fingerprint = model.successors, fingerprint
        self.label_ids = LabelIds()
        self.labels = self.label_ids.labels

    def initial(self, inits: list) -> tuple[list, np.ndarray]:
        return inits, self._fingerprints(inits)

    def _fingerprints(self, states: list) -> np.ndarray:
        return np.fromiter(map(FP_MASK.__and__, map(self.fingerprint, states)), dtype=np.int64, count=len(states))

    def expand(self, batch: list) -> tuple:
        successors = self.successors
        lists = [successors(state) for state in batch]
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        steps = list(chain.from_iterable(lists))
        nexts = list(map(next_state_of, steps))
        label_ids = np.fromiter(map(self.label_ids.__getitem__, map(action_of, steps)), dtype=np.int64,
                                count=len(steps))
        sources, positions = sources_and_positions(counts)
        return sources, positions, label_ids, nexts, self._fingerprints(nexts)

    @staticmethod
    def take(states: list, at: np.ndarray) -> list:
        return [states[i] for i in at.tolist()]

    @staticmethod
    def join(parts: list) -> list:
        return list(chain.from_iterable(parts))

    @staticmethod
    def values(states: list) -> list:
        return states


class _PartLevel:
    """A level of states kept in parts: per place, each state's number for its part there
    (``columns``) and the parts so numbered (``values``)."""

    def __init__(self, count: int, columns: list[np.ndarray], values: list[list]) -> None:
        self.count, self.columns, self.values = count, columns, values

    def __len__(self) -> int:
        return self.count


class _PartStates(_ObjectStates):
    """Any model's states, expanded one state at a time, the frontier kept in parts (see the
    module docstring)."""

    def __init__(self, model, fingerprint) -> None:
        super().__init__(model, fingerprint)
        self.parts, self.from_parts = model.parts, model.from_parts
        self.width = 0
        self.tables: list[LabelIds] = []  # per place, the parts of the level being found, numbered

    def initial(self, inits: list) -> tuple[list, np.ndarray]:
        self.width = len(self.parts(inits[0])) if inits else 0
        for state in inits:
            self._check(state, stable=True)
        self.tables = [LabelIds() for _ in range(self.width)]
        return super().initial(inits)

    def _check(self, state, stable: bool = False) -> None:
        """Refuse a model whose ``from_parts(parts(state))`` is not ``state``."""
        parts = self.parts(state)
        self._check_width(parts, state)
        rebuilt = self.from_parts(parts)
        same = (type(rebuilt) is type(state) and rebuilt == state
                and self.fingerprint(rebuilt) & FP_MASK == self.fingerprint(state) & FP_MASK)
        if same and stable:
            same = _stable_or_none(rebuilt) == _stable_or_none(state)
        if not same:
            raise ValueError(f"the model's from_parts(parts(state)) is not the state: {state!r} came back as "
                             f"{rebuilt!r}")

    def _check_width(self, parts: tuple, state) -> None:
        if not 0 < len(parts) == self.width:
            raise ValueError(f"the model's parts() gave {len(parts)} parts for {state!r} and {self.width} for the "
                             "first initial state: it must give as many for every state, at least one")

    def keep(self, new: list) -> list[np.ndarray]:
        """The new states as one column of part numbers per place, in this level's tables."""
        rows = list(map(self.parts, new))
        if new:
            self._check(new[0])
            if min(map(len, rows)) != self.width or max(map(len, rows)) != self.width:
                self._check_width(*next((row, state) for row, state in zip(rows, new) if len(row) != self.width))
        columns = zip(*rows) if rows else [()] * self.width
        return [_narrow(np.fromiter(map(table.__getitem__, column), dtype=np.int64, count=len(rows)), len(table))
                for table, column in zip(self.tables, columns)]

    def join(self, kept: list) -> _PartLevel:
        """The level found (its batches' ``keep``); the next level gets tables of its own."""
        columns = [np.concatenate(place) for place in zip(*kept)]
        level = _PartLevel(len(columns[0]) if columns else 0, columns, [table.labels for table in self.tables])
        self.tables = [LabelIds() for _ in range(self.width)]
        return level

    def batch(self, level: _PartLevel, start: int, stop: int) -> list:
        columns = [list(map(values.__getitem__, column[start:stop].tolist()))
                   for values, column in zip(level.values, level.columns)]
        return list(map(self.from_parts, zip(*columns)))


def _narrow(numbers: np.ndarray, count: int) -> np.ndarray:
    """Numbers below ``count`` in the smallest unsigned type that holds them."""
    return numbers.astype(np.uint8 if count <= 1 << 8 else np.uint16 if count <= 1 << 16 else np.uint32)


def _stable_or_none(state):
    """The stable fingerprint of ``state``, or None for a kind of value it cannot fingerprint."""
    try:
        return stable_fingerprint(state)
    except TypeError:
        return None


class BatchedSearch(LevelSearch):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.liveness or self.graph is not None:
            raise ValueError("liveness and keep_graph need the whole state graph: search one state at a time "
                             "(engine='states'), on any number of workers")
        store = _PackedStates if is_vectorised(self.model) else _PartStates if has_parts(self.model) else _ObjectStates
        self.states = store(self.model, self.fingerprint)
        self.engine = "batched, vectorised model" if self.states.vectorised else "batched"
        self.fired_ids = np.zeros(0, dtype=np.int64)
        self.new_ids = np.zeros(0, dtype=np.int64)
        self.parent = array("i")  # 4 bytes a state; widened past 2**31 states

    def _bfs(self) -> None:
        try:
            self._levels()
        finally:
            add_counts(self.fired, self.states.labels, self.fired_ids.tolist())
            add_counts(self.new_by_label, self.states.labels, self.new_ids.tolist())

    def _initial_level(self) -> tuple:
        """Settle the initial states as the first level: (its new states, whether the search
        stops there)."""
        self.inits = list(self.model.init_states())
        self.generated = count = len(self.inits)
        states, fps = self.states.initial(self.inits)
        new, stop = self._settle(states, fps, np.full(count, -1, dtype=np.int64),
                                 np.arange(count, dtype=np.int64), None, [])
        frontier = self.states.join([self.states.keep(new)])
        self.depth = 1 if len(frontier) else 0
        self.level_end = len(self.parent)
        return frontier, stop

    def _levels(self) -> None:
        frontier, stop = self._initial_level()
        while len(frontier) and not stop:
            first = len(self.parent) - len(frontier)  # the level's states are numbered last
            found = []
            size = BATCH if self.states.vectorised else OBJECT_BATCH
            for start in range(0, len(frontier), size):
                if self._over_budget(len(frontier) - start, 0):
                    return
                new, stop = self._expand(self.states.batch(frontier, start, start + size), first + start)
                if stop:
                    return  # run() counts the level being found, as for one process
                found.append(self.states.keep(new))
            frontier = self.states.join(found)
            if len(frontier):
                self.level_end = len(self.parent)
                self.depth += 1

    def _expand(self, batch, first: int) -> tuple:
        """Expand states numbered ``first, first + 1, ...``; the new states and whether the
        search stops here."""
        sources, positions, label_ids, nexts, fps = self.states.expand(batch)
        numbers = sources + first
        events = self._step_events(batch, sources, positions, label_ids, nexts, numbers)
        if self.check_deadlock:
            events += self._deadlock_events(batch, sources, np.arange(first, first + len(batch)))
        return self._settle(nexts, fps, numbers, positions, label_ids, events)

    def _settle(self, nexts, fps, numbers, positions, label_ids, events) -> tuple:
        """Keep, number and check the batch's new states; cut it where one process stops."""
        best = least_unseen(fps, self.seen)  # successors come in key order
        before, initial = self.truncated, label_ids is None
        parents = numbers[best]
        keep, cut, events, last = self._apply_bounds(parents, events, initial)
        best, parents = best[:keep], parents[:keep]
        first_new = len(self.parent)
        self._make_room(len(best))
        new = self.states.take(nexts, best)
        if self.guard is not None and not self.states.vectorised:  # packed ints: hash() is faithful
            for state in new:
                self.guard.check(state)
        events += self._invariant_events(new, parents, first_new)
        stop, firsts, last = self._decide(events, before, cut, last)
        if stop is not None:
            kept = int(np.searchsorted(parents, stop, side="right"))
            best, new, parents = best[:kept], new[:kept], parents[:kept]
        extend(self.parent, parents)
        extend(self.ordinal, positions[best])
        self.seen.add(fps[best])
        if not initial:
            expanded = len(numbers) if last is None else int(np.searchsorted(numbers, last, side="right"))
            self.generated += expanded
            self.fired_ids = _tally(self.fired_ids, label_ids[:expanded], len(self.states.labels))
            self.new_ids = _tally(self.new_ids, label_ids[best], len(self.states.labels))
        self._record(firsts)
        self._witness(new, first_new)
        # a depth cut still expands the whole level (for step properties and deadlock)
        return new, stop is not None or self.truncated == "max_states"

    def _make_room(self, count: int) -> None:
        """Widen the parent links past 2**31 states."""
        if len(self.parent) + count >= 2**31 and self.parent.typecode == "i":
            self.parent = array("l", self.parent)

    def _step_events(self, batch, sources, positions, label_ids, nexts, numbers) -> list:
        events = []
        steps = None  # (state, label, next state) triples, built once for the one-state predicates
        starts = None  # each successor's source state, built once for the vector predicates
        for prop in self.step_properties:
            if prop.name in self.violations:
                continue
            if self._vectorised(prop):
                starts = batch[sources] if starts is None else starts
                ok = prop.vector(starts, label_ids, nexts)
            else:
                if steps is None:
                    values, labels = self.states.values(batch), self.states.labels
                    steps = [(values[s], labels[a], t) for s, a, t in
                             zip(sources.tolist(), label_ids.tolist(), self.states.values(nexts))]
                ok = np.fromiter((prop.predicate(*step) for step in steps), dtype=bool, count=len(steps))
            bad = np.flatnonzero(~ok)
            if len(bad):
                events.append((int(numbers[bad[0]]), int(positions[bad[0]]), prop.name))
        return events

    def _deadlock_events(self, batch, sources, numbers) -> list:
        """The first state of the batch (its states numbered ``numbers``) without successors
        that is not terminal."""
        if DEADLOCK in self.violations:
            return []
        for i in np.flatnonzero(np.bincount(sources, minlength=len(batch)) == 0).tolist():
            if not self.is_terminal(self.states.values(batch[i:i + 1])[0]):
                return [(int(numbers[i]), -1, DEADLOCK)]
        return []

    def _invariant_events(self, new, parents, first_new) -> list:
        return [(int(parents[at]), first_new + at, name) for name, at in self._first_failing(new).items()]

    def _witness(self, new, first_new) -> None:
        for name, at in self._first_witnessing(new).items():
            self.witnesses[name] = self._trace_to(first_new + at)

    def _first_failing(self, new) -> dict[str, int]:
        """Per invariant not yet violated, the index of the first of ``new`` that fails it."""
        return self._first_where(self.invariants, self.violations, new, False)

    def _first_witnessing(self, new) -> dict[str, int]:
        """Per "sometimes" property not yet witnessed, the index of the first of ``new`` that meets it."""
        return self._first_where(self.sometimes, self.witnesses, new, True)

    def _first_where(self, props: list, decided: dict, new, holds: bool) -> dict[str, int]:
        found = {}
        for prop in props:
            if prop.name not in decided:
                at = np.flatnonzero(self._holds(prop, new) == holds)
                if len(at):
                    found[prop.name] = int(at[0])
        return found

    def _vectorised(self, prop) -> bool:
        """Whether ``prop`` is checked in its vector form here."""
        return prop.vector is not None and self.states.vectorised

    def _holds(self, prop, states) -> np.ndarray:
        """A state predicate over a batch of states: its vector form, or state by state."""
        if self._vectorised(prop):
            return np.asarray(prop.vector(states), dtype=bool)
        return np.fromiter(map(prop.predicate, self.states.values(states)), dtype=bool, count=len(states))

    def _collision_probability(self) -> float:
        if self.states.vectorised:
            return 0.0  # each state is its own fingerprint: no two states share one
        return super()._collision_probability()


def _tally(counts: np.ndarray, label_ids: np.ndarray, labels: int) -> np.ndarray:
    """``counts`` (per label id) plus the label ids' occurrences; grows with new labels."""
    return plus_counts(counts, np.bincount(label_ids, minlength=labels))


def plus_counts(counts: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Per-label counts added; ``added`` may count more labels (labels are numbered as met), so
    ``counts`` is padded with zeros."""
    return np.pad(counts, (0, len(added) - len(counts))) + added
