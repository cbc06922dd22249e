"""The configuration sweep behind every verdict (explorer/sweep.py, invariants/grid.py): a grid
widens a configuration smallest first and stops at the first wave with a violation; a bug that
needs an axis's second value is found by the grid that has it and not by the one without; a cut
point is incomplete, never holds; a pool of processes gives the same verdicts; every finding's
grid keeps its checks' own settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import Invariant, explore
from explorer.cli import main
from explorer.result import HOLDS, INCOMPLETE, VIOLATED
from explorer.sweep import NOT_REACHED, ORDERED, SET, Axis, GridJob, grid_points, run_of, run_sweeps
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


def run_counter(task, *, max_seconds=None, progress=None):
    """The toy's runner: ``task`` = (config items, max_states); the bug is reaching ``bug``."""
    config, max_states = task
    bug = dict(config).get("bug", 2)
    result = explore(Counter(**dict(config)), [Invariant("no_bug", lambda x: x != bug)], deadlock=False,
                     max_states=max_states, max_seconds=max_seconds, progress=progress)
    return run_of(result, "no_bug")


LIMIT = Axis("limit", (1, 2))
EXTRAS = Axis("extras", (("noop",), ("jump",)), SET)
DEFAULTS = {"limit": 1, "extras": ()}


def sweep(axes, base=None, *, max_states=None, workers=1, progress=None, depth=None):
    job = GridJob(grid_points([base or {}], axes, DEFAULTS, depth=depth), lambda p: (p.config, max_states), "counter")
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
from explorer.sweep import Axis, GridJob, PointRun, grid_points, run_sweeps

def runner(task, max_seconds=None, progress=None):
    if task == 1 and sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if task == 1 and sys.argv[1] == "raise":
        raise ValueError("point 1 is broken")
    return PointRun("holds", 10 + task, 0.0)

job = GridJob(grid_points([{"x": 0}], [Axis("x", (0, 1, 2))], {}), lambda p: dict(p.config)["x"])
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
