"""What every search shares: the bookkeeping of one run (bounds, properties, verdicts,
coverage, traces), the explored graph, and small helpers. The strategies (:mod:`explorer.search`
one state at a time, :mod:`explorer.batched`, :mod:`explorer.parallel`, :mod:`explorer.sharded`)
build on :class:`Search` and import from here; :mod:`explorer.checker` picks one of them.

Memory per state is kept small the way TLC does it: the visited set holds 64-bit fingerprints,
each state keeps only its parent's index and its position in the parent's successor list, and a
counterexample is rebuilt by replaying those positions from an initial state. States are
numbered in discovery order, which for a FIFO queue is also the order they are expanded in, so
the queue needs no indices.
"""

from __future__ import annotations

import gc
import os
import time
from array import array
from collections import Counter
from operator import itemgetter
from typing import Any, Callable, Iterable

try:  # the C loop behind Counter.update, without its per-call Python overhead
    from collections import _count_elements as count_elements
except ImportError:  # pragma: no cover - other Pythons
    def count_elements(counter, iterable):
        counter.update(iterable)

from .fingerprint import FP_MASK, fingerprint_of
from .properties import DEADLOCK, Negation
from .result import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    ActionCoverage,
    Result,
    Step,
    Trace,
    Verdict,
)
from .trace import action_name

