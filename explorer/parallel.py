"""Multi-process breadth-first search.

Workers expand states; the coordinator decides which successors are new, on fingerprints
alone, and numbers them. A new state stays in a worker that found it (no state crosses a
process boundary unless the coordinator rebalances the frontiers), so only small ints travel on
the hot path. The search goes level by level:

1. each worker expands its share of the frontier, checks step properties and deadlock, and
   reports, per fingerprint it found, the smallest key (parent number, position in the
   parent's successor list);
2. the coordinator keeps, per fingerprint never seen, the smallest key over all workers: the
   successor a single-process BFS meets first; it numbers the winners in key order and tells
   each worker which states it keeps, under which numbers (see :func:`keepers_of`: a state
   that several workers found goes to the one with fewer states, or to a pool that the
   workers share, so that a worker that runs faster this level takes more of it);
3. the workers check invariants and "sometimes" properties on their new states, which become
   their next frontier; the coordinator evens out frontiers that drift apart.

So states get the very numbers, parents and successor positions the single-process search
gives them, and counterexamples (rebuilt by the coordinator by replaying positions) are the
same shortest ones, for any number of workers; even where a single process would stop early
(every property violated, the first violation, a bound), the coordinator cuts at the same
state. Models and properties reach the workers by ``fork``.

With liveness (or ``keep_graph``) the workers also report every successor's fingerprint and
label, and what the liveness predicates say of their new states; the coordinator keeps the
graph one process builds (the same rows, edges and label numbers, so the same lassos), and
once the search is complete the liveness properties are checked on it by as many forked
processes as there are workers, each taking its share of the properties.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import Counter
from itertools import repeat

import numpy as np

from .base import Search, action_of, count_elements, current_rss
from .fingerprint import FP_MASK, UnfaithfulHash
from .batched import sources_and_positions
from .levels import LabelIds, LevelSearch, add_counts, extend, least_unseen
from .properties import DEADLOCK

_COMMANDS = ("seed", "expand", "winners", "give", "receive", "unfire", "stop")
_POOL = 1 << 16  # at most this many new states a level are pooled
_CLAIM_CHUNK = 8  # pool states claimed at a time


class _Expansion:
    """What a worker's expansion of one level found."""

    def __init__(self, edges: bool) -> None:
        self.candidates: dict[int, tuple] = {}  # fingerprint -> (least key, action, state)
        self.fired: Counter = Counter()
        self.numbers: list[int] = []  # the states expanded, with their successor counts
        self.counts: list[int] = []
        self.step_violations: list[tuple] = []
        self.dead: list[int] = []
        # for the graph (liveness, keep_graph): every successor's fingerprint and label id, in
        # the order of ``numbers`` and of each state's successor list
        self.edge_fps: list[int] | None = [] if edges else None
        self.edge_labels: list[int] = []

    def edges(self) -> tuple | None:
        if self.edge_fps is None:
            return None
        return np.array(self.edge_fps, dtype=np.int64), np.array(self.edge_labels, dtype=np.int64)


