"""The generic random-walk engine (``explorer.simulate``), the drain hint, the Hypothesis machine
factory on the bundled examples, and the ``simulate`` command. No TiCDC model here."""

import argparse
import json
import os
import subprocess
import sys

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from explorer import Invariant, StepProperty, explore, leads_to
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer.simulate import EXHAUSTED, NOTHING_PENDING, REACHED, STUCK, drain, simulate
from explorer.result import Step, Trace
from explorer.stateful import PropertyViolation, make_machine
from explorer.trace import replay_trace, trace_to_json



def run_machine(machine, max_examples: int = 200) -> None:
    """Run a made machine with its own step bound, a fixed budget and no example database."""
    run_state_machine_as_test(machine, settings=settings(machine.TestCase.settings, max_examples=max_examples,
                                                         database=None, deadline=None))


def replays(model, trace) -> bool:
    """The trace is a real behaviour of the model (every step an enabled transition)."""
    return len(replay_trace(model, trace_to_json(model, trace))) == len(trace)


# -- simulate ------------------------------------------------------------------------------------
def test_simulate_finds_the_water_jug_and_keeps_the_shortest_trace():
    jug = WaterJug()
    result = simulate(jug, jug.properties(), runs=400, depth=30, seed=4)
    trace = result.traces["big_not_4"]
    assert trace.steps[-1].state[1] == 4 and replays(jug, trace)
    assert len(trace) >= len(explore(jug, jug.properties()).verdicts["big_not_4"].trace)
    assert result.runs == 400 and result.distinct <= 16 and result.steps > 0


def test_simulate_is_deterministic_per_seed():
    tpc = TwoPhaseCommit(4)
    broken = [Invariant("never_abort", lambda s: s >> tpc.tm_shift != 2)]
    runs = [simulate(tpc, broken, runs=50, depth=40, seed=s) for s in (7, 7, 8)]
    view = [(r.steps, r.distinct, [str(st.action) for st in r.traces["never_abort"].steps]) for r in runs]
    assert view[0] == view[1] and view[0] != view[2]


def test_simulate_checks_step_properties_and_holds_quietly():
    tpc = TwoPhaseCommit(3)
    ok = simulate(tpc, tpc.properties(), runs=100, depth=30, seed=1)
    assert ok.violations == {} and ok.exit_code == 0 and "can_commit" in ok.skipped
    no_abort = StepProperty("no_abort_step", lambda s, a, t: a != "TMAbort")
    bad = simulate(tpc, [no_abort], runs=100, depth=30, seed=1)
    assert bad.exit_code == 1 and bad.traces["no_abort_step"].steps[-1].action == "TMAbort"


def test_simulate_reports_a_deadlock_and_stops_at_terminal_states():
    graph = ExplicitGraph([0], [(0, "a", 1), (0, "b", 2)], terminal=[2])
    result = simulate(graph, [], runs=20, depth=10, seed=0)
    assert [s.state for s in result.traces["deadlock"].steps] == [0, 1]
    assert simulate(ExplicitGraph([0], [(0, "b", 2)], terminal=[2]), [], runs=5, depth=10).violations == {}


# -- drain ---------------------------------------------------------------------------------------
# 0 -p-> 1 (p holds), fair "work" loops 1 <-> 3 (no q) unless "finish" (unfair) goes to 2 (q)
LOOP = [(0, "start", 1), (1, "work", 3), (3, "work", 1), (1, "finish", 2)]
P, Q = (lambda s: s == 1), (lambda s: s == 2)


def test_drain_reports_a_stuck_state_as_a_real_counterexample():
    graph = ExplicitGraph([0], [(0, "start", 1), (1, "finish", 2)])
    prop = leads_to("done", P, Q, {"start": "weak"})  # "finish" is not fair: it may never happen
    outcome = drain(graph, Trace((Step(None, 0), Step("start", 1))), prop, 10)
    assert outcome.status == STUCK and outcome.trace.stutter and outcome.pending == 1
    assert explore(graph, [prop]).verdicts["done"].status == "violated"  # the BFS agrees


