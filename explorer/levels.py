"""What the level-by-level searches share: the multi-process one (:mod:`explorer.parallel`) and
the batched one (:mod:`explorer.batched`) both decide a batch of successors at a time, on
fingerprints alone, and must number, check and cut exactly where the one-state-at-a-time
search (:mod:`explorer.search`) does.

A batch is a run of sources in number order with, per successor, its fingerprint and its key
(source number, position in the source's successor list). The winners are the fingerprints
never seen, each with its least key, in key order: the order a single process discovers them
in. Events (a step property or deadlock at a source, an invariant at a new state) are tuples
``(source, position, name)``; a single process stops after expanding the source of the event
that decides its last verdict, so a batch is cut there.
"""

from __future__ import annotations

from array import array

import numpy as np

from .properties import DEADLOCK
from .result import Step, Trace
from .base import Search


class _Runs:
    """Sorted runs of int64 fingerprints; runs of similar size are merged, so a look-up
    searches O(log n) runs."""

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def contains(self, fps: np.ndarray) -> np.ndarray:
        found = np.zeros(len(fps), dtype=bool)
        for run in self.runs:
            found |= is_in(fps, run)
        return found

    def add(self, fps: np.ndarray) -> None:
        if not len(fps):
            return
        self.runs.append(np.sort(fps))
        while len(self.runs) > 1 and len(self.runs[-1]) * 2 >= len(self.runs[-2]):
            last = self.runs.pop()
            merged = np.concatenate([self.runs.pop(), last])
            del last
            merged.sort(kind="mergesort")  # in place: two sorted runs, one copy at the peak
            self.runs.append(merged)


def spread(fps: np.ndarray) -> np.ndarray:
    """Fingerprints spread over all 64 bits by Fibonacci hashing (packed states are far from
    uniform in any bits), as uint64: their top bits pick a bucket, their middle a process."""
    return fps.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def split_by(group: np.ndarray, groups: int) -> list[np.ndarray]:
    """Per group, the indices of the entries in it, in their order (``group``: uint16 ids)."""
    order = np.argsort(group, kind="stable")  # a radix sort on 16-bit keys
    bounds = np.searchsorted(group[order], np.arange(groups + 1)).tolist()
    return [order[bounds[g]:bounds[g + 1]] for g in range(groups)]


class FingerprintRuns:
    """The visited set: 8 bytes a fingerprint, no Python object per state. Fingerprints are
    spread over ``BUCKETS`` sets of sorted runs by a multiplicative hash, so merging runs
    copies at most a bucket at a time: the memory peak stays near 8 bytes a state."""

    BUCKETS = 16

    def __init__(self) -> None:
        self.buckets = [_Runs() for _ in range(self.BUCKETS)]

    def __len__(self) -> int:
        return sum(len(run) for bucket in self.buckets for run in bucket.runs)

    def _split(self, fps: np.ndarray):
        """(bucket, indices of ``fps`` in it) for every bucket that gets some."""
        bucket = (spread(fps) >> np.uint64(60)).astype(np.uint16)
        for runs, at in zip(self.buckets, split_by(bucket, self.BUCKETS)):
            if len(at):
                yield runs, at

    def contains(self, fps: np.ndarray) -> np.ndarray:
        found = np.zeros(len(fps), dtype=bool)
        for bucket, at in self._split(fps):
            found[at] = bucket.contains(fps[at])
        return found

    def add(self, fps: np.ndarray) -> None:
        for bucket, at in self._split(fps):
            bucket.add(fps[at])


_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


_CHUNK = 1 << 16  # values deduplicated at a time first: their hash table stays in the CPU's cache


