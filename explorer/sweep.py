"""A sweep over a grid of configurations: how far a verdict reaches beyond one configuration.

A *grid* widens one or more *base* configurations (plain dicts of overrides) along *axes*. An
axis names a config key and its values from narrow to wide:

* an ordered axis (``Axis``): a point takes the base's own value or a wider one; values
  narrower than the base's are skipped (the base asks for at least that much: a configuration
  with two failures asks about a second failure), and a base whose value is the last one is
  not widened;
* a set axis (``Axis(kind=SET)``): each value is a set of names added to the base's own (a
  lossy channel, an operator kind); one already in the base adds nothing and is skipped.

A point's *rank* is the number of steps it widens its base (on an ordered axis the position
after the base's value, on a set axis one per value added). Points are ordered by rank, then
base, then by the axes in the grid's order (a point that widens an earlier axis comes first;
on one axis, the value listed first), and swept in *waves* of equal rank: the first wave with
a violation is the last one, so the first violating point in that order is a smallest one (no
point of lower rank is violated) and the same on every run. The points a stopped sweep never
ran are *not widened*. ``depth`` keeps only the points of rank up to it; ``apart`` leaves out
the points that widen given axes together.

A point's task is an :class:`Ask`: a property asked of a search (a configuration and its
bound). A *runner* (``runner(search, props, max_seconds=, progress=) -> {prop: PointRun}``)
searches once and answers every property asked, each as a search for it alone would (see
:func:`runs_of`); :func:`run_sweeps` runs many sweeps, on one process or on a pool of processes
over searches (a liveness property, which needs its whole graph in one process, is searched in
parallel with other points, not split). Points *share* searches: an ask answered once is not
searched again (two findings' grids meet at one configuration), and the asks waiting for a
search at once are answered by one search for all their properties (two checks on one
configuration). Verdicts do not depend on the number of processes, on which point finishes
first, or on the sharing: a sweep decides from whole waves, and a shared search answers each
property with the run, the states and the trace a search for it alone gives. A point cut by
its bound is *incomplete*; a point the sweep's time budget did not reach is *not reached*, and
incomplete too; so is a point whose process died (the OOM killer): its cut is *worker died*, and
the sweep goes on. A search cut by the clock or lost with its process answers only the point
that started it.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import queue as queue_module
import signal
import time
from multiprocessing import connection
from typing import Any, Callable, Hashable, Sequence

import attrs

from .result import HOLDS, INCOMPLETE, VIOLATED, Result, Trace

ORDERED, SET = "ordered", "set"
NOT_REACHED = "not reached"  # the cut of a point the sweep's time budget left unrun
WORKER_DIED = "worker died"  # the cut of a point whose process ended without a result


@attrs.frozen
class Axis:
    key: str
    values: tuple
    kind: str = ORDERED

    def choices(self, base) -> list[tuple[Any, int]]:
        """(value, steps from the base) of every value a point widening ``base`` takes, the base first."""
        if self.kind == SET:
            own = tuple(base or ())
            added = [v for v in self.values if not set(v) <= set(own)]
            return [(own, 0)] + [(own + tuple(n for n in v if n not in own), 1) for v in added]
        if base in self.values:
            wider = self.values[self.values.index(base) + 1:]
        else:  # a base between the values (a count): the larger ones widen it
            wider = tuple(v for v in self.values if v > base)
        return [(base, 0)] + [(v, k) for k, v in enumerate(wider, 1)]


@attrs.frozen
class Point:
    """One configuration of a grid: base ``base``'s overrides with the axis values in ``changed``."""

    base: int
    config: tuple  # (key, value) pairs: the base's overrides, then the axis values that differ
    changed: tuple  # (key, value) pairs of the axes this point widens
    rank: int
    order: tuple = attrs.field(eq=False, repr=False)

    @property
    def overrides(self) -> dict:
        return dict(self.config)


