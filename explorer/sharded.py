"""The batched search on several processes, the visited set partitioned by fingerprint.

For a vectorised model (see :mod:`explorer.batched`): a state is an int that is its own
fingerprint, so it crosses processes as 8 bytes, with nothing to pickle. Of ``N`` processes,
process ``w`` owns the fingerprints that hash to ``w``: that part of the visited set. Level by
level:

1. every process has the level's frontier in number order; whichever is free claims its next
   batch of consecutive states (a shared counter), expands it, checks step properties and
   deadlock there, and sends each successor (its first copy in the batch) to its owner, with
   its key (source number, position in the source's successor list) and its label id.
   Consecutive states share many successors, so a batch drops most copies itself; and a
   process that runs faster this level simply claims more of it;
2. each owner puts what it received in key order (batches cover disjoint ranges of numbers)
   and keeps, per fingerprint it has not seen, the least key: the copy one process meets
   first. These are its new states; it checks invariants and "sometimes" properties on them;
3. process 0, which also coordinates, merges the owners' keys into the one-process order,
   numbers the level's new states, applies the bounds and decides the verdicts with the very
   code of the one-process batched search (:mod:`explorer.levels`), then hands every process
   the next frontier (or says that the search ends), and only then records the level (parent
   links for traces, counts) and adds its new states to its visited set, while the others
   already expand.

So every state gets the number, parent and successor position one process gives it, and the
counts, coverage, verdicts and counterexamples are the same for any number of processes. The
bounds on time and memory are checked between levels. The processes are forked.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import signal
import tempfile
from functools import cached_property
from typing import NamedTuple

import numpy as np

from .base import current_rss
from .batched import BATCH, BatchedSearch, plus_counts
from .levels import extend, first_occurrences, least_unseen, split_by, spread

_POSITION_BITS = 16  # a key is source number << 16 | position: positions are kept in 16 bits anyway
_OWNER_BITS = 8  # merging tags a key with its owner: so up to 256 processes and 2**39 states
_TYPES = (np.int64, np.int64, np.int32)  # a successor on its way to its owner: state, key, label id


def owners(fps: np.ndarray, shards: int) -> np.ndarray:
    """The process that owns each fingerprint (other bits of the spread than the visited
    set's buckets use)."""
    return ((spread(fps) >> np.uint64(32)) % np.uint64(shards)).astype(np.uint16)


class _Outbox:
    """Successors on their way to one owner: per batch, in key order, (states, keys, label ids)."""

    def __init__(self) -> None:
        self.batches: list[tuple] = []

    def add(self, states: np.ndarray, keys: np.ndarray, labels: np.ndarray) -> None:
        if len(states):
            self.batches.append((states, keys, labels))

    def arrays(self) -> list[np.ndarray]:
        """For a channel: the states, keys and label ids, and each batch's length."""
        return [_join([batch[i] for batch in self.batches], kind) for i, kind in enumerate(_TYPES)] + \
            [np.array([len(batch[0]) for batch in self.batches], dtype=np.int64)]


def _batches(arrays: list[np.ndarray]) -> list[tuple]:
    """An outbox's batches, back from its :meth:`_Outbox.arrays`."""
    states, keys, labels, lengths = arrays
    ends = np.cumsum(lengths).tolist()
    return [(states[start:end], keys[start:end], labels[start:end]) for start, end in zip([0] + ends, ends)]


def _join(parts: list, kind) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=kind)


def _in_key_order(batches: list[tuple]) -> tuple:
    """Batches of successors (see :class:`_Outbox`) joined in key order: batches cover
    disjoint ranges of numbers, so ordering them by their first key is enough."""
    batches = sorted(batches, key=lambda batch: int(batch[1][0]))
    return tuple(_join([batch[i] for batch in batches], kind) for i, kind in enumerate(_TYPES))


class _Claims:
    """Which batch of the level's frontier a process expands next: whichever process is free
    claims the next ``BATCH`` states in number order, so none waits while another still has
    many to expand (process 0 starts late: it records the last level first). A counter in
    shared memory, under a lock. (Batches that shrank towards a level's end were no faster.)"""

    def __init__(self, context) -> None:
        self.next = context.Value("q", 0)

    def reset(self) -> None:
        """For the next level: only while no other process claims."""
        self.next.value = 0

    def claim(self, count: int) -> tuple[int, int] | None:
        """The next batch of a frontier of ``count`` states: (start, end), or None at its end."""
        with self.next.get_lock():
            start = self.next.value
            end = min(count, start + BATCH)
            self.next.value = end
        return (start, end) if start < end else None


