"""Multi-process breadth-first search, partitioned by fingerprint.

Worker ``w`` of ``W`` owns every state whose fingerprint is ``w`` modulo ``W``: it keeps the
visited set of its share, expands the states it owns, and receives from the other workers the
successors they found that it owns. The search goes level by level:

1. each worker expands its frontier in state-number order, checks step properties and
   deadlock, keeps the successors it owns and sends every other one, once, to its owner;
2. each owner keeps, per new fingerprint, the candidate with the smallest key (parent number,
   position in the parent's successor list): the one a single-process BFS would meet first;
   it checks invariants and "sometimes" properties on its new states;
3. the coordinator merges the workers' sorted keys, numbers the new states in that order and
   hands the numbers back.

So states get the very numbers, parents and successor positions the single-process search
gives them, and counterexamples (rebuilt by the coordinator by replaying positions) are the
same shortest ones, for any number of workers. Models and properties reach the workers by
``fork``; states travel pickled. Liveness needs the whole graph in one place: it is refused.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import time
from collections import Counter
from heapq import merge

from .properties import DEADLOCK
from .result import Step, Trace
from .search import FP_MASK, _Search, current_rss


class _Worker:
    """One worker's share of the search (runs in a forked process)."""

    def __init__(self, search: _Search, me: int, workers: int, inboxes, outbox):
        self.search, self.me, self.workers = search, me, workers
        self.inboxes, self.outbox = inboxes, outbox
        self.mailbox = _Mailbox(inboxes[me])  # peers' candidates may overtake the coordinator
        self.fingerprint = search.fingerprint
        self.seen: set[int] = set()
        self.forwarded: set[int] = set()  # fingerprints already sent to their owner
        self.frontier: list[tuple[int, object]] = []  # (state number, state), in number order
        self.candidates: dict[int, tuple] = {}

    def owner(self, f: int) -> int:
        return f % self.workers

    def serve(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
        # The cyclic collector would walk the heap inherited from the coordinator and every
        # unpickled state again and again; states are acyclic tuples, freed by refcounting.
        gc.disable()
        rss_base = peak = current_rss()
        while True:
            command, payload = self.mailbox.take(("seed", "expand", "numbers", "stop"))[0]
            if command == "stop":
                self.outbox.put(("rss", max(peak, current_rss()) - rss_base))
                return
            if command == "seed":  # initial states this worker owns: (key, f, state)
                self.candidates = {f: (key, None, state) for key, f, state in payload}
                self.outbox.put(("new", self.me, self._settle()))
            elif command == "expand":
                self._expand(keep_new=payload)
            elif command == "numbers":
                self.frontier = list(zip(payload, self.pending_states))
            peak = max(peak, current_rss())

    def _expand(self, keep_new: bool) -> None:
        search, fingerprint, owner = self.search, self.fingerprint, self.owner
        successors = search.model.successors
        fired: Counter = Counter()
        step_violations, dead, counts = [], [], []
        outgoing: list[list] = [[] for _ in range(self.workers)]
        self.candidates = {}
        for number, state in self.frontier:
            succs = successors(state)
            counts.append((number, len(succs)))
            if not succs and search.check_deadlock and not search.is_terminal(state):
                dead.append(number)
            for k, (action, nxt) in enumerate(succs):
                fired[action] += 1
                for prop in search.step_properties:
                    if not prop.predicate(state, action, nxt):
                        step_violations.append((prop.name, number, k))
                if not keep_new:
                    continue
                f = fingerprint(nxt) & FP_MASK
                w = owner(f)
                if w == self.me:
                    if f not in self.seen and f not in self.candidates:
                        self.candidates[f] = ((number, k), action, nxt)
                elif f not in self.forwarded:
                    self.forwarded.add(f)
                    outgoing[w].append((f, (number, k), action, nxt))
        for w, batch in enumerate(outgoing):
            if w != self.me:
                self.inboxes[w].put(("candidates", batch))
        self.outbox.put(("expanded", self.me, (counts, fired, step_violations, dead)))
        for _, batch in self.mailbox.take("candidates", self.workers - 1):
            for f, key, action, nxt in batch:
                if f in self.seen:
                    continue
                known = self.candidates.get(f)
                if known is None or key < known[0]:
                    self.candidates[f] = (key, action, nxt)
        self.outbox.put(("new", self.me, self._settle()))

    def _settle(self) -> tuple:
        """Mark this level's new states seen; report their keys (sorted), the labels that found
        them, and which invariants fail / "sometimes" properties hold on them."""
        search = self.search
        fresh = sorted(self.candidates.values(), key=lambda c: c[0])
        self.seen.update(self.candidates)
        self.candidates = {}
        self.pending_states = [state for _, _, state in fresh]
        keys = [key for key, _, _ in fresh]
        labels = [action for _, action, _ in fresh]
        failing = [(p.name, i) for i, (_, _, s) in enumerate(fresh) for p in search.invariants if not p.predicate(s)]
        witnessed = [(p.name, i) for i, (_, _, s) in enumerate(fresh) for p in search.sometimes if p.predicate(s)]
        return keys, labels, failing, witnessed


class _ParallelSearch(_Search):
    """The coordinator: numbers states, keeps parent links, decides verdicts."""

    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        if self.liveness or self.graph is not None:
            raise ValueError("liveness needs the whole state graph in one process: use one worker")
        self.workers = workers
        self.worker_rss = 0

    def _bfs(self) -> None:
        context = multiprocessing.get_context("fork")
        inboxes = [context.Queue() for _ in range(self.workers)]
        queue = context.Queue()
        procs = [context.Process(target=_Worker(self, w, self.workers, inboxes, queue).serve, daemon=True)
                 for w in range(self.workers)]
        outbox = _Mailbox(queue)
        for p in procs:
            p.start()
        try:
            self._levels(inboxes, outbox)
        finally:
            for box in inboxes:
                box.put(("stop", None))
            self.worker_rss = sum(m[1] for m in outbox.take("rss", len(procs)))
            for p in procs:
                p.join(timeout=10)

    def _levels(self, inboxes, outbox) -> None:
        seeds: list[list] = [[] for _ in inboxes]
        seen = set()
        for k, state in enumerate(self.model.init_states()):
            self.inits.append(state)
            self.generated += 1
            f = self.fingerprint(state) & FP_MASK
            if f not in seen:
                seen.add(f)
                seeds[f % self.workers].append(((-1, k), f, state))
        for w, box in enumerate(inboxes):
            box.put(("seed", seeds[w]))
        if self._settle_level(inboxes, outbox, {}, []):
            return
        self.depth = 1
        while True:
            self.level_end = len(self.parent)
            if self.max_seconds is not None and time.perf_counter() - self.started > self.max_seconds:
                self.truncated = "max_seconds"
                return
            for box in inboxes:
                box.put(("expand", True))
            counts, events = self._expansion(outbox.take("expanded", self.workers))
            if self._settle_level(inboxes, outbox, counts, events):
                return
            if self.progress is not None:
                self.progress({"distinct": len(self.parent), "generated": self.generated, "queue":
                               len(self.parent) - self.level_end, "depth": self.depth,
                               "elapsed": time.perf_counter() - self.started})
            if len(self.parent) == self.level_end:  # no new state: the search is complete
                return
            self.depth += 1

    def _expansion(self, reports) -> tuple[dict, list]:
        """Successor counts by state number, and the step-property and deadlock events
        ``(source, position, name)`` of this level."""
        counts: dict[int, int] = {}
        events = []
        for _, _, (counts_w, fired, step_violations, dead) in reports:
            counts.update(counts_w)
            self.fired.update(fired)
            events += [(number, k, name) for name, number, k in step_violations]
            if self.check_deadlock:
                events += [(number, -1, DEADLOCK) for number in dead]
        return counts, events

    def _settle_level(self, inboxes, outbox, counts: dict, events: list) -> bool:
        """Number the level's new states in single-process order, record what it decided, and
        cut it where the single-process search would have stopped; True if the search stops."""
        results = {m[1]: m[2] for m in outbox.take("new", self.workers)}
        merged = list(merge(*[[(key, w, i) for i, key in enumerate(results[w][0])] for w in sorted(results)]))
        rank = {(w, i): r for r, (_, w, i) in enumerate(merged)}
        for w, (_, _, failing, _) in results.items():
            events += [(merged[rank[(w, i)]][0][0], rank[(w, i)], name) for name, i in failing]
        firsts = self._first_events(events)
        stop = self._stop_point(firsts)
        if stop is not None:
            merged = [m for m in merged if m[0][0] <= stop]
            firsts = {name: e for name, e in firsts.items() if e[0] <= stop}
        self.generated += sum(n for number, n in counts.items() if stop is None or number <= stop)
        if merged and self.max_depth is not None and self.depth >= self.max_depth:
            self.truncated, merged = "max_depth", []
        if self.max_states is not None and len(self.parent) + len(merged) > self.max_states:
            self.truncated, merged = "max_states", merged[: self.max_states - len(self.parent)]
        numbers = self._number(merged, results)
        self._record(firsts, numbers, results)
        for w, box in enumerate(inboxes):
            box.put(("numbers", [numbers[(w, i)] for (_, ww, i) in merged if ww == w]))
        return stop is not None or self.truncated is not None

    def _first_events(self, events) -> dict:
        """Per property not yet violated, its first event in single-process order."""
        firsts: dict = {}
        for event in sorted(events):
            name = event[2]
            if name not in self.violations and name not in firsts:
                firsts[name] = event
        return firsts

    def _stop_point(self, firsts: dict) -> int | None:
        """The source after which the single-process search stops in this level, if it does."""
        if not firsts:
            return None
        ordered = sorted(firsts.values())
        if self.stop_at_first:
            self.truncated = "stopped at first violation"
            return ordered[0][0]
        if self.sometimes or self.liveness:
            return None
        undecided = {p.name for p in self.invariants + self.step_properties} - set(self.violations)
        if self.check_deadlock and DEADLOCK not in self.violations:
            undecided.add(DEADLOCK)
        for source, _, name in ordered:
            undecided.discard(name)
            if not undecided:
                self.truncated = "every property violated"
                return source
        return None

    def _number(self, merged, results) -> dict:
        numbers = {}
        for key, w, i in merged:
            numbers[(w, i)] = len(self.parent)
            self.parent.append(key[0])
            self.ordinal.append(key[1])
            label = results[w][1][i]
            if label is not None:
                self.new_by_label[label] = self.new_by_label.get(label, 0) + 1
        return numbers

    def _record(self, firsts: dict, numbers: dict, results) -> None:
        by_rank = sorted(numbers.items(), key=lambda item: item[1])
        for name, (source, position, _) in firsts.items():
            if name == DEADLOCK:
                self.violations[name] = self._trace_to(source)
            elif position >= 0 and any(p.name == name for p in self.step_properties):
                trace = self._trace_to(source)
                action, nxt = self.model.successors(trace.steps[-1].state)[position]
                self.violations[name] = Trace(trace.steps + (Step(action, nxt),))
            else:  # an invariant: position is the rank of the failing new state
                self.violations[name] = self._trace_to(by_rank[position][1])
        witnessed = sorted((numbers[(w, i)], name) for w, result in results.items()
                           for name, i in result[3] if (w, i) in numbers)
        for number, name in witnessed:
            if name not in self.witnesses:
                self.witnesses[name] = self._trace_to(number)


class _Mailbox:
    """The coordinator's inbox: workers' messages arrive in any order; take them by kind."""

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