def value_text(value) -> str:
    """A config value as a person reads it: on/off, comma-separated names."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value)) or "none"
    return str(value)


def point_label(point: Point) -> str:
    """What a point changes: ``dispatchers=2, slow_ticks=off``; ``base`` for none."""
    return ", ".join(f"{k}={value_text(v)}" for k, v in point.changed) or "base"


def grid_points(bases: Sequence[dict], axes: Sequence[Axis], defaults: dict, *, depth: int | None = None,
                apart: Sequence[frozenset] = (),
                identity: Callable[[int, dict], Hashable] | None = None) -> list[Point]:
    """Every point of the grid, in sweep order, each configuration once. ``defaults`` gives an
    axis's value where a base does not set it; ``apart`` lists sets of axes never widened
    together; ``identity`` says when two points are the same configuration (the first in order
    is kept); by default equal overrides of one base."""
    identity = identity or (lambda base, config: (base, tuple(sorted(config.items(), key=repr))))
    points = []
    for b, base in enumerate(bases):
        per_axis = [axis.choices(base.get(axis.key, defaults.get(axis.key))) for axis in axes]
        for combo in itertools.product(*(list(enumerate(c)) for c in per_axis)):
            rank = sum(steps for _, (_, steps) in combo)
            if depth is not None and rank > depth:
                continue
            changed = tuple((axis.key, value) for axis, (_, (value, steps)) in zip(axes, combo) if steps)
            if any(keys <= {key for key, _ in changed} for keys in apart):
                continue
            config = dict(base, **dict(changed))
            # within a rank: the bases in order, then a point that widens an earlier axis first
            earlier_first = tuple((0, position) if position else (1, 0) for position, _ in combo)
            points.append(Point(b, tuple(config.items()), changed, rank, (rank, b, earlier_first)))
    points.sort(key=lambda p: p.order)
    seen, unique = set(), []
    for point in points:
        key = identity(point.base, point.overrides)
        if key not in seen:
            seen.add(key)
            unique.append(point)
    return unique


# -- one point's run ---------------------------------------------------------------------------
@attrs.frozen
class Ask:
    """A point's task: property ``prop`` asked of ``search`` (hashable and picklable; points
    whose searches are equal may share one)."""

    search: Hashable
    prop: Hashable


@attrs.frozen
class PointRun:
    """What one search of a point found: small and picklable (no graph, no model)."""

    status: str
    states: int
    seconds: float
    trace: Trace | None = None
    property_name: str = ""
    cut: str | None = None  # the bound that cut the search, or NOT_REACHED
    shared: bool = False  # answered by a search another point started (its seconds counted there)


def run_of(result: Result, name: str = "") -> PointRun:
    """A search's result as one verdict: violated if any property is (the shortest trace is
    kept), holds if all hold and the search was exhaustive, else incomplete."""
    return _run(list(result.verdicts.values()), result.distinct, result.elapsed, result.truncated, name)


def _run(verdicts, states: int, seconds: float, cut: str | None, name) -> PointRun:
    violated = [v for v in verdicts if v.status == VIOLATED]
    if violated:
        shortest = min(violated, key=lambda v: len(v.trace))
        return PointRun(VIOLATED, states, seconds, shortest.trace, shortest.name, cut)
    held = cut is None and all(v.status == HOLDS for v in verdicts)
    return PointRun(HOLDS if held else INCOMPLETE, states, seconds, None, name, cut)


SAFETY_KINDS = ("invariant", "step", "deadlock")


def runs_of(result: Result, asked: dict) -> dict:
    """Per asked property (``asked``: property -> the names of the verdicts a search for it
    alone has), the :class:`PointRun` that search gives, read off ``result``, one search for
    all of them. The search order does not depend on the properties, so each trace is the one
    a search for it alone finds. A search whose properties are all safety and all violated
    stops after the expansion that found the last (``result.stopped_at``, which the one-state
    search gives: a KeyError without it); any other runs to where ``result`` ended. (Where a
    time budget cut the liveness check of another property, ``result`` is cut, and so is
    every run read off it: incomplete, never holds.)"""
    runs = {}
    for prop, names in asked.items():
        verdicts = [result.verdicts[name] for name in names]
        states, cut = result.distinct, result.truncated
        if all(v.kind in SAFETY_KINDS and v.status == VIOLATED for v in verdicts):
            stops = [result.stopped_at[v.name] for v in verdicts]
            if None not in stops:  # else the last was found where ``result`` ended
                states, cut = max(stops), "every property violated"
        runs[prop] = _run(verdicts, states, result.elapsed, cut, prop)
    return runs


def not_reached(name: str = "") -> PointRun:
    return PointRun(INCOMPLETE, 0, 0.0, None, name, NOT_REACHED)


# -- one grid's sweep --------------------------------------------------------------------------
class Sweep:
    """The points of one grid, run wave by wave (equal rank), smallest first; after a wave with
    a violation nothing wider is run."""

    def __init__(self, points: Sequence[Point]):
        self.points = list(points)
        self.runs: dict[int, Any] = {}  # point index -> its outcome (anything with .status)
        self._next = 0  # the first point of the next wave
        self._wave: list[int] = []

    def next_wave(self) -> list[int]:
        """The indices of the next wave's points ([] when the sweep is over); the current
        wave must be recorded in full first."""
        if any(i not in self.runs for i in self._wave):
            raise RuntimeError("the current wave is not finished")
        if self.violated or self._next >= len(self.points):
            return []
        rank = self.points[self._next].rank
        end = self._next
        while end < len(self.points) and self.points[end].rank == rank:
            end += 1
        self._wave, self._next = list(range(self._next, end)), end
        return self._wave

    def record(self, index: int, outcome) -> None:
        self.runs[index] = outcome

    @property
    def violated(self) -> bool:
        return any(o.status == VIOLATED for o in self.runs.values())

    @property
    def done(self) -> bool:
        return all(i in self.runs for i in self._wave) and (self.violated or self._next >= len(self.points))

    def outcomes(self) -> list[tuple[Point, Any]]:
        """(point, outcome) of every point run, in sweep order."""
        return [(self.points[i], self.runs[i]) for i in sorted(self.runs)]


@attrs.frozen
class SweepSummary:
    """How many points stand behind a verdict, and which ones matter."""

    status: str  # violated if a point is; holds if every planned point was searched and holds
    planned: int  # points of the grid
    held: int  # searched to the end, and the property holds
    violated: int
    exhaustive: int  # searched to the end (holds, or a violation found by a search that finished)
    cut: int  # cut by a bound (the point's own, or the sweep's time budget): incomplete
    not_reached: int  # left unrun by the sweep's time budget: incomplete
    not_widened: int  # wider than a violation: never run
    largest: tuple[Point, Any] | None  # the point searched to the end with the most states
    smallest_violation: tuple[Point, Any] | None  # the first violating point in sweep order

    @classmethod
    def of(cls, planned: int, outcomes: Sequence[tuple[Point, Any]]) -> "SweepSummary":
        """From (point, outcome) pairs in sweep order; an outcome has ``status``, ``states``,
        ``cut`` and ``trace`` (a :class:`PointRun` or alike)."""
        runs = [o for _, o in outcomes]
        violations = [(p, o) for p, o in outcomes if o.status == VIOLATED]
        held = sum(1 for o in runs if o.status == HOLDS)
        if violations:
            status = VIOLATED
        else:
            status = HOLDS if held == planned else INCOMPLETE
        not_reached = sum(1 for o in runs if o.cut == NOT_REACHED)
        complete = [(p, o) for p, o in outcomes if o.cut is None]
        return cls(status, planned, held, len(violations), exhaustive=len(complete),
                   cut=sum(1 for o in runs if o.status == INCOMPLETE) - not_reached, not_reached=not_reached,
                   not_widened=planned - len(runs),
                   largest=max(complete, key=lambda po: po[1].states, default=None),
                   smallest_violation=violations[0] if violations else None)

    def text(self) -> str:
        """One line: ``holds on 24/24 points, largest 1.2M states (dispatchers=2)``."""
        if self.smallest_violation is not None:
            point, run = self.smallest_violation
            name = getattr(run, "property_name", "")
            length = f"trace {len(run.trace)}" if run.trace is not None else ""
            said = ", ".join(part for part in (name, length) if part)
            checked = self.planned - self.not_widened - self.not_reached
            head = [f"violated at {point_label(point)}" + (f" ({said})" if said else ""),
                    f"{checked}/{self.planned} points checked ({self.exhaustive} exhaustive)"]
        else:
            head = [f"{'' if self.status == HOLDS else 'incomplete: '}holds on {self.held}/{self.planned} points"]
        counts = [f"{n} {what}" for n, what in ((self.cut, "cut"), (self.not_reached, "not reached"),
                                                (self.not_widened, "not widened")) if n]
        tail = []
        if self.largest is not None:
            point, run = self.largest
            tail = [f"largest {compact(run.states)} states ({point_label(point)})"]
        return ", ".join(head + counts + tail)


def compact(n: int) -> str:
    """1,234 / 12k / 1.2M: a state count at a glance."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M"


