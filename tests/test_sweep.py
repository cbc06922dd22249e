"""The configuration sweep behind every verdict (explorer/sweep.py, invariants/grid.py): a grid
widens a configuration smallest first and stops at the first wave with a violation; a bug that
needs an axis's second value is found by the grid that has it and not by the one without; a cut
point is incomplete, never holds; a pool of processes gives the same verdicts; every finding's
grid keeps its checks' own settings."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from explorer import Invariant, explore
from explorer.cli import main
from explorer.result import HOLDS, INCOMPLETE, VIOLATED
from explorer.sweep import NOT_REACHED, ORDERED, SET, Ask, Axis, GridJob, grid_points, run_of, run_sweeps, runs_of
from invariants.catalog import DECIDE, PRESET_ORDER, Cell, decide, decide_cells, with_one_more_move
from invariants.findings import BY_ID, FINDINGS
from invariants.grid import DEEP, GRID_NAMES, GRIDS, QUICK
from model import make_config


class Counter:
    """x counts from 0 up to ``limit``; the extra action ``jump`` goes from 0 straight to 2."""

    def __init__(self, limit: int = 1, extras: tuple = (), bug: int = 2):
        self.limit, self.extras = limit, extras

    def init_states(self):
        return [0]

    def successors(self, x):
        out = [("inc", x + 1)] if x < self.limit else []
        return out + [("jump", 2)] if "jump" in self.extras and x == 0 else out


def run_counter(search, props, *, max_seconds=None, progress=None):
    """The toy's runner: ``search`` = (config items, max_states); the bug is reaching ``bug``."""
    config, max_states = search
    bug = dict(config).get("bug", 2)
    result = explore(Counter(**dict(config)), [Invariant("no_bug", lambda x: x != bug)], deadlock=False,
                     max_states=max_states, max_seconds=max_seconds, progress=progress)
    return {prop: run_of(result, "no_bug") for prop in props}


LIMIT = Axis("limit", (1, 2))
EXTRAS = Axis("extras", (("noop",), ("jump",)), SET)
DEFAULTS = {"limit": 1, "extras": ()}


def sweep(axes, base=None, *, max_states=None, workers=1, progress=None, depth=None):
    points = grid_points([base or {}], axes, DEFAULTS, depth=depth)
    job = GridJob(points, lambda p: Ask((p.config, max_states), "no_bug"), "counter")
    run_sweeps([job], run_counter, workers=workers, progress=progress)
    return job.summary()


def test_a_bug_that_needs_an_axis_second_value():
    """Without the limit axis the grid holds on its points; with it the bug is found at limit=2,
    and the point wider than that violation is not run."""
    noop_only = Axis("extras", (("noop",),), SET)
    quick = sweep([noop_only])
    assert quick.status == HOLDS and quick.text().startswith("holds on 2/2 points")
    deep = sweep([LIMIT, noop_only])
    assert deep.status == VIOLATED
    point, run = deep.smallest_violation
    assert point.changed == (("limit", 2),) and len(run.trace) == 3
    assert deep.not_widened == 1 and deep.text().startswith("violated at limit=2 (no_bug, trace 3), 3/4 points")


def test_the_smallest_violation_is_the_first_in_order_whatever_the_processes():
    """Two points of the same rank violate: the one that widens the grid's earlier axis is
    reported, on one process and on two; the first wave with a violation is the last."""
    one = sweep([LIMIT, EXTRAS])
    two = sweep([LIMIT, EXTRAS], workers=2)
    assert one.text() == two.text()
    assert one.smallest_violation[1].trace == two.smallest_violation[1].trace
    assert one.smallest_violation[0].changed == (("limit", 2),) and one.violated == 2
    assert one.planned == 6 and one.not_widened == 2  # limit=2 with each extra: rank 2, never run
    swapped = sweep([EXTRAS, LIMIT])
    assert swapped.smallest_violation[0].changed == (("extras", ("jump",)),)


