"""The findings catalog (``shared/FINDINGS.md``) as data, and how a verdict is computed.

A finding is decided by one or more *checks*: a property (by name, see
:mod:`invariants.properties`) on a configuration (config overrides applied on top of each
preset). Its verdict on a preset is computed by exhaustive exploration, never typed in:

* **violated**: some check's property is violated (the shortest counterexample is kept);
* **holds**: every check's property holds and every search was exhaustive;
* **boundary**: every check holds, and the finding's *assumption-dropped* check (the same
  property with the stated assumption taken away, e.g. the fuse turned off) is violated: safe
  only under that assumption, whose counterexample the report shows;
* **incomplete**: a search was cut by a bound before a verdict could be reached.

Some checks add *isolation* overrides (documented per finding) that switch off a mechanism of
another finding, so that a verdict speaks about this finding's mechanism and not about a
neighbour's: they are applied to every preset alike.

On ``proposed`` every check also runs with one more maintainer move (up to the bound of two):
a fix must survive a move. A finding may list *hypothetical* checks: configurations Go cannot
produce (a move that bumps the changefeed epoch), run and reported under that label, never
counted in a verdict.

Each check is run on a *grid* of configurations around its own (``invariants.grid``): a verdict
above combines every point of every check (a violation at any point, holds only if every point
was searched to the end and holds). The assumption-dropped check is swept on the same grid
once every deciding point holds; a hypothetical check runs on its own configuration only. Where
the grid has a move axis that widens a check by one move, that point *is* the check's
one-more-move run and is not run again as a check of its own.
"""

from __future__ import annotations

from typing import Callable

import attrs

from explorer import explore
from explorer.result import HOLDS, INCOMPLETE, VIOLATED, Trace
from explorer.sweep import (Ask, GridJob, Job, Point, PointRun, SweepSummary, grid_points, point_label, run_sweeps,
                            runs_of)

from .grid import GRIDS, QUICK, Grid
from .properties import properties_for

BOUNDARY = "boundary"
PRESET_ORDER = ("pr4139", "design", "proposed")

# The documents (the design and its review replies) claim what *the design* achieves, so a
# finding's ``claimed`` verdict is compared with its verdict on ``design`` only: ``pr4139`` is
# the code before the design's fixes (the findings are open against it, claimed nothing) and
# ``proposed`` is this project's fixes, which the documents do not describe.
CLAIMS_DESCRIBE = "design"
CLAIM_SCOPE = ("The documents' claims are compared with the design preset only: they describe the "
               "design; pr4139 is the code before its fixes and proposed this project's fixes.")


@attrs.frozen
class Check:
    """One property on one configuration (overrides on top of the preset)."""

    prop: str
    config: dict = attrs.field(factory=dict)
    why: str = ""  # what this configuration isolates or exercises


@attrs.frozen
class Finding:
    id: str
    title: str
    documents: str
    claim: str  # what the documents claim
    expected: str  # what FINDINGS.md expected from reading the code
    checks: tuple[Check, ...]
    claimed: str | None = None  # the verdict the documents imply for `design`, if they imply one
    assumption: str = ""  # for a boundary: the assumption the verdict rests on
    dropped: Check | None = None  # the check with that assumption taken away
    hypothetical: tuple[Check, ...] = ()  # what-if checks Go cannot produce: reported, never decisive

    @property
    def assumption_knobs(self) -> tuple[str, ...]:
        """The config keys only the assumption-dropped check sets: the assumption it drops."""
        if self.dropped is None:
            return ()
        return tuple(k for k in self.dropped.config if all(k not in c.config for c in self.checks))


@attrs.frozen
class CheckOutcome:
    check: Check  # at a grid point: the check's config with the point's axis values
    preset: str
    status: str
    states: int
    seconds: float
    trace: Trace | None
    model: object = attrs.field(repr=False, eq=False)
    property_name: str = ""  # the (per-dispatcher) property that decided it
    cut: str | None = None  # the bound that cut the search (or the sweep's budget), None if exhaustive
    point: Point | None = attrs.field(default=None, repr=False, eq=False)
    shared: bool = False  # answered by a search another point started (explorer.sweep)

    @property
    def label(self) -> str:
        """The grid point: the axis values it lays over its check (``base`` for none)."""
        return point_label(self.point) if self.point is not None else "base"