# -- running many sweeps -----------------------------------------------------------------------
class Job:
    """What :func:`run_sweeps` drives: waves of tasks. ``next_wave()`` gives (key, :class:`Ask`) pairs
    ([] when finished) once the last wave is recorded in full; ``record(key, run)`` takes each
    one's :class:`PointRun`; ``label(key)`` names a point; ``left()`` counts the points it may
    still run."""

    def next_wave(self) -> list[tuple[Hashable, Any]]:  # pragma: no cover - an interface
        raise NotImplementedError

    def record(self, key, run: PointRun) -> None:  # pragma: no cover - an interface
        raise NotImplementedError

    def label(self, key) -> str:  # pragma: no cover - an interface
        raise NotImplementedError

    def left(self) -> int:  # pragma: no cover - an interface
        raise NotImplementedError


class GridJob(Job):
    """One grid as a job: point ``i``'s task is ``task_of(point)``, an :class:`Ask`."""

    def __init__(self, points: Sequence[Point], task_of: Callable[[Point], Ask], name: str = ""):
        self.sweep, self.task_of, self.name = Sweep(points), task_of, name

    def next_wave(self) -> list[tuple[int, Ask]]:
        return [(i, self.task_of(self.sweep.points[i])) for i in self.sweep.next_wave()]

    def record(self, key: int, run: PointRun) -> None:
        self.sweep.record(key, run)

    def label(self, key: int) -> str:
        return f"{self.name} {point_label(self.sweep.points[key])}".strip()

    def left(self) -> int:
        return 0 if self.sweep.violated else len(self.sweep.points) - len(self.sweep.runs)

    def summary(self) -> SweepSummary:
        return SweepSummary.of(len(self.sweep.points), self.sweep.outcomes())