def test_a_cut_point_is_incomplete_never_holds():
    cut = sweep([Axis("limit", (1, 50))], {"bug": 99}, max_states=10)
    assert cut.status == INCOMPLETE and (cut.held, cut.cut, cut.exhaustive) == (1, 1, 1)
    assert cut.text() == "incomplete: holds on 1/2 points, 1 cut, largest 2 states (base)"


def test_a_cut_point_makes_a_finding_incomplete(monkeypatch):
    """A finding whose grid bounds each point below what its check needs: the cell is
    incomplete and says how many points were cut."""
    import attrs

    grids = dict(GRIDS)
    grids["N6"] = attrs.evolve(GRIDS["N6"], quick=attrs.evolve(GRIDS["N6"].quick, max_states=20))
    monkeypatch.setattr("invariants.catalog.GRIDS", grids)
    verdict = decide(BY_ID["N6"], "proposed")
    assert verdict.status == INCOMPLETE and verdict.sweep.cut == verdict.sweep.planned
    assert all(o.cut == "max_states" and o.status == INCOMPLETE for o in verdict.outcomes)


def test_the_time_budget_leaves_points_incomplete_exit_3(capsys):
    assert main(["findings", "--id", "N7", "--preset", "proposed", "--max-seconds", "0.01", "--json", "--quiet"]) == 3
    row = json.loads(capsys.readouterr().out)[0]
    deciding = row["grid"]["deciding"]
    assert row["verdict"] == INCOMPLETE and deciding["held"] < deciding["points"]
    assert deciding["cut"] + deciding["not_reached"] >= 1
    assert any(c["cut"] in (NOT_REACHED, "the sweep's time budget") for c in row["checks"])


def test_progress_counts_points_done_and_left():
    events = []
    summary = sweep([LIMIT, Axis("extras", (("noop",),), SET)], {"bug": 99}, progress=events.append)
    assert summary.status == HOLDS and summary.planned == 4
    assert events[0]["done"] == 0 and events[0]["left"] == 4
    assert [e["done"] for e in events] == sorted(e["done"] for e in events) and events[-1]["done"] == 3
    assert all(e["point"].startswith("counter ") and e["rate"] >= 0 for e in events)


def test_axes_keep_what_a_base_asks_for():
    moves = Axis("maintainer_moves", (0, 1, 2))
    assert moves.choices(1) == [(1, 0), (2, 1)]  # the base's value is the floor
    assert Axis("restart_budget", (2, 6)).choices(1) == [(1, 0), (2, 1), (6, 2)]
    assert Axis("slow_ticks", (True, False), ORDERED).choices(False) == [(False, 0)]
    lossy = Axis("lossy", (("bootstrap",), ("heartbeat",)), SET)
    assert lossy.choices(("bootstrap",)) == [(("bootstrap",), 0), (("bootstrap", "heartbeat"), 1)]
    points = grid_points([{"failures": 2, "lossy": ("bootstrap",)}], [Axis("failures", (1, 2, 3)), lossy],
                         {"failures": 2, "lossy": ()}, depth=1)
    assert [p.overrides for p in points] == [{"failures": 2, "lossy": ("bootstrap",)},
                                             {"failures": 3, "lossy": ("bootstrap",)},
                                             {"failures": 2, "lossy": ("bootstrap", "heartbeat")}]


def every_cell():
    return [(f, p, g) for f in FINDINGS for p in PRESET_ORDER for g in GRID_NAMES]


@pytest.mark.parametrize("grid", GRID_NAMES)
def test_every_finding_has_a_grid_that_keeps_its_checks_own_settings(grid):
    """Every point of every cell keeps its check's knobs (isolation overrides, defining
    settings), never goes below the check's own value on an ordered axis, and keeps the check's
    own channels and operator kinds on a set axis."""
    assert set(GRIDS) == set(BY_ID)
    for finding in FINDINGS:
        axes = {axis.key: axis for axis in GRIDS[finding.id].of(grid).axes}
        for preset in PRESET_ORDER:
            cell = Cell(finding, preset, grid)
            points = cell.parts[DECIDE].sweep.points
            assert len(points) >= 2, (finding.id, preset)
            for point in points:
                own = cell.checks[DECIDE][point.base].config
                config = point.overrides
                for key, value in own.items():
                    axis = axes.get(key)
                    if axis is None:
                        assert config[key] == value, (finding.id, key)
                    elif axis.kind == SET:
                        assert set(make_config(preset, {key: value}).__getattribute__(key)) <= set(
                            make_config(preset, {key: config[key]}).__getattribute__(key))
                    elif value in axis.values:
                        assert axis.values.index(config[key]) >= axis.values.index(value)
                    else:
                        assert config[key] >= value