@attrs.frozen
class FindingVerdict:
    finding: Finding
    preset: str
    status: str
    outcomes: tuple[CheckOutcome, ...]  # every deciding grid point run, smallest first
    dropped_outcomes: tuple[CheckOutcome, ...] = ()  # the assumption-dropped check's points run
    hypothetical: tuple[CheckOutcome, ...] = ()
    grid: str = QUICK
    planned: int = 0  # deciding points in the grid
    dropped_planned: int = 0

    @property
    def all_outcomes(self) -> tuple[CheckOutcome, ...]:
        """Every check run for this cell: the deciding ones, the assumption-dropped ones, and the
        hypothetical ones."""
        return self.outcomes + self.dropped_outcomes + self.hypothetical

    @property
    def states(self) -> int:
        return sum(o.states for o in self.all_outcomes)

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.all_outcomes)

    @property
    def reached(self) -> bool:
        """False for a cell an interrupt left before its first point."""
        return bool(self.outcomes)

    @property
    def sweep(self) -> SweepSummary:
        """How many deciding points stand behind the verdict, the largest, the smallest violation."""
        return SweepSummary.of(self.planned, [(o.point, o) for o in self.outcomes])

    @property
    def dropped_sweep(self) -> SweepSummary | None:
        if self.finding.dropped is None:
            return None
        return SweepSummary.of(self.dropped_planned, [(o.point, o) for o in self.dropped_outcomes])

    @property
    def dropped(self) -> CheckOutcome | None:
        """The assumption-dropped run a boundary rests on: its smallest violation."""
        return next((o for o in self.dropped_outcomes if o.status == VIOLATED), None)

    @property
    def disagrees_with_documents(self) -> bool | None:
        """Whether the verdict differs from what the documents claim; None where nothing is
        compared: another preset than ``CLAIMS_DESCRIBE``, a finding the documents claim no
        verdict for, or a verdict not reached. The one definition every output shows."""
        claimed = self.finding.claimed
        if self.preset != CLAIMS_DESCRIBE or claimed is None or self.status == INCOMPLETE:
            return None
        return self.status != claimed

    @property
    def counterexample(self) -> CheckOutcome | None:
        """The outcome whose trace the report shows: the smallest violating point, or for a
        boundary the assumption-dropped check's."""
        for outcome in self.outcomes:
            if outcome.status == VIOLATED:
                return outcome
        if self.status == BOUNDARY:
            return self.dropped
        return None


def run_search(search, props: tuple, *, max_seconds: float | None = None,
               progress: Callable[[dict], None] | None = None) -> dict:
    """Search one configuration once for several properties, ``search`` = (model config,
    max_states): {property: the run a search for it alone gives} (the sweep's runner: module
    level, so that a forked pool can call it)."""
    from model import RecoverModel

    config, max_states = search
    asked = {prop: [p.name for p in properties_for(config, [prop])] for prop in props}
    # the one-state search: it says where a search for each violated property alone stops
    result = explore(RecoverModel(config), properties_for(config, list(props)), deadlock=False,
                     max_states=max_states, max_seconds=max_seconds, progress=progress, engine="states")
    if result.interrupted:  # the search caught Ctrl-C to return what it had; a verdict needs all
        raise KeyboardInterrupt
    return runs_of(result, asked)


def ask_of(prop: str, preset: str, config: dict, max_states: int | None) -> Ask:
    """A point's ask: ``prop`` on ``preset`` with ``config``; two presets' points whose configs
    come out equal ask the same search."""
    from model import make_config

    return Ask((make_config(preset, config), max_states), prop)