def run_sweeps(jobs: Sequence[Job], runner: Callable[..., dict], *, workers: int = 1,
               max_seconds: float | None = None, point_seconds: float | None = None,
               progress: Callable[[dict], None] | None = None, share: bool = True) -> None:
    """Run every job's waves to the end; each task is an :class:`Ask`. ``runner(search, props,
    max_seconds=, progress=)`` searches ``search`` once for the properties ``props`` and returns
    {prop: PointRun} (a module-level function: the pool's processes are forked); ``workers`` > 1
    runs searches on that many processes. ``share`` lets points share searches (see the module
    docstring); without it every point is searched alone. ``max_seconds`` bounds the whole run:
    a point it cuts is incomplete, one it leaves unrun is :data:`NOT_REACHED`; ``point_seconds``
    bounds each search. ``progress`` gets ``done`` and ``left`` (points), ``point`` (the label
    of the point last heard of), its ``states`` and ``rate`` (states per second). Ctrl-C stops
    the workers and raises KeyboardInterrupt."""
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    tracker = _Progress(jobs, progress)
    searches = _Searches(share)
    if workers <= 1:
        for job in jobs:
            while wave := job.next_wave():
                for i, (key, ask) in enumerate(wave):
                    run = searches.answer(ask)
                    if run is None:
                        tracker.start(job.label(key))
                        props = searches.start(ask, [other for _, other in wave[i + 1:]])
                        runs = _run_one(runner, ask.search, props, deadline, point_seconds, tracker.searching)
                        searches.finish(ask.search, runs)
                        run = runs[ask.prop]
                    job.record(key, run)
                    tracker.finish()
        return
    _run_pooled(jobs, runner, workers, deadline, point_seconds, tracker, searches)