def first_occurrences(values: np.ndarray, nearby: bool = True) -> np.ndarray:
    """The index of each distinct value's first occurrence, in order: what
    ``np.sort(np.unique(values, return_index=True)[1])`` gives, in a third of the time or less.
    ``nearby``: copies of a value tend to lie close together (the successors of consecutive
    states), so a long array is first deduplicated in cache-sized chunks (a value's first
    occurrence is the first in its chunk), then the survivors together."""
    count = len(values)
    if not nearby or count <= 2 * _CHUNK:
        return _first_by_hashing(values)
    kept = np.concatenate([start + _first_by_hashing(values[start:start + _CHUNK])
                           for start in range(0, count, _CHUNK)])
    return kept[_first_by_hashing(values[kept])]


def _first_by_hashing(values: np.ndarray) -> np.ndarray:
    """First occurrences (see above) in rounds: each pending entry competes for a slot of a hash
    table with twice as many slots as entries; a slot's least index is its value's first
    occurrence (every pending copy of a value lands in the same slot), that value's other copies
    drop out, and entries of other values try again under another hash. A scatter into a small
    table is cheaper than a sort. Few entries are left after the first round."""
    found = []
    pending = None  # the first round takes every entry: no index array to build
    round_ = 0
    while pending is None or len(pending):
        pending_values = values if pending is None else values[pending]
        count = len(pending_values)
        bits = max(8, (2 * count - 1).bit_length())
        multiplier = np.uint64((_MULTIPLIERS[round_ % 4] + 2 * (round_ // 4)) % 2**64)
        slot = pending_values.view(np.uint64) * multiplier >> np.uint64(64 - bits)
        least = np.full(1 << bits, count, dtype=np.int32 if count < 2**31 else np.int64)
        entries = np.arange(count, dtype=least.dtype)
        np.minimum.at(least, slot, entries)
        winner = least[slot]
        firsts, others = winner == entries, pending_values[winner] != pending_values
        found.append(np.flatnonzero(firsts) if pending is None else pending[firsts])
        pending = np.flatnonzero(others) if pending is None else pending[others]
        round_ += 1
    # the first round's indices are sorted and most of them: a merge sort runs in about linear time
    return found[0] if len(found) == 1 else np.sort(np.concatenate(found), kind="stable")


def least_unseen(fps: np.ndarray, seen: FingerprintRuns, copies: bool = False, nearby: bool = True):
    """Indices of the batch's winners, the batch being in key order: the first occurrence of
    each fingerprint not in ``seen``, in order. Vectorised: no Python loop per successor.
    With ``copies``, also, per entry of the batch, the winner it is a copy of (-1: seen).
    ``nearby``: see :func:`first_occurrences`."""
    if not copies:
        first = first_occurrences(fps, nearby)
        values = fps[first]
        ordered = np.sort(values)  # the visited set is searched fastest in order
        return first[~is_in(values, ordered[seen.contains(ordered)])]
    unique, first, inverse = np.unique(fps, return_index=True, return_inverse=True)  # stable
    new = ~seen.contains(unique)
    order = np.argsort(first[new])
    winners = first[new][order]
    rank = np.full(len(unique), -1, dtype=np.int64)
    rank[np.flatnonzero(new)[order]] = np.arange(len(winners))
    return winners, rank[inverse.reshape(-1)]


def is_in(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Per value, whether it is in the sorted array ``ordered``."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(ordered, values)
    at[at == len(ordered)] = 0
    return ordered[at] == values


def add_counts(target: dict, labels: list, counts: list) -> None:
    """Add per-label-id ``counts`` to ``target`` (label -> count); zeros add no key."""
    for label, count in zip(labels, counts):
        if count:
            target[label] = target.get(label, 0) + count


def extend(target: array, values: np.ndarray) -> None:
    """Append a numpy array to an ``array.array`` without a Python object per item; a value
    out of the array's range raises ``OverflowError``, as ``append`` does."""
    limits = np.iinfo(np.dtype(target.typecode))
    if len(values) and (values.min() < limits.min or values.max() > limits.max):
        raise OverflowError(f"a value does not fit an array of type {target.typecode!r} "
                            "(more than 65,535 successors of one state?)")
    target.frombytes(values.astype(target.typecode).tobytes())


class LabelIds(dict):
    """Label -> id, numbering labels as they are first met (a look-up stays in C); the batched
    search numbers a level's parts of states so too."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list = []

    def __missing__(self, label) -> int:
        self[label] = len(self.labels)
        self.labels.append(label)
        return self[label]


class LevelSearch(Search):
    """A search that settles a batch of successors at a time (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = FingerprintRuns()

    def _bound_cut(self, sources: np.ndarray) -> tuple[int, tuple | None]:
        """How many of the batch's new states (their sources in key order) the bounds keep, and
        the cut: (bound, source of the first state refused), or None. As in one process, a new
        state meets the state bound first and the depth bound second."""
        count = len(sources)
        if not count:
            return 0, None
        room = count if self.max_states is None else max(0, self.max_states - len(self.parent))
        if self.max_depth is not None and self.depth >= self.max_depth and room:
            self.truncated = "max_depth"
            return 0, ("max_depth", int(sources[0]))
        if count > room:
            self.truncated = "max_states"
            return room, ("max_states", int(sources[room]))
        return count, None

    def _apply_bounds(self, sources: np.ndarray, events: list, initial: bool) -> tuple:
        """The bounds on a batch's new states (their sources in key order): how many to keep,
        the cut (see ``_bound_cut``), the events one process still meets, and the last source
        it expands (None: all of them). Initial states are never cut, as in one process."""
        if initial:
            return len(sources), None, events, None
        keep, cut = self._bound_cut(sources)
        if cut is not None and cut[0] == "max_states":  # one process returns on meeting it
            return keep, cut, [e for e in events if e[0] <= cut[1]], cut[1]
        return keep, cut, events, None

    def _decide(self, events: list, before: str | None, cut: tuple | None, last: int | None) -> tuple:
        """(stop source or None, the first event of each newly violated property up to it, the
        last source expanded: ``last`` or the stop, whichever comes first)."""
        firsts = self._first_events(events)
        stop = self._stop(firsts, before, cut)
        if stop is None:
            return None, firsts, last
        firsts = {name: e for name, e in firsts.items() if e[0] <= stop}
        return stop, firsts, stop if last is None else min(last, stop)

    def _first_events(self, events) -> dict:
        """Per property not yet violated, its first event in single-process order."""
        firsts: dict = {}
        for event in sorted(events):
            name = event[2]
            if name not in self.violations and name not in firsts:
                firsts[name] = event
        return firsts

    def _stop(self, firsts: dict, before: str | None, cut: tuple | None) -> int | None:
        """The source after which one process stops in this batch, if it does, with
        ``truncated`` set as it sets it. ``before``: ``truncated`` before this batch's bounds;
        ``cut``: what they cut (see ``_bound_cut``). One process meets a cut at its source, in
        the middle of expanding it: max_states ends the search there, max_depth does not."""
        found = self._stop_reason(firsts)
        if found is None:
            return None
        source, reason = found
        if cut is not None and source >= cut[1]:
            return None if cut[0] == "max_states" else source
        self.truncated = before or reason
        return source

    def _stop_reason(self, firsts: dict) -> tuple[int, str] | None:
        """(source, why) of the first point where the decided verdicts stop the search."""
        if not firsts:
            return None
        ordered = sorted(firsts.values())
        if self.stop_at_first:
            return ordered[0][0], "stopped at first violation"
        if self.sometimes or self.liveness:
            return None
        undecided = self.undecided_safety()
        for source, _, name in ordered:
            undecided.discard(name)
            if not undecided:
                return source, "every property violated"
        return None

    def _record(self, firsts: dict) -> None:
        steps = {p.name for p in self.step_properties}
        for name, (source, position, _) in firsts.items():
            if name == DEADLOCK:
                self.violations[name] = self._trace_to(source)
            elif name in steps:
                trace = self._trace_to(source)
                action, nxt = self.model.successors(trace.steps[-1].state)[position]
                self.violations[name] = Trace(trace.steps + (Step(action, nxt),))
            else:  # an invariant: position is the number of the failing new state
                self.violations[name] = self._trace_to(position)