def outcome_of(check: Check, preset: str, run: PointRun, point: Point | None = None) -> CheckOutcome:
    from model import RecoverModel, make_config

    model = RecoverModel(make_config(preset, check.config))
    return CheckOutcome(check, preset, run.status, run.states, run.seconds, run.trace, model,
                        run.property_name or check.prop, run.cut, point, run.shared)


def run_check(check: Check, preset: str, *, max_seconds: float | None = None, max_states: int | None = None,
              progress: Callable[[dict], None] | None = None) -> CheckOutcome:
    """One check on its own configuration."""
    ask = ask_of(check.prop, preset, check.config, max_states)
    run = run_search(ask.search, (ask.prop,), max_seconds=max_seconds, progress=progress)[ask.prop]
    return outcome_of(check, preset, run)


MOVE_BOUND = 2  # model.config's bound on maintainer_moves
ONE_MORE_MOVE_ON = ("proposed",)


def with_one_more_move(check: Check) -> Check | None:
    """``check`` with one more maintainer move, or ``None`` at the bound."""
    moves = check.config.get("maintainer_moves", 0)
    if moves >= MOVE_BOUND:
        return None
    why = f"{check.why}; one more maintainer move" if check.why else "one more maintainer move"
    return Check(check.prop, dict(check.config, maintainer_moves=moves + 1), why)


def checks_on(finding: Finding, preset: str) -> tuple[Check, ...]:
    """The checks that decide ``finding`` on ``preset``: its own, and on ``proposed`` each again
    with one more maintainer move."""
    checks = finding.checks
    if preset in ONE_MORE_MOVE_ON:
        checks += tuple(c for c in map(with_one_more_move, finding.checks) if c is not None)
    return checks


def widens_moves(grid: Grid, check: Check) -> bool:
    """Whether ``grid`` runs ``check`` with one more move as one of its points."""
    moves = check.config.get("maintainer_moves", 0)
    return any(axis.key == "maintainer_moves" and any(v > moves for v in axis.values) for axis in grid.axes)


def grid_checks(finding: Finding, preset: str, grid: Grid) -> tuple[Check, ...]:
    """The checks ``grid`` widens: ``checks_on``, less a one-more-move check that is already a
    point of its own check's grid."""
    covered = [with_one_more_move(c) for c in finding.checks if widens_moves(grid, c)]
    return tuple(c for c in checks_on(finding, preset) if c in finding.checks or c not in covered)


def grid_of(checks: tuple[Check, ...], preset: str, grid: Grid) -> list[Point]:
    """The points of ``grid`` around ``checks``, smallest first; one configuration runs once."""
    from model import make_config

    defaults = {key: getattr(make_config(preset), key) for key in grid.keys}
    return grid_points([c.config for c in checks], grid.axes, defaults, depth=grid.depth, apart=grid.apart,
                       identity=lambda base, config: (checks[base].prop, make_config(preset, config)))


DECIDE, DROPPED, HYPOTHETICAL = "decide", "dropped", "hypothetical"