# the cuts any search of a property meets alike: a run cut by the clock or lost with its process
# answers only the point that started it (the others search on their own)
SHARED_CUTS = (None, "every property violated", "max_states", "max_depth")


class _Searches:
    """The searches points share: every run a search gave, by ask, and the asks a running
    search will answer."""

    def __init__(self, share: bool):
        self.share = share
        self.answers: dict[Ask, PointRun] = {}
        self.running: collections.Counter = collections.Counter()  # ask -> running searches answering it

    def answer(self, ask: Ask) -> PointRun | None:
        """``ask``'s run from a search that is over, or None (not shared: searched by another point)."""
        run = self.answers.get(ask)
        return None if run is None else attrs.evolve(run, seconds=0.0, shared=True)

    def pending(self, ask: Ask) -> bool:
        """Whether a running search will answer ``ask``."""
        return self.running[ask] > 0

    def start(self, ask: Ask, waiting: Sequence[Ask]) -> tuple:
        """The properties a search started for ``ask`` searches: its own, and those of the
        ``waiting`` asks of the same search that no search has answered or will."""
        props = [ask.prop]
        if self.share:
            props += [other.prop for other in waiting
                      if other.search == ask.search and other not in self.answers and not self.pending(other)]
        props = tuple(dict.fromkeys(props))  # each once: two cells may wait with one ask
        self.running.update(Ask(ask.search, prop) for prop in props)
        return props

    def finish(self, search, runs: dict) -> None:
        """A search is over: keep its runs for the points that ask them again."""
        self.running.subtract(Ask(search, prop) for prop in runs)
        if self.share:
            self.answers.update((Ask(search, prop), run) for prop, run in runs.items() if run.cut in SHARED_CUTS)


def _run_one(runner, search, props: tuple, deadline, point_seconds, progress) -> dict:
    """One search within the sweep's budget (``deadline``, on the monotonic clock every process
    of the machine shares) and its own: {prop: PointRun}."""
    seconds = point_seconds
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            return {prop: not_reached() for prop in props}
        seconds = left if seconds is None else min(left, seconds)
    runs = runner(search, props, max_seconds=seconds, progress=progress)
    if deadline is not None and time.monotonic() >= deadline:
        runs = {prop: attrs.evolve(run, cut="the sweep's time budget") if run.cut == "max_seconds" else run
                for prop, run in runs.items()}
    return runs


class _Progress:
    def __init__(self, jobs, callback):
        self.jobs, self.callback = jobs, callback
        self.done = 0
        self.point = ""

    def start(self, label: str) -> None:
        self.point = label
        self.report(0, 0.0)

    def searching(self, stats: dict) -> None:
        self.report(stats["distinct"], stats["elapsed"])

    def finish(self) -> None:
        self.done += 1

    def report(self, states: int, elapsed: float) -> None:
        if self.callback is not None:
            self.callback({"done": self.done, "left": sum(job.left() for job in self.jobs), "point": self.point,
                           "states": states, "rate": states / elapsed if elapsed else 0.0})