class _Worker:
    """One worker's share of the search (runs in a forked process)."""

    def __init__(self, search: Search, me: int, inboxes, outbox):
        self.search, self.me = search, me
        self.inboxes, self.outbox = inboxes, outbox
        self.mailbox = _Mailbox(inboxes[me])  # a peer's states may overtake the coordinator
        self.label_ids = LabelIds()  # labels travel as this worker's ids: pickling is costly
        self.labels_sent = 0
        self.fingerprint = search.fingerprint
        self.frontier: list[tuple[int, object]] = []  # (state number, state), in number order
        # new states this worker holds with others: whoever gets to one first expands it
        self.pool: list[tuple[int, int, object]] = []  # (pool index, state number, state)
        self.level = 0  # stamps this level's claims on the shared pool
        self.candidates: dict[int, tuple] = {}  # fingerprint -> (key, action, state)

    def serve(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
        # (the cyclic collector stays off: forked while Search.run had paused it)
        self.rss_base = peak = current_rss()
        while True:
            command, payload = self.mailbox.take(_COMMANDS)[0]
            if command == "stop":
                self.outbox.put(("rss", self.me, max(peak, current_rss()) - self.rss_base))
                return
            getattr(self, "_" + command)(payload)
            peak = max(peak, current_rss())

    def _seed(self, payload) -> None:
        self.candidates = {f: (key, None, state) for f, key, state in payload}

    def _expand(self, _) -> None:
        self.level += 1
        report = _Expansion(edges=self.search.graph is not None)
        self._expand_states(report, self.frontier, least_first=True)
        self.expanded = self.frontier + self._claim_pool(report)  # kept until the level is settled (see _unfire)
        self.candidates = report.candidates
        counts = (np.array(report.numbers, dtype=np.int64), np.array(report.counts, dtype=np.int64))
        self.outbox.put(("expanded", self.me, (counts, report.fired, report.step_violations, report.dead,
                                               _candidate_arrays(report.candidates), report.edges(),
                                               current_rss() - self.rss_base)))

    def _expand_states(self, report: _Expansion, states: list, least_first: bool) -> None:
        """Expand ``states`` (number, state) into this level's ``report``. ``least_first``: they
        come in number order and before any other, so a fingerprint's first key is its least."""
        search, fingerprint = self.search, self.fingerprint
        successors, step_properties = search.model.successors, search.step_properties
        candidates, fired, numbers, counts = report.candidates, report.fired, report.numbers, report.counts
        edge_fps, edge_labels, label_id = report.edge_fps, report.edge_labels, self.label_ids.__getitem__
        for number, state in states:
            succs = successors(state)
            numbers.append(number)
            counts.append(len(succs))
            if not succs:
                if search.check_deadlock and not search.is_terminal(state):
                    report.dead.append(number)
                continue
            count_elements(fired, map(action_of, succs))
            if step_properties:
                report.step_violations += [(prop.name, number, k) for k, (action, nxt) in enumerate(succs)
                                           for prop in step_properties if not prop.predicate(state, action, nxt)]
            fps = [fingerprint(nxt) & FP_MASK for _, nxt in succs]
            if edge_fps is not None:
                edge_fps += fps
                edge_labels += map(label_id, map(action_of, succs))
            if least_first:
                for k, f in enumerate(fps):
                    if f not in candidates:
                        candidates[f] = ((number, k), *succs[k])
            else:  # a pooled state: its number falls anywhere among this worker's
                for k, f in enumerate(fps):
                    known = candidates.get(f)
                    if known is None or (number, k) < known[0]:
                        candidates[f] = ((number, k), *succs[k])

    def _claim_pool(self, report: _Expansion) -> list[tuple[int, object]]:
        """Expand the pool states no other worker has claimed, a few at a time; the ones this
        worker expanded. Workers start at different places in the pool so that they rarely contend."""
        pool, claims, lock, level = self.pool, self.search.claims, self.search.claim_lock, self.level
        self.pool = []
        start = self.me * len(pool) // self.search.workers
        pool = pool[start:] + pool[:start]
        claimed = []
        for at in range(0, len(pool), _CLAIM_CHUNK):
            chunk = pool[at:at + _CLAIM_CHUNK]
            with lock:
                mine = [(number, state) for index, number, state in chunk if claims[index] != level]
                for index, _, _ in chunk:
                    claims[index] = level
            self._expand_states(report, mine, least_first=False)
            claimed += mine
        return claimed

    def _winners(self, payload) -> None:
        """``payload``: the new states this worker keeps and those whose discovering action is
        its own (it found them first), each as (fingerprints, numbers) in number order."""
        search, candidates = self.search, self.candidates
        (kept_fps, kept_numbers), (labelled_fps, labelled_numbers), (pool_fps, pool_numbers, pool_at) = payload
        self.frontier = list(zip(kept_numbers.tolist(), [candidates[f][2] for f in kept_fps.tolist()]))
        self.pool = list(zip(pool_at.tolist(), pool_numbers.tolist(), [candidates[f][2] for f in pool_fps.tolist()]))
        actions = [candidates[f][1] for f in labelled_fps.tolist()]
        # properties are checked by the worker that keeps a state, or found it if it is pooled
        pooled = set(pool_fps.tolist())
        checked = self.frontier + [(number, candidates[f][2]) for f, number in
                                   zip(labelled_fps.tolist(), labelled_numbers.tolist()) if f in pooled]
        if actions and actions[0] is None:  # the initial states: no action discovered them
            labelled_numbers, actions = labelled_numbers[:0], []
        ids = np.fromiter(map(self.label_ids.__getitem__, actions), dtype=np.int64, count=len(actions))
        new_labels, self.labels_sent = self.label_ids.labels[self.labels_sent:], len(self.label_ids.labels)
        failing = [(p.name, number) for p in search.invariants for number, s in checked if not p.predicate(s)]
        witnessed = [(p.name, number) for p in search.sometimes for number, s in checked if p.predicate(s)]
        marks = (np.array([number for number, _ in checked], dtype=np.int64),
                 [bytes(bool(predicate(s)) for _, s in checked) for predicate in search.mark_predicates])
        self.outbox.put(("checked", self.me, ((labelled_numbers, ids, new_labels), failing, witnessed, marks,
                                              self._unfaithful(checked))))
        self.candidates = {}  # freeing the losers after the report overlaps the coordinator's work

    def _unfaithful(self, checked: list) -> tuple[str | None, list]:
        """Why ``hash`` cannot fingerprint one of these new states (the coordinator then searches
        again with the stable fingerprint), or None; and the shapes the guard found, for the
        coordinator to hold against other workers' (see HashGuard.drain)."""
        guard = self.search.guard
        if guard is None:
            return None, []
        try:
            for _, state in checked:
                guard.check(state)
        except UnfaithfulHash as exc:
            return str(exc), []
        return None, guard.drain()

    def _unfire(self, last_source: int) -> None:
        """The labels fired by this worker's states past ``last_source``, where one process
        stopped: the coordinator takes them back out of the coverage."""
        fired: Counter = Counter()
        for number, state in self.expanded:
            if number > last_source:
                count_elements(fired, map(action_of, self.search.model.successors(state)))
        self.outbox.put(("unfired", self.me, fired))

    def _give(self, payload) -> None:
        """Hand the last ``count`` states of the frontier to worker ``to``."""
        count, to = payload
        self.frontier, given = self.frontier[:-count], self.frontier[-count:]
        self.inboxes[to].put(("states", given))

    def _receive(self, _) -> None:
        [(_, states)] = self.mailbox.take("states")
        self.frontier = sorted(self.frontier + states, key=lambda item: item[0])


class ParallelSearch(LevelSearch):
    """The coordinator: decides what is new, numbers states, keeps parent links, verdicts."""

    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.workers = workers
        self.engine = f"{workers} processes"
        self.worker_labels: list[list] = [[] for _ in range(workers)]  # each worker's label ids
        self.worker_rss = 0
        self.index: dict[int, int] = {}  # fingerprint -> state number, for the graph's edges

    def _bfs(self) -> None:
        context = multiprocessing.get_context("fork")
        # the pool's claims: per pool index, the level that claimed it (workers read it forked)
        self.claims, self.claim_lock = context.RawArray("i", _POOL), context.Lock()
        inboxes = [context.Queue() for _ in range(self.workers)]
        queue = context.Queue()
        procs = [context.Process(target=_Worker(self, w, inboxes, queue).serve, daemon=True)
                 for w in range(self.workers)]
        for p in procs:
            p.start()
        self.inboxes, self.outbox = inboxes, _Mailbox(queue)
        try:
            self._levels()
        finally:
            for box in inboxes:
                box.put(("stop", None))
            self.worker_rss = sum(m[2] for m in self.outbox.take("rss", len(procs)))
            # memory per state counts the workers' peak growth with the coordinator's
            self.rss_peak = max(self.rss_peak, current_rss()) + self.worker_rss
            for p in procs:
                p.join(timeout=10)

    def _clash(self, shapes: list) -> list[str]:
        """Held against the shapes of every worker so far, why a worker's new ones clash (one
        worker saw a bool at a place where another saw an int), or nothing."""
        try:
            if shapes:
                self.guard.absorb(shapes)
        except UnfaithfulHash as exc:
            return [str(exc)]
        return []

    def _send(self, w: int, command: str, payload=None) -> None:
        self.inboxes[w].put((command, payload))

    def _levels(self) -> None:
        seeds: list[list] = [[] for _ in range(self.workers)]
        candidates = []
        for k, state in enumerate(self.model.init_states()):
            self.inits.append(state)
            self.generated += 1
            f = self.fingerprint(state) & FP_MASK
            w = k % self.workers
            seeds[w].append((f, (-1, k), state))
            candidates.append((w, _candidate_arrays({f: ((-1, k), None, state)})))
        for w, seed in enumerate(seeds):
            self._send(w, "seed", seed)
        if self._settle_level(candidates, [], [], [], initial=True):
            return
        self.depth = 1
        while True:
            queued = len(self.parent) - self.level_end  # the last level's states: this one's frontier
            self.level_end = len(self.parent)
            if self._over_budget(queued, 0):  # time, every process's memory, progress
                return
            for w in range(self.workers):
                self._send(w, "expand")
            counts, events, candidates, edges = self._expansion(self.outbox.take("expanded", self.workers))
            if self._settle_level(candidates, counts, events, edges):
                return
            if len(self.parent) == self.level_end:  # no new state: the search is complete
                return
            self.depth += 1

    def _expansion(self, reports) -> tuple[list, list, list, list]:
        """Per worker, its states' numbers and successor counts; the step-property and deadlock events
        ``(source, position, name)``; each worker's (fingerprint, key) candidates; with a graph,
        per worker, its states' successors (see :class:`_Expansion`)."""
        counts, edges = [], []
        events, candidates = [], []
        self.rss_elsewhere = 0  # for the memory bound
        for _, w, (counts_w, fired, step_violations, dead, found, edges_w, grown) in sorted(reports, key=lambda m: m[1]):
            self.rss_elsewhere += grown
            counts.append(counts_w)
            self.fired.update(fired)
            events += [(number, k, name) for name, number, k in step_violations]
            if self.check_deadlock:
                events += [(number, -1, DEADLOCK) for number in dead]
            candidates.append((w, found))
            if edges_w is not None:
                edges.append((w, *counts_w, *edges_w))
        return counts, events, candidates, edges

    def _winners(self, candidates):
        """(fingerprints, parents, positions, finders, holders) of every fingerprint never seen:
        its least key, in key order (the order a single process discovers them in), the worker
        that found it under that key, and which workers hold it (a workers x winners mask)."""
        fps = np.concatenate([c[1][0] for c in candidates])
        parents = np.concatenate([c[1][1] for c in candidates])
        positions = np.concatenate([c[1][2] for c in candidates])
        workers = np.concatenate([np.full(len(c[1][0]), c[0], dtype=np.int64) for c in candidates])
        order = in_key_order(parents, positions)
        fps, workers = fps[order], workers[order]
        winners, copy_of = least_unseen(fps, self.seen, copies=True)
        holders = np.zeros((self.workers, len(winners)), dtype=bool)
        new = copy_of >= 0
        holders[workers[new], copy_of[new]] = True
        best = order[winners]
        return fps[winners], parents[best], positions[best], workers[winners], holders

    def _settle_level(self, candidates, counts: list, events: list, edges: list, initial: bool = False) -> bool:
        """Number the level's new states in single-process order, record what it decided, and
        cut it where the single-process search would have stopped; True if the search stops."""
        fps, parents, positions, finders, holders = self._winners(candidates)
        before = self.truncated
        keep, cut, events, last = self._apply_bounds(parents, events, initial)
        # one process stops at the state bound midway through a row: before this successor
        cut_at = int(positions[keep]) if cut is not None and cut[0] == "max_states" else 0
        fps, parents, positions, finders, holders = (fps[:keep], parents[:keep], positions[:keep],
                                                     finders[:keep], holders[:, :keep])
        keepers = keepers_of(finders, holders)
        first_new = len(self.parent)
        numbers = np.arange(first_new, first_new + keep, dtype=np.int64)
        shares = []
        pooled = keepers == -1
        pool_at = np.cumsum(pooled) - 1  # each pooled state's index in the pool
        for w in range(self.workers):
            kept, found, mine = keepers == w, finders == w, pooled & holders[w]
            shares.append(int(kept.sum()))
            self._send(w, "winners", ((fps[kept], numbers[kept]), (fps[found], numbers[found]),
                                      (fps[mine], numbers[mine], pool_at[mine])))
        extend(self.parent, parents)  # while the workers check their new states
        extend(self.ordinal, positions)
        self.seen.add(fps)
        labelled, invariant_events, witnessed, marks = [], [], [], []
        unfaithful = []
        for _, w, ((numbers_w, ids, new_labels), failing, witnessed_w, marks_w, (why, shapes)) in \
                self.outbox.take("checked", self.workers):
            unfaithful += [why] if why else self._clash(shapes)
            marks.append(marks_w)
            self.worker_labels[w] += new_labels
            labelled.append((w, numbers_w, ids))
            invariant_events += [(self.parent[number], number, name) for name, number in failing]
            witnessed += [(number, name) for name, number in witnessed_w]
        if unfaithful:
            raise UnfaithfulHash(min(unfaithful))
        stop, firsts, last = self._decide(events + invariant_events, before, cut, last)
        if stop is not None:  # keep what a single process found before it stopped
            end = first_new + int(np.searchsorted(parents, stop, side="right"))
            del self.parent[end:], self.ordinal[end:]
        kept = len(self.parent)
        if self.graph is not None:
            self._record_graph(fps[:kept - first_new], first_new, marks)
            self._add_rows(edges, *self._rows_end(stop, firsts, last, cut_at))
        for numbers, lengths in counts:
            self.generated += int(lengths.sum() if last is None else lengths[numbers <= last].sum())
        if last is not None and counts:
            self._unfire(last)
        for w, numbers_w, ids in labelled:
            add_counts(self.new_by_label, self.worker_labels[w], np.bincount(ids[numbers_w < kept]).tolist())
        self._record(firsts)
        for number, name in sorted(witnessed):
            if number < kept and name not in self.witnesses:
                self.witnesses[name] = self._trace_to(number)
        if stop is not None or self.truncated is not None:
            return True
        self._rebalance(shares)
        return False

    def _record_graph(self, fps: np.ndarray, first_new: int, marks: list) -> None:
        """The level's new states (their fingerprints, numbered from ``first_new``) and their
        liveness marks (per worker: the numbers it checked and a byte string per predicate)."""
        self.index.update(zip(fps.tolist(), range(first_new, first_new + len(fps))))
        extend(self.graph.fingerprints, fps)
        for p, bits in enumerate(self.marks):
            level = np.zeros(len(fps), dtype=np.uint8)
            for numbers, marks_w in marks:
                at = numbers - first_new
                inside = at < len(fps)
                level[at[inside]] = np.frombuffer(marks_w[p], dtype=np.uint8)[inside]
            bits.extend(level.tobytes())

    @staticmethod
    def _rows_end(stop: int | None, firsts: dict, last: int | None, cut_at: int) -> tuple:
        """Where one process stopped adding rows to the graph: (the first state whose row it did
        not end, None for none; how many of that row's edges it added). It ends a row once it
        has expanded the state: at a stop, the stop's row is whole, unless the stop is a
        deadlock there (it stops before ending that empty row); at the state bound, the row it
        was expanding has its edges up to the refused successor."""
        if stop is None:
            return last, cut_at
        deadlock = firsts.get(DEADLOCK)
        return (stop if deadlock is not None and deadlock[0] == stop else stop + 1), 0

    def _add_rows(self, edges: list, end: int | None, partial: int) -> None:
        """The out-edges of the states the level expanded, numbered below ``end`` (None: all),
        in number and successor order, and those of state ``end`` at positions below
        ``partial``: the edges one process adds. ``edges``: per worker, (worker, numbers,
        successor counts, successor fingerprints, label ids)."""
        if not edges:
            return
        graph = self.graph
        numbers = np.concatenate([e[1] for e in edges])
        order = np.argsort(numbers)
        counts = np.concatenate([e[2] for e in edges])
        by_source = np.argsort(np.repeat(numbers, counts), kind="stable")  # a state's successors keep their order
        source, position = sources_and_positions(counts[order])
        source = numbers[order][source]
        fps = np.concatenate([e[3] for e in edges])[by_source]
        codes = np.concatenate([w << 32 | labels for w, _, _, _, labels in edges])[by_source]
        start = graph.expanded
        end = start + len(numbers) if end is None else end
        dst = np.fromiter(map(self.index.get, fps.tolist(), repeat(-1)), dtype=np.int64, count=len(fps))
        # successors not kept (beyond a bound) have no edge
        keep = ((source < end) | ((source == end) & (position < partial))) & (dst >= 0)
        rows = source[keep & (source < end)]
        dst, codes = dst[keep], codes[keep]
        ends = len(graph.dst) + np.cumsum(np.bincount(rows - start, minlength=end - start))
        extend(graph.dst, dst)
        extend(graph.label, self._graph_labels(codes))
        extend(graph.offset, ends)

    def _graph_labels(self, codes: np.ndarray) -> np.ndarray:
        """The graph's label ids of edges labelled ``worker << 32 | worker's label id``: labels
        new to the graph are numbered in the order the edges meet them, as in one process."""
        unique, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        ids = np.empty(len(unique), dtype=np.int64)
        for u in np.argsort(first).tolist():
            code = int(unique[u])
            ids[u] = self.graph.label_id(self.worker_labels[code >> 32][code & 0xFFFFFFFF])
        return ids[inverse.reshape(-1)]

    def _find_lassos(self, deadline: float | None) -> dict:
        """Liveness on the graph, the properties shared among the workers' number of processes
        (forked: each has the graph); only the lassos' edges travel back."""
        from .liveness import lassos_on_time

        shares = [self.liveness[w::self.workers] for w in range(min(self.workers, len(self.liveness)))]
        context = multiprocessing.get_context("fork")
        jobs = []
        for share in shares[1:]:
            here, there = context.Pipe(duplex=False)
            proc = context.Process(target=_lassos_in_process, args=(self, share, deadline, there), daemon=True)
            proc.start()
            there.close()
            jobs.append((proc, here))
        found = lassos_on_time(self, shares[0], deadline)
        for proc, here in jobs:
            try:
                kind, payload = here.recv()
            except EOFError:
                raise RuntimeError("a liveness process ended unexpectedly") from None
            proc.join()
            if kind == "error":
                raise payload
            found.update(payload)
        return found

    def _unfire(self, last_source: int) -> None:
        for w in range(self.workers):
            self._send(w, "unfire", last_source)
        for _, _, fired in self.outbox.take("unfired", self.workers):
            self.fired.subtract(fired)
        self.fired = +self.fired  # labels fired only past the stop are gone, as in one process

    def _rebalance(self, loads: list[int]) -> None:
        """Even out the workers' next frontiers by moving states, where adoption (see
        :func:`keepers_of`) could not: new states stay where they were found, and the search
        starts from one initial state, so shares drift apart unless moved."""
        total = sum(loads)
        for _ in range(self.workers):
            heavy = max(range(self.workers), key=lambda w: loads[w])
            light = min(range(self.workers), key=lambda w: loads[w])
            gap = loads[heavy] - loads[light]
            if gap <= max(16, total // (10 * self.workers)):
                return
            count = gap // 2
            self._send(heavy, "give", (count, light))
            self._send(light, "receive")
            loads[heavy] -= count
            loads[light] += count


def _lassos_in_process(search, properties: list, deadline: float | None, conn) -> None:
    """In a forked process: the lassos of ``properties`` (see :meth:`ParallelSearch._find_lassos`)."""
    from .liveness import lassos_on_time

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    try:
        conn.send(("found", lassos_on_time(search, properties, deadline)))
    except BaseException as exc:  # noqa: BLE001 - handed to the coordinator, which raises it
        conn.send(("error", exc))


class _Mailbox:
    """An inbox whose messages arrive in any order (the coordinator's, or a worker's that a peer's
    states may reach before the coordinator's command); take them by kind."""

    def __init__(self, queue) -> None:
        self.queue = queue
        self.early: list[tuple] = []

    def take(self, kinds: str | tuple, count: int = 1) -> list:
        """The next ``count`` messages whose kind is (one of) ``kinds``, in arrival order."""
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        got = [m for m in self.early if m[0] in kinds][:count]
        for m in got:
            self.early.remove(m)
        while len(got) < count:
            message = self.queue.get()
            (got if message[0] in kinds else self.early).append(message)
        return got


def keepers_of(finders: np.ndarray, holders: np.ndarray) -> np.ndarray:
    """Which worker keeps each new state (-1: pooled), given the worker that found it first and
    which workers hold it (a workers x states mask). A state held by one worker stays there.
    One held by several goes to the worker with fewest new states, until they are even, and
    the rest stay in the pool, where whichever holder gets to one first expands it. Adopting a
    state costs nothing, while handing one over costs more than expanding it (it is pickled
    both ways); the pool evens out what the workers' changing speeds do to a level."""
    workers = len(holders)
    keepers = finders.copy()
    keepers[np.flatnonzero(holders.sum(axis=0) > 1)[:_POOL]] = -1
    loads = np.bincount(keepers[keepers >= 0], minlength=workers)
    for _ in range(workers):
        heavy, light = int(loads.argmax()), int(loads.argmin())
        adopted = np.flatnonzero((keepers == -1) & holders[light])[:loads[heavy] - loads[light]]
        if not len(adopted):
            break
        keepers[adopted] = light
        loads[light] += len(adopted)
    return keepers


def in_key_order(sources: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The permutation that puts a batch in key order: by source, then position."""
    return np.lexsort((positions, sources))


def _candidate_arrays(candidates: dict) -> tuple:
    """(fingerprints, parents, positions) of a worker's candidates, as int64 arrays."""
    count = len(candidates)
    fps = np.fromiter(candidates.keys(), dtype=np.int64, count=count)
    keys = [key for key, _, _ in candidates.values()]
    parents = np.fromiter((key[0] for key in keys), dtype=np.int64, count=count)
    positions = np.fromiter((key[1] for key in keys), dtype=np.int64, count=count)
    return fps, parents, positions