@pytest.mark.parametrize("grid", GRID_NAMES)
def test_proposed_still_runs_every_check_with_one_more_move(grid):
    for finding in FINDINGS:
        cell = Cell(finding, "proposed", grid)
        configs = {(cell.checks[DECIDE][p.base].prop, make_config("proposed", p.overrides))
                   for p in cell.parts[DECIDE].sweep.points}
        for check in finding.checks:
            moved = with_one_more_move(check)
            if moved is not None:
                assert (moved.prop, make_config("proposed", moved.config)) in configs, finding.id


def test_the_deep_grid_covers_every_axis_of_the_issue():
    values: dict[str, set] = {}
    for finding_grid in GRIDS.values():
        for axis in finding_grid.deep.axes:
            values.setdefault(axis.key, set()).update(axis.values)
    assert values["dispatchers"] == {1, 2, 3} and values["maintainer_moves"] == {0, 1, 2}
    assert values["slow_ticks"] == {True, False} and values["channel_capacity"] == {1, 2}
    assert values["restart_budget"] == {2, 6} and values["failures"] == {1, 2, 3}
    assert {kind for (kind,) in values["other_operators"]} == {"move", "split", "merge_source", "add", "move_dest",
                                                               "merge_target"}
    assert values["lossy"] and values["duplicating"]
    assert all(GRIDS[f.id].deep.max_states and GRIDS[f.id].quick.max_states for f in FINDINGS)


def test_a_pool_gives_the_verdicts_of_one_process():
    cells = [(BY_ID["A4"], p) for p in PRESET_ORDER] + [(BY_ID["N6"], "proposed")]
    one, _ = decide_cells(cells, QUICK)
    two, _ = decide_cells(cells, QUICK, workers=2)

    def shown(verdicts):
        return [(v.status, [(o.label, o.property_name, o.status, o.states, o.trace) for o in v.all_outcomes])
                for v in verdicts]

    assert shown(one) == shown(two)


# A runner whose point x=1 ends its process (as the OOM killer does at a deep grid's bound) or
# raises; run in a child Python with a timeout, so that a sweep that waits forever fails the test.
DYING_POINT = """
import json, os, signal, sys
from explorer.sweep import Ask, Axis, GridJob, PointRun, grid_points, run_sweeps

def runner(x, props, max_seconds=None, progress=None):
    if x == 1 and sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if x == 1 and sys.argv[1] == "raise":
        raise ValueError("point 1 is broken")
    return {prop: PointRun("holds", 10 + x, 0.0) for prop in props}

job = GridJob(grid_points([{"x": 0}], [Axis("x", (0, 1, 2))], {}), lambda p: Ask(dict(p.config)["x"], "ok"))
try:
    run_sweeps([job], runner, workers=int(sys.argv[2]))
except ValueError as exc:
    print(json.dumps(str(exc)))
else:
    print(json.dumps([[dict(p.config)["x"], r.status, r.cut] for p, r in job.sweep.outcomes()] + [job.summary().status]))
"""
ROOT = Path(__file__).resolve().parent.parent