class Cell(Job):
    """One finding on one preset, swept over its grid: the deciding points wave by wave (the
    hypothetical checks with the first wave), then, once every deciding point holds, the
    assumption-dropped check's points."""

    def __init__(self, finding: Finding, preset: str, grid_name: str = QUICK):
        self.finding, self.preset, self.grid_name = finding, preset, grid_name
        grid = GRIDS[finding.id].of(grid_name)
        self.checks = {DECIDE: grid_checks(finding, preset, grid),
                       DROPPED: (finding.dropped,) if finding.dropped else (), HYPOTHETICAL: finding.hypothetical}
        own = attrs.evolve(grid, axes=())  # a hypothetical check runs on its own configuration
        self.parts = {part: GridJob(grid_of(checks, preset, own if part == HYPOTHETICAL else grid),
                                    lambda point, checks=checks: ask_of(checks[point.base].prop, preset,
                                                                        point.overrides, grid.max_states),
                                    f"{finding.id} on {preset}:" + ("" if part == DECIDE else f" ({part})"))
                      for part, checks in self.checks.items()}
        self.outcomes: dict[tuple[str, int], CheckOutcome] = {}

    def _check(self, part: str, point: Point) -> Check:
        base = self.checks[part][point.base]
        return Check(base.prop, point.overrides, base.why)

    def _wave_of(self, part: str) -> list:
        return [((part, i), task) for i, task in self.parts[part].next_wave()]

    def next_wave(self) -> list:
        wave = self._wave_of(DECIDE)
        if not self.parts[HYPOTHETICAL].sweep.runs:
            wave += self._wave_of(HYPOTHETICAL)
        if not wave and self._dropped_may_run():
            wave = self._wave_of(DROPPED)
        return wave

    def record(self, key, run: PointRun) -> None:
        part, i = key
        self.parts[part].record(i, run)
        point = self.parts[part].sweep.points[i]
        self.outcomes[key] = outcome_of(self._check(part, point), self.preset, run, point)

    def label(self, key) -> str:
        part, i = key
        point = self.parts[part].sweep.points[i]
        return f"{self.parts[part].name} {self._check(part, point).prop} at {point_label(point)}"

    def _dropped_may_run(self) -> bool:
        return self.parts[DECIDE].summary().status == HOLDS

    def left(self) -> int:
        undecided = self.parts[DECIDE].summary().status != VIOLATED
        return sum(job.left() for part, job in self.parts.items() if part != DROPPED or undecided)

    @property
    def finished(self) -> bool:
        """Every wave it will run is recorded (no next wave would start)."""
        dropped_left = self._dropped_may_run() and not self.parts[DROPPED].sweep.done
        return self.parts[DECIDE].sweep.done and self.parts[HYPOTHETICAL].sweep.done and not dropped_left

    def _outcomes(self, part: str) -> tuple[CheckOutcome, ...]:
        return tuple(self.outcomes[key] for key in sorted(k for k in self.outcomes if k[0] == part))

    def verdict(self) -> FindingVerdict:
        status = self.parts[DECIDE].summary().status
        if status == HOLDS and self.finding.dropped is not None:
            status = {VIOLATED: BOUNDARY, HOLDS: HOLDS}.get(self.parts[DROPPED].summary().status, INCOMPLETE)
        return FindingVerdict(self.finding, self.preset, status, self._outcomes(DECIDE), self._outcomes(DROPPED),
                              self._outcomes(HYPOTHETICAL), self.grid_name, len(self.parts[DECIDE].sweep.points),
                              len(self.parts[DROPPED].sweep.points))


def decide_cells(cells: list[tuple[Finding, str]], grid: str = QUICK, *, workers: int = 1,
                 max_seconds: float | None = None, progress: Callable[[dict], None] | None = None,
                 share: bool = True) -> tuple[list[FindingVerdict], bool]:
    """Every (finding, preset) verdict on ``grid``, in the order given: on one process, or with
    grid points on ``workers`` processes (the same verdicts). ``max_seconds`` bounds the whole
    sweep (the points it leaves are incomplete). ``share``: points of one configuration share
    a search, within a cell and across cells (the same verdicts, figures and traces; see
    ``explorer.sweep``). On Ctrl-C the cells not finished have no outcomes (incomplete, not
    reached) and the second value is True."""
    jobs = [Cell(finding, preset, grid) for finding, preset in cells]
    try:
        run_sweeps(jobs, run_search, workers=workers, max_seconds=max_seconds, progress=progress, share=share)
    except KeyboardInterrupt:
        return [job.verdict() if job.finished else FindingVerdict(job.finding, job.preset, INCOMPLETE, (), grid=grid)
                for job in jobs], True
    return [job.verdict() for job in jobs], False


def decide(finding: Finding, preset: str, grid: str = QUICK, **options) -> FindingVerdict:
    """One cell's verdict on one process; Ctrl-C is raised on."""
    cell = Cell(finding, preset, grid)
    run_sweeps([cell], run_search, **options)
    return cell.verdict()