def _point_process(runner, search, props, tag, deadline, point_seconds, progress_queue, result) -> None:
    """A pool's process: search once and send its runs (or the exception) on ``result``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    progress_queue.cancel_join_thread()  # at exit, unsent progress is dropped, never waited for

    def progress(stats: dict) -> None:
        progress_queue.put((tag, stats["distinct"], stats["elapsed"]))

    try:
        outcome = ("run", _run_one(runner, search, props, deadline, point_seconds, progress))
    except Exception as exc:  # the parent raises it
        outcome = ("error", exc)
    result.send(outcome)


def _died(exitcode: int | None) -> PointRun:
    """The run of a point whose process ended without a result (the OOM killer, a crash)."""
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return PointRun(INCOMPLETE, 0, 0.0, cut=f"{WORKER_DIED} ({how})")


def _run_pooled(jobs, runner, workers, deadline, point_seconds, tracker: _Progress, searches: _Searches) -> None:
    """Each job's waves on up to ``workers`` processes at once, one forked per search: a search
    whose process dies (the OOM killer at a deep grid's bound) ends incomplete, cut
    :data:`WORKER_DIED`, and the sweep goes on; a shared pool would lose track of it and wait
    forever. A job's next wave is submitted once its last is in. A point a running search will
    answer waits for it; one a search has answered is recorded at once."""
    context = multiprocessing.get_context("fork")
    progress_queue = context.Queue()
    waiting: list = []  # (job, key, ask, tag) not started yet, in submission order
    running: dict = {}  # the end a search's runs arrive at -> (job, key, ask, props, process)
    left = [0] * len(jobs)  # points of a job's wave not in yet
    labels: dict[int, str] = {}
    tags = itertools.count()

    def submit(j: int) -> None:
        wave = jobs[j].next_wave()
        left[j] = len(wave)
        for key, ask in wave:
            tag = next(tags)
            labels[tag] = jobs[j].label(key)
            waiting.append((j, key, ask, tag))

    def record(j: int, key, run: PointRun) -> None:
        jobs[j].record(key, run)
        tracker.finish()
        left[j] -= 1
        if not left[j]:
            submit(j)

    def answer_waiting() -> None:
        """Record the waiting points a finished search answered (a wave they end submits the
        next, whose points may be answered too)."""
        while answered := [item for item in waiting if item[2] in searches.answers]:
            for item in answered:
                waiting.remove(item)
                record(item[0], item[1], searches.answer(item[2]))

    def start(item) -> None:
        waiting.remove(item)
        j, key, ask, tag = item
        props = searches.start(ask, [other[2] for other in waiting])
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_point_process, daemon=True,
                                  args=(runner, ask.search, props, tag, deadline, point_seconds, progress_queue,
                                        send))
        process.start()
        send.close()  # the child's copy is the only one left: its end reads as the child's end
        running[receive] = (j, key, ask, props, process)

    def collect(receive) -> None:
        j, key, ask, props, process = running.pop(receive)
        try:
            kind, runs = receive.recv()
        except (EOFError, OSError):  # the process ended before it sent its runs
            kind, runs = "run", None
        receive.close()
        process.join()
        if kind == "error":
            raise runs
        if runs is None:
            runs = {prop: _died(process.exitcode) for prop in props}
        searches.finish(ask.search, runs)
        record(j, key, runs[ask.prop])

    try:
        for j in range(len(jobs)):
            submit(j)
        while waiting or running:
            answer_waiting()
            while len(running) < workers:
                item = next((item for item in waiting if not searches.pending(item[2])), None)
                if item is None:
                    break
                start(item)
            if not running:
                continue
            ready = connection.wait(list(running), timeout=0.1)
            _show_latest(progress_queue, tracker, labels)
            for receive in ready:
                collect(receive)
    finally:
        for *_, process in running.values():  # interrupted, or a point raised
            process.terminate()
            process.join()


def _show_latest(progress_queue, tracker: _Progress, labels: dict) -> None:
    """Report the newest progress message of the workers (older ones are stale)."""
    latest = None
    while True:
        try:
            latest = progress_queue.get_nowait()
        except queue_module.Empty:
            break
    if latest is not None:
        tag, states, elapsed = latest
        tracker.point = labels[tag]
        tracker.report(states, elapsed)