class _Level:
    """What one process found in one level."""

    def __init__(self, shards: int, labels: int) -> None:
        self.outboxes = [_Outbox() for _ in range(shards)]
        self.events: list[tuple] = []  # step properties and deadlock: (source, position, name)
        self.generated = 0
        self.fired = np.zeros(labels, dtype=np.int64)  # per label id
        # its new states (each this process's to own), in key order: states, keys, label ids
        self.states = self.keys = self.labels = None
        self.failing: dict[str, int] = {}  # invariant -> key of its first new state that fails it
        self.witnessed: dict[str, int] = {}  # "sometimes" property -> key of the first that meets it

    def arrays(self) -> list[np.ndarray]:
        """Its new states' keys, label ids and states: the first fields of a :class:`_Report`."""
        return [self.keys, self.labels, self.states]

    def summary(self) -> tuple:
        """The other fields of a :class:`_Report`."""
        return self.events, self.generated, self.fired, self.failing, self.witnessed


class _Report(NamedTuple):
    """One process's level, as the coordinator sees it (see :class:`_Level`)."""

    keys: np.ndarray
    labels: np.ndarray
    states: np.ndarray
    events: list
    generated: int
    fired: np.ndarray
    failing: dict
    witnessed: dict


class _Channel:
    """Arrays from one process to another through shared memory (a file in memory, created
    before the fork, so both have it): the sender writes them there and sends only a header
    (lengths and types) on a pipe. Pipes moved about 270 MB/s here, shared pages about
    2.9 GB/s. The sender writes again only after the receiver has copied the arrays out (the
    level's next step)."""

    def __init__(self) -> None:
        self.fd = os.memfd_create("recover-check") if hasattr(os, "memfd_create") else \
            os.dup(tempfile.TemporaryFile().fileno())
        self.size = 0
        self.memory: mmap.mmap | None = None

    def _map(self, size: int) -> None:
        if self.memory is not None:
            self.memory.close()
        self.memory, self.size = mmap.mmap(self.fd, size), size

    def write(self, arrays: list[np.ndarray]) -> tuple:
        """Put ``arrays`` in the shared memory; the header that reads them back."""
        needed = sum(values.nbytes for values in arrays)
        if needed > self.size:
            size = max(needed, 2 * self.size)
            os.ftruncate(self.fd, size)
            self._map(size)
        offset = 0
        for values in arrays:
            if len(values):
                np.frombuffer(self.memory, dtype=values.dtype, count=len(values), offset=offset)[:] = values
            offset += values.nbytes
        return self.size, [(len(values), values.dtype.str) for values in arrays]

    def read(self, header: tuple) -> list[np.ndarray]:
        """Copies of the arrays a header describes."""
        size, shapes = header
        if size != self.size:
            self._map(size)
        arrays, offset = [], 0
        for count, kind in shapes:
            arrays.append(np.frombuffer(self.memory, dtype=kind, count=count, offset=offset).copy() if count
                          else np.zeros(0, dtype=kind))
            offset += arrays[-1].nbytes
        return arrays

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()
        os.close(self.fd)


class _Ordered:
    """A level's new states from every owner, merged into one-process order (by key). Each
    owner's keys are sorted and tagged with the owner in their low bits, so one stable sort of
    the values merges the runs in linear time (cheaper than an argsort, or binary searches)."""

    def __init__(self, reports: list) -> None:
        tagged = np.sort(np.concatenate([r.keys << _OWNER_BITS | w for w, r in enumerate(reports)]), kind="stable")
        owner = tagged & ((1 << _OWNER_BITS) - 1)
        self.keys = tagged >> _OWNER_BITS
        self.places = [np.flatnonzero(owner == w) for w in range(len(reports))]
        self.labels = [r.labels for r in reports]

    @cached_property
    def parents(self) -> np.ndarray:
        return self.keys >> _POSITION_BITS

    @property
    def positions(self) -> np.ndarray:
        return self.keys & ((1 << _POSITION_BITS) - 1)

    def rank(self, key: int) -> int:
        """The place of the new state with this key in the level."""
        return int(np.searchsorted(self.keys, key))

    def states(self, reports: list) -> np.ndarray:
        """The level's new states, in number order."""
        merged = np.empty(len(self.keys), dtype=np.int64)
        for places, report in zip(self.places, reports):
            merged[places] = report.states
        return merged

    def label_counts(self, kept: int, labels: int) -> np.ndarray:
        """Per label id, how many of the first ``kept`` new states it found."""
        return sum(np.bincount(mine[places < kept], minlength=labels) for mine, places in zip(self.labels, self.places))