def test_drain_exhausts_on_a_fair_cycle_without_q_and_reaches_q_when_fair():
    walk = Trace((Step(None, 0), Step("start", 1)))
    cycle = drain(ExplicitGraph([0], LOOP), walk, leads_to("done", P, Q, {"work": "weak"}), 7)
    assert cycle.status == EXHAUSTED and len(cycle.trace) == 2 + 7
    fair = drain(ExplicitGraph([0], LOOP), walk, leads_to("done", P, Q, {"finish": "weak"}), 7)
    assert fair.status == REACHED and fair.trace.steps[-1].state == 2
    before_p = drain(ExplicitGraph([0], LOOP), Trace((Step(None, 0),)), leads_to("done", P, Q), 7)
    assert before_p.status == NOTHING_PENDING and not before_p.violated


# -- the Hypothesis machine ----------------------------------------------------------------------
def test_machine_catches_a_broken_invariant_on_the_water_jug():
    jug = WaterJug()
    machine = make_machine(WaterJug, [Invariant("big != 4", lambda s: s[1] != 4)], 20, seed=0)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(machine, max_examples=300)
    trace = caught.value.trace
    assert caught.value.name == "big != 4" and trace.steps[-1].state[1] == 4 and replays(jug, trace)
    assert len(trace) >= 7  # BFS shortest: 7 states
    assert "counterexample: big != 4" in str(caught.value) and "BigToSmall" in str(caught.value)


def test_machine_catches_a_broken_step_property():
    tpc = TwoPhaseCommit(2)
    machine = make_machine(lambda: TwoPhaseCommit(2),
                           [StepProperty("no_prepare", lambda s, a, t: not str(a).startswith("RMPrepare"))],
                           10, seed=0)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(machine)
    assert len(caught.value.trace) == 2 and str(caught.value.trace.steps[-1].action).startswith("RMPrepare")
    assert replays(tpc, caught.value.trace)


def test_machine_passes_when_the_property_holds():
    machine = make_machine(lambda: TwoPhaseCommit(3), TwoPhaseCommit(3).properties(), 30, seed=0)
    run_machine(machine)
    assert machine.last_trace is not None and len(machine.last_trace) >= 1


# -- the command ---------------------------------------------------------------------------------
def parser_with_simulate():
    from explorer.cli import build_parser
    from explorer.simulate_cli import add_simulate_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "simulate" not in sub.choices:  # once cli.py registers it, it is already there
        add_simulate_parser(sub)
    return parser


def run_cli(argv, capsys):
    from rich.console import Console

    from explorer.cli import UsageError

    args = parser_with_simulate().parse_args(argv)
    try:
        code = args.func(args, Console(width=200), Console(stderr=True))
    except UsageError as exc:
        return 2, str(exc)
    return code, capsys.readouterr().out


def test_cli_exit_codes_and_rich_output(capsys):
    code, out = run_cli(["simulate", "--example", "water_jug", "--runs", "400", "--depth", "30",
                         "--seed", "4"], capsys)
    assert code == 1 and "big_not_4" in out and "shortest trace found" in out and "BigToSmall" in out
    code, out = run_cli(["simulate", "--example", "two_phase_commit", "--runs", "50"], capsys)
    assert code == 0 and "not violated" in out and "not checked by walks" in out
    code, message = run_cli(["simulate", "--example", "nope"], capsys)
    assert code == 2 and "unknown example" in message


def test_cli_json_traces_replay(capsys):
    code, out = run_cli(["simulate", "--example", "water_jug", "--runs", "400", "--depth", "30",
                         "--seed", "4", "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["properties"]["big_not_4"]["verdict"] == "violated"
    trace = replay_trace(WaterJug(), data["properties"]["big_not_4"]["trace"])
    assert trace.steps[-1].state[1] == 4


SIMULATE_SCRIPT = """
import argparse, json, sys
from rich.console import Console
sys.path.insert(0, {tests!r})
from test_simulate import parser_with_simulate
args = parser_with_simulate().parse_args({argv!r})
args.func(args, Console(), Console(stderr=True))
"""


@pytest.mark.parametrize("argv", [
    ["simulate", "--example", "two_phase_commit", "--runs", "100", "--json"],
    ["simulate", "--preset", "pr4139", "--set", "restart_budget=1", "--runs", "100", "--depth", "40", "--json"],
])
def test_same_output_whatever_the_hash_seed(argv):
    script = SIMULATE_SCRIPT.format(tests=os.path.dirname(__file__), argv=argv)
    outputs = set()
    for seed in ("1", "2", "4242"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONHASHSEED=seed))
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        data.pop("seconds")
        outputs.add(json.dumps(data, sort_keys=True))
    assert len(outputs) == 1