def run_dying_point(mode: str, workers: int):
    run = subprocess.run([sys.executable, "-c", DYING_POINT, mode, str(workers)], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_point_whose_process_dies_is_incomplete_and_the_sweep_goes_on():
    assert run_dying_point("kill", 2) == [[0, HOLDS, None], [1, INCOMPLETE, "worker died (signal 9)"],
                                          [2, HOLDS, None], INCOMPLETE]
    assert run_dying_point("none", 2) == run_dying_point("none", 1) == [[0, HOLDS, None], [1, HOLDS, None],
                                                                         [2, HOLDS, None], HOLDS]


def test_a_point_that_raises_stops_the_pool_with_its_error():
    assert run_dying_point("raise", 2) == run_dying_point("raise", 1) == "point 1 is broken"


def test_table_only_prints_the_generated_table(capsys):
    from invariants.report import verdict_table

    assert main(["findings", "--id", "N6", "--table-only", "--quiet"]) == 0
    verdicts, _ = decide_cells([(BY_ID["N6"], p) for p in PRESET_ORDER], QUICK)
    assert capsys.readouterr().out == verdict_table(verdicts)


def test_deep_is_a_grid_of_its_own():
    assert all(len(Cell(f, "proposed", DEEP).parts[DECIDE].sweep.points)
               > len(Cell(f, "proposed", QUICK).parts[DECIDE].sweep.points) for f in FINDINGS)


# -- shared searches: one search answers each property as a search for it alone ---------------
def alone_and_together(search, props, runner):
    """Each property's run searched alone, and read off one search for all of them (seconds
    and the shared mark left out: the rest must be equal)."""
    def figures(run):
        return attrs.evolve(run, seconds=0.0, shared=False)

    alone = {prop: figures(runner(search, (prop,))[prop]) for prop in props}
    together = {prop: figures(run) for prop, run in runner(search, tuple(props)).items()}
    return alone, together


def run_toy(search, props, *, max_seconds=None, progress=None):
    """A toy with several properties: x counts to 6 (0 may jump to 2); ``search`` = max_states."""
    from explorer import StepProperty, always_eventually

    every = {"not_2": Invariant("not_2", lambda x: x != 2), "not_5": Invariant("not_5", lambda x: x != 5),
             "no_jump": StepProperty("no_jump", lambda x, action, y: action != "jump"),
             "not_9": Invariant("not_9", lambda x: x != 9),
             "ends": always_eventually("ends", lambda x: x == 6)}
    result = explore(Counter(limit=6, extras=("jump",)), [every[p] for p in props], deadlock=False,
                     max_states=search, max_seconds=max_seconds, progress=progress)
    return runs_of(result, {prop: [prop] for prop in props})


@pytest.mark.parametrize("max_states", [None, 2, 4])
def test_one_search_answers_each_property_as_a_search_for_it_alone(max_states):
    """Safety properties violated at different depths, one that holds, a liveness property: the
    run of each read off one search is the run of a search for it alone (its stop, states,
    cut and trace), also where a bound cuts the search (at 2 states, inside the expansion that
    finds the jump)."""
    alone, together = alone_and_together(max_states, ["not_2", "not_5", "no_jump", "not_9", "ends"], run_toy)
    assert together == alone
    if max_states is None:  # the searches alone stop at different points
        assert len({run.states for run in alone.values()}) > 2 and alone["not_5"].cut == "every property violated"
    elif max_states == 2:  # the cut in the expansion of 0, after the jump was found
        assert alone["no_jump"].status == VIOLATED and alone["no_jump"].cut == "max_states"
    safety_only = ["not_5", "not_2"]
    assert alone_and_together(max_states, safety_only, run_toy)[1] == {p: alone[p] for p in safety_only}


def test_one_search_of_the_recover_model_answers_each_check_as_alone():
    """The sweep's runner on one configuration for safety properties (violated at different
    points, or holding) and a liveness property per dispatcher, with and without a bound."""
    from invariants.catalog import ask_of, run_search

    props = ["identity_unique", "no_wrong_clear", "no_spurious_restart", "handled_means_progress",
             "recovers_without_fuse"]
    for max_states in (None, 400):  # 400: between the stops of the violated safety properties
        search = ask_of(props[0], "pr4139", {"failures": 2, "restart_budget": 1}, max_states).search
        alone, together = alone_and_together(search, props, run_search)
        assert together == alone
        stops = {run.states for run in alone.values() if run.cut == "every property violated"}
        assert len(stops) >= 2 and {run.status for run in alone.values()} >= {VIOLATED, HOLDS if max_states is None
                                                                             else INCOMPLETE}


def counting_runner(calls):
    """``run_counter`` that notes each search's properties in ``calls`` (a list, or a queue
    from the pool's processes), and refuses a property asked twice of one search."""
    def counting(search, props, **options):
        assert len(set(props)) == len(props), props
        (calls.append if isinstance(calls, list) else calls.put)((search, props))
        return run_counter(search, props, **options)

    return counting


def test_points_share_searches_across_jobs_and_properties():
    """Two jobs over one grid search each configuration once; two checks of one configuration
    (bases that differ only in the property asked) are one search for both properties."""
    calls = []
    counting = counting_runner(calls)

    def job(name):
        points = grid_points([{"limit": 1}, {"limit": 1, "bug": 2}], [LIMIT], DEFAULTS,
                             identity=lambda base, config: (base, tuple(sorted(config.items()))))
        return GridJob(points, lambda p: Ask((tuple(sorted((k, v) for k, v in p.config if k != "bug")), None),
                                             f"bug at {dict(p.config).get('bug', 2)} of base {p.base}"), name)

    jobs = [job("one"), job("two")]
    run_sweeps(jobs, counting, share=True)
    assert len(calls) == len({search for search, _ in calls}) == 2  # limit 1 and limit 2, once each
    assert all(len(props) == 2 for _, props in calls)
    assert all(run.shared for _, run in jobs[1].sweep.outcomes())
    calls.clear()
    alone = [job("one"), job("two")]
    run_sweeps(alone, counting, share=False)
    assert len(calls) == 8 and not any(run.shared for j in alone for _, run in j.sweep.outcomes())
    for shared, own in zip(jobs, alone):
        assert [(p, attrs.evolve(r, seconds=0.0, shared=False)) for p, r in shared.sweep.outcomes()] == \
            [(p, attrs.evolve(r, seconds=0.0)) for p, r in own.sweep.outcomes()]
    # on two processes both jobs' first waves wait at once: one search per configuration still
    queue = multiprocessing.get_context("fork").Queue()
    pooled = [job("one"), job("two")]
    run_sweeps(pooled, counting_runner(queue), workers=2)
    searched = [queue.get(timeout=10) for _ in range(2)]
    assert queue.empty() and sorted(len(props) for _, props in searched) == [2, 2]
    assert [[(p, attrs.evolve(r, seconds=0.0, shared=False)) for p, r in j.sweep.outcomes()] for j in pooled] == \
        [[(p, attrs.evolve(r, seconds=0.0, shared=False)) for p, r in j.sweep.outcomes()] for j in jobs]


def test_sharing_gives_the_verdicts_figures_and_traces_of_searching_alone():
    """Cells whose points meet at one configuration: A2's two checks (one configuration, two
    properties; violated on pr4139, holding on design), N6 and N8 on proposed (two findings ask
    one property of one configuration). Every verdict, point, state count, cut and trace is the
    same with the sharing, on one process and on two, as with every point searched alone; and
    sharing did happen, across properties and across cells."""
    cells = [(BY_ID["A2"], p) for p in PRESET_ORDER] + [(BY_ID["N6"], "proposed"), (BY_ID["N8"], "proposed")]

    def shown(verdicts):
        return [(v.status, v.planned, v.dropped_planned,
                 [(o.label, o.property_name, o.status, o.states, o.cut, o.trace) for o in v.all_outcomes])
                for v in verdicts]

    alone, _ = decide_cells(cells, QUICK, share=False)
    one, _ = decide_cells(cells, QUICK)
    two, _ = decide_cells(cells, QUICK, workers=2)
    assert shown(one) == shown(alone) == shown(two)
    searched = [(v.finding.id, o) for v in alone for o in v.all_outcomes]
    answered = [(v.finding.id, o) for v in one for o in v.all_outcomes if o.shared]

    def same_search(a, b):
        return a.preset == b.preset and make_config(a.preset, a.check.config) == make_config(b.preset, b.check.config)

    assert any(same_search(o, other) and o.check.prop != other.check.prop and not other.shared
               for _, o in answered for _, other in searched)
    assert any(same_search(o, other) and fid != other_fid for fid, o in answered for other_fid, other in searched)
    assert all(not o.shared for v in alone for o in v.all_outcomes)