class _Mesh:
    """One process's ways to every other: per peer, a pipe and a channel each way."""

    def __init__(self, me: int, links: dict, channels: dict) -> None:
        self.links = links  # peer -> Connection
        self.outgoing = {peer: channels[me, peer] for peer in links}
        self.incoming = {peer: channels[peer, me] for peer in links}

    def exchange(self, outgoing: dict) -> list[list[np.ndarray]]:
        """Send ``outgoing[peer]`` (arrays) to each peer, and receive what each sends here. The
        pipes carry only lengths, so no send waits on a receiver."""
        for peer, conn in self.links.items():
            conn.send(self.outgoing[peer].write(outgoing[peer]))
        return [self.incoming[peer].read(conn.recv()) for peer, conn in self.links.items()]

    def close(self) -> None:
        for conn in self.links.values():
            conn.close()


class ShardedSearch(BatchedSearch):
    """Process 0: owner of one shard and coordinator (see the module docstring)."""

    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.states.vectorised:
            raise ValueError("processes run the batched search over a vectorised model only; "
                             "search one state at a time (engine='states') on several workers")
        self.shards = workers
        self.engine = f"batched, vectorised model, {workers} processes"

    # -- what every process does -----------------------------------------------------------
    def _find(self, me: int, mesh: _Mesh, frontier: np.ndarray, first: int) -> _Level:
        """Expand the batches of the level's frontier (its states numbered from ``first``)
        this process claims, trade successors with the other owners, and keep and check the
        new states it owns."""
        level = _Level(self.shards, len(self.states.labels))
        while (batch := self.claims.claim(len(frontier))) is not None:
            start, end = batch
            self._expand_batch(level, frontier[start:end], first + start)
        received = mesh.exchange({peer: level.outboxes[peer].arrays() for peer in mesh.links})
        batches = level.outboxes[me].batches + [batch for arrays in received for batch in _batches(arrays)]
        states, keys, labels = _in_key_order(batches)
        best = least_unseen(states, self.seen, nearby=False)  # copies found far apart, by different sources
        level.states, level.keys, level.labels = states[best], keys[best], labels[best]
        self._check_new(level)
        return level

    def _expand_batch(self, level: _Level, batch: np.ndarray, first: int) -> None:
        """Expand states numbered ``first, first + 1, ...``."""
        sources, positions, label_ids, nexts, _ = self.states.expand(batch)
        if self.step_properties:
            level.events += self._step_events(batch, sources, positions, label_ids, nexts, first + sources)
        if self.check_deadlock:
            level.events += self._deadlock_events(batch, sources, np.arange(first, first + len(batch)))
        level.generated += len(nexts)
        level.fired += np.bincount(label_ids, minlength=len(level.fired))
        firsts = first_occurrences(nexts)  # copies from other batches and processes: the owner's to drop
        states, labels, positions = nexts[firsts], label_ids[firsts].astype(np.int32), positions[firsts]
        if len(positions) and positions.max() >> _POSITION_BITS:
            raise OverflowError("more than 65,535 successors of one state: positions are kept in 16 bits")
        keys = (first + sources[firsts]) << _POSITION_BITS | positions
        for owner, at in enumerate(split_by(owners(states, self.shards), self.shards)):
            level.outboxes[owner].add(states[at], keys[at], labels[at])

    def _check_new(self, level: _Level) -> None:
        level.failing = {name: int(level.keys[at]) for name, at in self._first_failing(level.states).items()}
        level.witnessed = {name: int(level.keys[at]) for name, at in self._first_witnessing(level.states).items()}

    def _tally_to(self, frontier: np.ndarray, first: int, last: int) -> tuple[int, np.ndarray]:
        """Successors and labels fired by the level's states (numbered from ``first``) up to
        number ``last``: where one process stopped."""
        generated, fired = 0, np.zeros(len(self.states.labels), dtype=np.int64)
        states = frontier[:last + 1 - first]
        for start in range(0, len(states), BATCH):
            label_ids = self.states.expand(states[start:start + BATCH])[2]
            generated += len(label_ids)
            fired += np.bincount(label_ids, minlength=len(fired))
        return generated, fired

    def _serve(self, me: int, links: dict, channels: dict, boss, frontier: np.ndarray, first: int,
               foreign: list) -> None:
        """A forked owner: find each level, report it, and wait for the next frontier.
        ``channels``: the successors' channels between every two processes, each worker's
        "report" (to process 0), and the "frontier" (from it, to all); ``foreign``: pipe ends
        that are others'."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
        for conn in foreign:  # other processes' pipe ends, so that a process's end reads as EOF
            conn.close()
        mesh = _Mesh(me, links, channels)
        rss_base = peak = current_rss()
        try:
            while True:
                level = self._find(me, mesh, frontier, first)
                header = channels["report", me].write(level.arrays())
                boss.send(("level", (header, level.summary(), current_rss() - rss_base)))
                self.seen.add(level.states)  # while the coordinator merges the reports
                peak = max(peak, current_rss())
                command, payload = boss.recv()
                if command == "end":
                    boss.send(("rss", max(peak, current_rss()) - rss_base))
                    return
                decided, header, first = payload
                frontier = channels["frontier"].read(header)[0]
                self._decided(decided)
        except BaseException as exc:  # noqa: BLE001 - handed to the coordinator, which raises it
            mesh.close()
            try:
                boss.send(("error", exc))
            except OSError:  # the coordinator is gone: nobody to tell
                pass

    def _decided(self, decided: tuple) -> None:
        """The properties already decided: a process no longer checks them."""
        violated, witnessed = decided
        self.violations = dict.fromkeys(violated)
        self.witnesses = dict.fromkeys(witnessed)

    # -- the coordinator ---------------------------------------------------------------------
    def _levels(self) -> None:
        frontier, stop = self._initial_level()  # in this process, before the others start
        if stop or not len(frontier) or self._over_budget(len(frontier), 0):
            return
        channels = {(a, b): _Channel() for a in range(self.shards) for b in range(self.shards) if a != b}
        for w in range(1, self.shards):  # a worker's report to process 0
            channels["report", w] = _Channel()
        channels["frontier"] = _Channel()  # from process 0 to all: each level's new states
        context = multiprocessing.get_context("fork")
        self.claims = _Claims(context)
        first = len(self.parent) - len(frontier)
        mesh, procs = self._fork(context, frontier, first, channels)
        try:
            self._coordinate(mesh, frontier, first)
        finally:
            mesh.close()  # a worker still waiting for this process's successors reads EOF
            # memory per state counts the workers' peak growth with this process's
            self.rss_peak = max(self.rss_peak, current_rss()) + self._end_workers(procs)
            for channel in channels.values():
                channel.close()

    def _fork(self, context, frontier: np.ndarray, first: int, channels: dict) -> tuple:
        """Start the other processes on the first frontier (numbered from ``first``): this
        process's ways to them, and the processes."""
        ends = {pair: context.Pipe() for pair in _pairs(self.shards)}
        bosses = [context.Pipe() for _ in range(1, self.shards)]  # [0]: process 0's end
        every = [conn for pair in list(ends.values()) + bosses for conn in pair]
        procs = []
        for w in range(1, self.shards):
            links, boss = _links_of(w, ends), bosses[w - 1][1]
            procs.append(context.Process(target=self._serve, daemon=True, args=(
                w, links, channels, boss, frontier, first,
                _others(every, list(links.values()) + [boss]))))
        for proc in procs:
            proc.start()
        mesh, self.bosses = _Mesh(0, _links_of(0, ends), channels), [pair[0] for pair in bosses]
        self.report_channels = [channels["report", w] for w in range(1, self.shards)]
        self.frontier_channel = channels["frontier"]
        for conn in _others(every, list(mesh.links.values()) + self.bosses):
            conn.close()
        return mesh, procs

    def _coordinate(self, mesh: _Mesh, frontier: np.ndarray, first: int) -> None:
        while True:
            try:
                level = self._find(0, mesh, frontier, first)
                received = [self._receive(boss, "level") for boss in self.bosses]
                reports = [_Report(*level.arrays(), *level.summary())] + [
                    _Report(*channel.read(header), *summary)
                    for channel, (header, summary, _) in zip(self.report_channels, received)]
                self.rss_elsewhere = sum(grown for _, _, grown in received)  # for the memory bound
            except (EOFError, OSError):
                raise self._worker_failure() from None
            ordered = _Ordered(reports)
            stop, firsts, last, kept = self._decide_level(ordered, reports)
            # between levels every worker waits for a word, so that "end" reaches them all
            going = stop is None and self.truncated is None and kept and \
                not self._over_budget(len(self.parent) - self.level_end, 0)
            if going:  # the others go on while this process records the level
                next_first, next_frontier = len(self.parent), ordered.states(reports)
                decided = (list(self.violations) + list(firsts), list(self.witnesses))
                header = self.frontier_channel.write([next_frontier])
                self.claims.reset()  # every other process waits for this word
                for boss in self.bosses:
                    boss.send(("next", (decided, header, next_first)))
            self.seen.add(level.states)  # while the others expand the next level
            self._record_level(ordered, reports, firsts, kept, last, frontier, first)
            if not going:
                return
            self.level_end = len(self.parent)
            self.depth += 1
            frontier, first = next_frontier, next_first

    def _decide_level(self, ordered: "_Ordered", reports: list) -> tuple:
        """Apply the bounds and decide the verdicts on the level, exactly as one process does:
        (stop source or None, first events, last source expanded or None, new states kept)."""
        before = self.truncated
        keep, cut, events, last = self._apply_bounds(ordered.parents, [e for r in reports for e in r.events], False)
        first_new = len(self.parent)
        for report in reports:
            for name, key in report.failing.items():
                at = ordered.rank(key)
                if at < keep:
                    events.append((key >> _POSITION_BITS, first_new + at, name))
        stop, firsts, last = self._decide(events, before, cut, last)
        kept = keep if stop is None else int(np.searchsorted(ordered.parents[:keep], stop, side="right"))
        return stop, firsts, last, kept

    def _record_level(self, ordered: "_Ordered", reports: list, firsts: dict, kept: int, last: int | None,
                      frontier: np.ndarray, first: int) -> None:
        """Keep the level's parent links, counts, violations and witnesses. ``last``: the last
        source expanded where one process stopped in this level; ``frontier``: the level's states,
        numbered from ``first``."""
        first_new = len(self.parent)
        self._make_room(kept)
        extend(self.parent, ordered.parents[:kept])
        extend(self.ordinal, ordered.positions[:kept])
        tallies = [(r.generated, r.fired) for r in reports] if last is None else \
            [self._tally_to(frontier, first, last)]
        self.generated += sum(generated for generated, _ in tallies)
        self.fired_ids = plus_counts(self.fired_ids, sum(fired for _, fired in tallies))
        self.new_ids = plus_counts(self.new_ids, ordered.label_counts(kept, len(self.states.labels)))
        self._record(firsts)
        self._witness_at(reports, ordered, kept, first_new)

    def _witness_at(self, reports: list, ordered: "_Ordered", kept: int, first_new: int) -> None:
        found: dict[str, int] = {}
        for report in reports:
            for name, key in report.witnessed.items():
                at = ordered.rank(key)
                if at < kept:
                    found[name] = min(found.get(name, at), at)
        for name, at in found.items():
            if name not in self.witnesses:
                self.witnesses[name] = self._trace_to(first_new + at)

    @staticmethod
    def _receive(boss, kind: str):
        """A worker's next message, of this kind; a worker's error is raised here."""
        message, payload = boss.recv()
        if message == "error":
            raise payload
        if message != kind:
            raise RuntimeError(f"a worker sent {message!r} where {kind!r} was due")
        return payload

    def _worker_failure(self) -> BaseException:
        """The error a worker reported, or a generic one if it died without a word."""
        for boss in self.bosses:
            try:
                if boss.poll(5):
                    message, payload = boss.recv()
                    if message == "error" and not isinstance(payload, (EOFError, OSError)):
                        return payload
            except (EOFError, OSError):
                continue
        return RuntimeError("a worker process ended unexpectedly")

    def _end_workers(self, procs: list) -> int:
        """Tell the workers the search is over; the sum of their peak memory growth."""
        grown = 0
        for boss in self.bosses:
            try:
                boss.send(("end", None))
                if boss.poll(10):
                    message, payload = boss.recv()
                    grown += payload if message == "rss" else 0
            except (EOFError, OSError):
                continue
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
        return grown


def _pairs(shards: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(shards) for b in range(a + 1, shards)]


def _others(conns: list, mine: list) -> list:
    """The pipe ends in ``conns`` that are not among ``mine``."""
    return [conn for conn in conns if all(conn is not own for own in mine)]


def _links_of(me: int, ends: dict) -> dict:
    """Process ``me``'s ends of the pipes between processes: peer -> Connection."""
    links = {}
    for (a, b), (low, high) in ends.items():
        if me == a:
            links[b] = low
        elif me == b:
            links[a] = high
    return dict(sorted(links.items()))