action_of, next_state_of = itemgetter(0), itemgetter(1)  # of an (action, next state) pair
CHECK_EVERY = 1024  # expansions between clock, memory and progress checks
_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")  # marks of a Negation from its predicate's
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss() -> int:
    """Resident set size of this process in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


class StateGraph:
    """The explored graph in compressed rows: the out-edges of state i are
    ``dst[offset[i]:offset[i+1]]`` with labels ``label[...]`` (indices into ``labels``)."""

    def __init__(self) -> None:
        self.offset = array("q", [0])
        self.dst = array("l")
        self.label = array("l")
        self.labels: list[Any] = []
        self.label_ids: dict[Any, int] = {}
        self.fingerprints = array("q")
        # filled in when the search ends, so that states can be rebuilt (see export.py)
        self.parent: array = array("l")
        self.ordinal: array = array("H")
        self.inits: list[Any] = []

    def add_edge(self, action, dst: int) -> None:
        self.dst.append(dst)
        lid = self.label_ids.get(action)  # label_id's lookup inlined: a call saved on every edge
        self.label.append(self.label_id(action) if lid is None else lid)

    def label_id(self, action) -> int:
        lid = self.label_ids.get(action)
        if lid is None:
            lid = self.label_ids[action] = len(self.labels)
            self.labels.append(action)
        return lid

    def out_edges(self, i: int) -> Iterable[tuple[int, int]]:
        """(label id, destination) pairs of state i."""
        lo, hi = self.offset[i], self.offset[i + 1]
        return zip(self.label[lo:hi], self.dst[lo:hi])

    @property
    def expanded(self) -> int:
        return len(self.offset) - 1


class Search:
    """One run of a search; kept as an object so that bounds, traces and liveness share it.
    A strategy gives ``_bfs``: it finds the states, numbering them in breadth-first order."""

    engine = "one state at a time"

    def __init__(self, model, properties, *, deadlock, max_states, max_depth, max_seconds,
                 max_memory_mb, stop_at_first, progress, progress_interval, keep_graph, fingerprint=None):
        self.model = model
        # the model's own fingerprint, or hash() with a guard (explorer.fingerprint), unless given
        self.fingerprint: Callable[[Any], int]
        self.fingerprint, self.guard = fingerprint_of(model) if fingerprint is None else (fingerprint, None)
        self.invariants = [p for p in properties if p.kind == "invariant"]
        self.step_properties = [p for p in properties if p.kind == "step"]
        self.sometimes = [p for p in properties if p.kind == "sometimes"]
        self.liveness = [p for p in properties if p.kind == "liveness"]
        self.properties = list(properties)
        self.check_deadlock = deadlock
        self.is_terminal = getattr(model, "is_terminal", None) or (lambda state: False)
        self.max_states = max_states
        self.max_depth = max_depth
        self.max_seconds = max_seconds
        self.max_memory = max_memory_mb * 2**20 if max_memory_mb else None
        self.stop_at_first = stop_at_first
        self.progress = progress
        self.progress_interval = progress_interval
        self.graph = StateGraph() if (keep_graph or self.liveness) else None
        self.parent = array("l")  # index of the state this one was first reached from; -1 if initial
        self.ordinal = array("H")  # its position in that state's successor list (or the inits)
        self.inits: list[Any] = []
        self.violations: dict[str, Trace] = {}
        self.decided_at: dict[str, int | None] = {}  # see note_decided
        self.witnesses: dict[str, Trace] = {}
        self.fired: Counter = Counter()  # label -> transitions generated (one per state it is enabled in)
        self.new_by_label: dict[Any, int] = {}  # label -> new states it found
        # liveness predicates evaluated once per state, at discovery (states are not kept)
        self.mark_predicates: list[Callable[[Any], bool]] = []
        for prop in self.liveness:
            for pred in (prop.p, prop.q):
                if isinstance(pred, Negation):  # its marks are its predicate's, flipped
                    pred = pred.predicate
                if pred is not None and all(pred is not known for known in self.mark_predicates):
                    self.mark_predicates.append(pred)
        self.marks = [bytearray() for _ in self.mark_predicates]
        self.truncated: str | None = None
        self.rss_elsewhere = 0  # other processes' memory growth, for the memory bound
        self.interrupted = False
        self.generated = 0
        self.depth = 0
        self.level_end = 0

    # -- the search ---------------------------------------------------------------------------
    def run(self) -> Result:
        self.started = time.perf_counter()
        self.rss_base = self.rss_peak = current_rss()
        # The cyclic collector would walk the frontier's states again and again (a third of
        # the time on the recover model); states are acyclic values, freed by reference
        # counting, so it is paused for the search and restored after.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._bfs()
        except KeyboardInterrupt:
            self.interrupted = True
            self.truncated = self.truncated or "interrupted"
        finally:
            if collecting:
                gc.enable()
        if len(self.parent) > self.level_end:  # cut while the next level was being found
            self.depth += 1
        verdicts = self._verdicts()  # liveness included: within the time budget, and its time counted
        elapsed = time.perf_counter() - self.started
        self.rss_peak = max(self.rss_peak, current_rss())
        return Result(
            verdicts=verdicts,
            distinct=len(self.parent),
            generated=self.generated,
            depth=self.depth,
            elapsed=elapsed,
            peak_rss_delta=max(0, self.rss_peak - self.rss_base),
            coverage=self._coverage(),
            truncated=self.truncated,
            interrupted=self.interrupted,
            collision_probability=self._collision_probability(),
            graph=self._finished_graph(),
            engine=self.engine,
            stopped_at=dict(self.decided_at),
        )

    def _finished_graph(self) -> StateGraph | None:
        if self.graph is not None:
            self.graph.parent, self.graph.ordinal, self.graph.inits = self.parent, self.ordinal, self.inits
        return self.graph

    def _bfs(self) -> None:
        raise NotImplementedError  # each strategy has its own

    def marks_of(self, predicate) -> bytearray:
        """One byte per state: did ``predicate`` (a liveness P or Q) hold there."""
        if isinstance(predicate, Negation):
            return self.marks_of(predicate.predicate).translate(_FLIP)
        return next(bits for pred, bits in zip(self.mark_predicates, self.marks) if pred is predicate)

    def _should_stop(self) -> bool:
        self.note_decided()
        if not self.violations:
            return False
        if self.stop_at_first:
            self.truncated = self.truncated or "stopped at first violation"
            return True
        # every verdict is in (the others need the whole graph): the rest would be wasted work
        if self.sometimes or self.liveness or self.undecided_safety():
            return False
        self.truncated = self.truncated or "every property violated"
        return True

    def note_decided(self, ended: bool = False) -> None:
        """Note, for each violation not noted yet, the states found so far: called where a search
        may stop (after the initial states, after each expansion), that is where a search for
        that property alone stops ("every property violated"), so that one search for several
        properties answers for each alone (explorer.sweep shares searches so). ``ended``: the
        search ended inside an expansion (a bound cut it): a violation found there is noted
        None, for a search for it alone ends where this one did."""
        if len(self.decided_at) < len(self.violations):
            for name in self.violations:
                self.decided_at.setdefault(name, None if ended else len(self.parent))

    def undecided_safety(self) -> set[str]:
        """Safety properties (deadlock included) not violated yet."""
        names = {p.name for p in self.invariants + self.step_properties}
        if self.check_deadlock:
            names.add(DEADLOCK)
        return names - set(self.violations)

    def _over_budget(self, queued: int, generated: int) -> bool:
        elapsed = time.perf_counter() - self.started
        if self.max_seconds is not None and elapsed > self.max_seconds:
            self.truncated = "max_seconds"
            return True
        rss = current_rss()
        self.rss_peak = max(self.rss_peak, rss)
        if self.max_memory is not None and rss - self.rss_base + self.rss_elsewhere > self.max_memory:
            self.truncated = "max_memory"
            return True
        if self.progress is not None and elapsed - getattr(self, "_last_progress", -1e9) >= self.progress_interval:
            self._last_progress = elapsed
            self.progress({"distinct": len(self.parent), "generated": self.generated + generated,
                           "queue": queued, "depth": self.depth, "elapsed": elapsed})
        return False

    # -- traces -------------------------------------------------------------------------------
    def path_indices(self, i: int) -> list[int]:
        path = [i]
        while self.parent[path[-1]] >= 0:
            path.append(self.parent[path[-1]])
        path.reverse()
        return path

    def _trace_to(self, i: int) -> Trace:
        """Rebuild the shortest trace to state i by replaying successor positions."""
        path = self.path_indices(i)
        state = self.inits[self.ordinal[path[0]]]
        steps = [Step(None, state)]
        for j in path[1:]:
            action, state = self.model.successors(state)[self.ordinal[j]]
            steps.append(Step(action, state))
        return Trace(tuple(steps))

    def replay_edges(self, start: int, edges: list[tuple[int, int]]) -> list[Step]:
        """Steps along graph edges ``(label id, destination)`` from state ``start``."""
        state = self._trace_to(start).steps[-1].state
        steps = []
        for lid, dst in edges:
            action = self.graph.labels[lid]
            want = self.graph.fingerprints[dst]
            for a, nxt in self.model.successors(state):
                if a == action and self.fingerprint(nxt) & FP_MASK == want:
                    state = nxt
                    break
            else:  # pragma: no cover - the graph was built from these very successors
                raise AssertionError(f"edge {action} to state {dst} not found on replay")
            steps.append(Step(action, state))
        return steps

    # -- verdicts and statistics --------------------------------------------------------------
    def _verdicts(self) -> dict[str, Verdict]:
        complete = self.truncated is None
        unknown = HOLDS if complete else INCOMPLETE
        verdicts: dict[str, Verdict] = {}
        safety = [(p.name, p.kind) for p in self.invariants + self.step_properties]
        if self.check_deadlock:
            safety.append((DEADLOCK, "deadlock"))
        for name, kind in safety:
            trace = self.violations.get(name)
            verdicts[name] = Verdict(name, kind, VIOLATED if trace else unknown, trace)
        for prop in self.sometimes:
            witness = self.witnesses.get(prop.name)
            status = HOLDS if witness else (VIOLATED if complete else INCOMPLETE)
            message = "witness found" if witness else "no reachable state satisfies it"
            verdicts[prop.name] = Verdict(prop.name, "sometimes", status, witness, message)
        lassos = self._lassos() if complete and self.liveness else {}
        for prop in self.liveness:
            if prop.name not in lassos:
                cut = f"search cut by {self.truncated}" if not complete else f"liveness check cut by {self.truncated}"
                verdicts[prop.name] = Verdict(prop.name, "liveness", INCOMPLETE, None, cut)
                continue
            lasso = lassos[prop.name]
            verdicts[prop.name] = Verdict(prop.name, "liveness", VIOLATED if lasso else HOLDS, lasso)
        ordered = {p.name: verdicts[p.name] for p in self.properties}
        if DEADLOCK in verdicts:
            ordered[DEADLOCK] = verdicts[DEADLOCK]
        return ordered

    def _lassos(self) -> dict[str, Trace | None]:
        """Per liveness property, a fair lasso that violates it, or None (the search is
        complete); a property the time budget cut is left out, and the search marked cut."""
        from .liveness import lasso_trace  # needed only here

        deadline = None if self.max_seconds is None else self.started + self.max_seconds
        found = self._find_lassos(deadline)
        if len(found) < len(self.liveness):
            self.truncated = "max_seconds"
        return {name: None if lasso is None else lasso_trace(self, lasso) for name, lasso in found.items()}

    def _find_lassos(self, deadline: float | None) -> dict:
        """Per liveness property checked before ``deadline``, :func:`explorer.liveness.find_lasso`'s answer."""
        from .liveness import lassos_on_time

        return lassos_on_time(self, self.liveness, deadline)

    def _coverage(self) -> tuple[ActionCoverage, ...]:
        names = getattr(self.model, "action_names", None)
        declared = tuple(names()) if names else ()
        by_name = {name: ActionCoverage(name) for name in declared}
        for label, fired in self.fired.items():
            cov = by_name.setdefault(action_name(label), ActionCoverage(action_name(label)))
            cov.fired += fired
            cov.new_states += self.new_by_label.get(label, 0)
        scope = getattr(self.model, "out_of_scope", None)
        if scope:
            for cov in by_name.values():
                if cov.fired == 0:
                    cov.scope_note = scope(cov.name)
        # names the model does not declare come last, by name: the same for every search
        undeclared = sorted(set(by_name) - set(declared), key=str)
        return tuple(by_name[name] for name in declared + tuple(undeclared))

    def _collision_probability(self) -> float:
        """TLC's optimistic estimate: n * (generated - n) / 2**64."""
        n = len(self.parent)
        return n * max(0, self.generated - n) / 2.0**64
