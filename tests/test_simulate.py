"""The generic random-walk engine (``explorer.simulate``), the drain hint, the Hypothesis machine
factory on the bundled examples, and the ``simulate`` command. No TiCDC model here."""

import argparse
import json
import os
import random
import subprocess
import sys

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from explorer import Invariant, StepProperty, explore, leads_to
from explorer.evidence import evidence
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer.schedule import DEFAULT_STRATEGY, UNIFORM, Strategy, WalkConfig, choose, draw_unfocused, parse_strategy
from explorer.simulate import (ABSORBING, EXHAUSTED, FAIR_CYCLE, NOTHING_PENDING, REACHED, STUCK, TIME_UP, drain, simulate,
                               walk_summary)
from explorer.result import Step, Trace
from explorer.stateful import PropertyViolation, make_machine
from explorer.trace import replay_trace, trace_to_json

from engine_helpers import Label, SharedBudgetReplicas, SuppressedStack


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


# -- a suppressor: what plain walks miss -----------------------------------------------------------
def stack_run(strategy: str, declare: bool = True, runs: int = 200, seed: int = 0, **options):
    stack = SuppressedStack(declare=declare)
    return stack, simulate(stack, stack.properties(), runs=runs, depth=100, seed=seed,
                           strategy=parse_strategy(strategy), **options)


def test_plain_walks_miss_what_the_suppressor_hides():
    """``crash`` ends a uniform walk within a few steps: 200 walks never fill the stack (each
    would need about ten more pushes than pops with no crash between), though they find the
    suppressor's own bug at once."""
    stack, result = stack_run("uniform")
    assert "no_overflow" not in result.violations and "no_crash_at_one" in result.violations
    assert result.stats.ends == {ABSORBING: 200}
    assert explore(stack, stack.properties()).verdicts["no_overflow"].status == "violated"


@pytest.mark.parametrize("strategy, declare", [
    ("swarm", True),  # crash switched off in half the walks
    ("hold", True),  # crash held back, as the model declares it absorbing
    ("hold,learn", False),  # not declared: learned from the walks it ended
    (str(DEFAULT_STRATEGY), False),  # the default
])
def test_swarm_and_suppressor_aware_walks_find_it_and_keep_the_fuse(strategy, declare):
    stack, result = stack_run(strategy, declare)
    assert set(result.violations) == {"no_overflow", "no_crash_at_one"}  # the fuse's own bug too
    for verdict in result.violations.values():
        assert replays(stack, verdict.trace)
    assert len(result.traces["no_overflow"]) >= 11  # ten pushes at least
    if "learn" in strategy:
        assert result.learned == {"crash"} and result.declared == frozenset()


def test_swarm_names_the_suppressor():
    """Over the walks that overflowed, ``crash`` was switched on in clearly fewer than half."""
    stack, result = stack_run("swarm")
    find = result.finds["no_overflow"]
    assert find.walks >= 10 and "crash" in find.config.off
    assert "crash" in walk_summary(result)["swarm"]["no_overflow"]["suppressors"]
    assert "push" in walk_summary(result)["swarm"]["no_overflow"]["triggers"]


def test_restarts_spend_every_walks_budget():
    stack, result = stack_run("restart", runs=50)
    assert result.steps == 50 * 99  # depth 100: 99 steps a walk
    assert result.stats.restarts == sum(result.stats.ends.values()) - 50
    assert all(replays(stack, v.trace) for v in result.violations.values())


def test_strategy_names():
    assert parse_strategy("uniform") == UNIFORM and str(UNIFORM) == "uniform"
    assert str(parse_strategy("restart, swarm")) == "swarm,restart"
    with pytest.raises(ValueError, match="unknown technique 'pct'"):
        parse_strategy("swarm,pct")
    with pytest.raises(ValueError, match="needs 'hold'"):
        Strategy(frozenset({"learn"}))


# -- the summary explains itself ---------------------------------------------------------------
def test_summary_adds_up_and_says_why_walks_were_short():
    stack, result = stack_run("uniform", runs=100)
    summary = walk_summary(result)
    lengths = result.stats.path_lengths
    assert summary["paths"] == sum(lengths.values()) == sum(summary["ends"].values()) == 100
    assert summary["ends"] == {ABSORBING: 100}  # every walk ended at a crash
    assert summary["path_length"]["mean"] == sum(k * n for k, n in lengths.items()) / 100 < 10
    assert summary["path_length"]["min"] <= summary["path_length"]["median"] <= summary["path_length"]["max"]
    assert sum(a["steps"] for a in summary["actions"]) == result.steps
    assert abs(sum(a["share"] for a in summary["actions"]) - 1) < 1e-9
    crash = next(a for a in summary["actions"] if a["action"] == "crash")
    assert crash["steps"] == 100 and crash["last_resort"] == 0
    rate = summary["new_states"]
    assert len(rate) == 10 and sum(s["new_states"] for s in rate) == result.distinct
    assert sum(s["steps"] for s in rate) == result.steps and rate[0]["walks"] == "1-10"
    assert summary["walks_from_corpus"] == 0
    # with a corpus about half the walks go on from an earlier walk's path (each walk's coin)
    _, resumed = stack_run("corpus", runs=100)
    assert 30 < walk_summary(resumed)["walks_from_corpus"] < 70


def test_last_resort_counts_what_a_configuration_did_not_prefer():
    """Held back alone, crash never has to fire as a last resort: push or pop is enabled
    wherever it is. Under swarm a walk with push and pop switched off takes them anyway when
    nothing it prefers is enabled, and the summary counts those steps."""
    _, held = stack_run("hold", runs=100)
    assert held.stats.last_resort == {} and held.stats.actions["crash"] > 0
    _, swarm = stack_run("swarm", runs=100)
    assert swarm.stats.last_resort["push"] > 0
    assert all(n <= swarm.stats.actions[name] for name, n in swarm.stats.last_resort.items())


def test_a_last_resort_takes_switched_off_actions_before_held_back_ones():
    """Where only switched-off and held-back actions are enabled, the walk takes a switched-off
    one; the held-back fuse fires only where nothing else is enabled, or past its hold point."""
    config = WalkConfig(off=frozenset({"push", "crash"}), held=frozenset({"crash"}), hold_until=10)
    moves = [("push", 1), ("crash", 2)]
    pools = lambda length: choose(moves, config, length, str, lambda pool: tuple(pool))  # noqa: E731
    assert pools(3) == (((("push", 1),)), True)
    assert pools(10) == ((("push", 1), ("crash", 2)), True)  # past the hold point: both alike
    assert choose([("crash", 2)], config, 3, str, lambda pool: tuple(pool)) == ((("crash", 2),), True)


def focus_finds(strategy: str, seeds=range(3), runs: int = 200) -> list[int]:
    """Per seed, the walks that violated ``no_second_failure`` on the shared-budget toy."""
    replicas = SharedBudgetReplicas()
    finds = []
    for seed in seeds:
        result = simulate(replicas, replicas.properties(), runs=runs, depth=40, seed=seed,
                          strategy=parse_strategy(strategy))
        for verdict in result.violations.values():
            assert replays(replicas, verdict.trace)
        find = result.finds.get("no_second_failure")
        finds.append(find.walks if find else 0)
    return finds


def test_focus_lets_one_replica_spend_a_shared_bound():
    """Four workers share two failures; the bug needs one worker to fail, recover in six steps
    and fail again. The walks that treat the workers alike (uniform, and every other technique:
    every worker's failure is one action name) spend the second failure elsewhere; with one
    worker in focus it goes to the worker that recovered. The BFS confirms the bug."""
    replicas = SharedBudgetReplicas()
    assert explore(replicas, replicas.properties()).verdicts["no_second_failure"].status == "violated"
    assert focus_finds("uniform") == [0, 0, 0]
    without = focus_finds("swarm,hold,learn,restart,corpus")
    with_focus = focus_finds("swarm,focus,hold,learn,restart,corpus")
    assert all(w >= 3 * max(1, wo) for w, wo in zip(with_focus, without)), (without, with_focus)


def test_focus_keeps_one_replica_of_each_kind_in_focus():
    """A walk keeps the drawn replica in focus and flips a coin for each other one; one replica
    alone is never out of focus, so a one-dispatcher model is walked as without focus."""
    replicas = (("w", ("w1", "w2", "w3")), ("m", ("A",)))
    assert draw_unfocused(replicas, lambda n: n - 1, lambda: True) == {("w", "w1"), ("w", "w2")}
    assert draw_unfocused(replicas, lambda n: 0, lambda: False) == frozenset()
    rng = random.Random(0)
    for _ in range(200):
        out = draw_unfocused(replicas, rng.randrange, lambda: rng.random() < 0.5)
        assert len(out) <= 2 and ("m", "A") not in out


def test_a_last_resort_takes_unfocused_replicas_after_switched_off_actions():
    """A move on a replica out of focus is preferred by nothing: it fires only when no move on
    a replica in focus (switched off or not) can, and before a held-back one."""
    config = WalkConfig(off=frozenset({"tick"}), held=frozenset({"crash"}), hold_until=10,
                        unfocused=frozenset({("w", "w2")}))
    replicas_of = lambda action: frozenset(action.args)  # noqa: E731
    fail1, fail2, tick1 = Label("fail", (("w", "w1"),)), Label("fail", (("w", "w2"),)), Label("tick", (("w", "w1"),))
    crash = Label("crash")
    pool = lambda moves: choose(moves, config, 3, lambda a: a.name, tuple, replicas_of)  # noqa: E731
    assert pool([(fail2, 2), (fail1, 1)]) == (((fail1, 1),), False)
    assert pool([(fail2, 2), (tick1, 1)]) == (((tick1, 1),), True)
    assert pool([(fail2, 2), (crash, 3)]) == (((fail2, 2),), True)
    assert "out of focus: w=w2" in config.describe()
    assert config.to_json()["unfocused"] == [["w", "w2"]]


def test_the_command_prints_the_explaining_summary(capsys):
    from rich.console import Console

    from explorer.simulate_cli import print_simulation

    stack, result = stack_run("swarm,hold,learn,restart", declare=False)
    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    print_simulation(console, stack, result, "stack")
    text = console.export_text()
    for expected in ("strategy", "swarm,hold,learn,restart", "path lengths", "mean", "median",
                     "why paths ended", "absorbing", "budget", "restarts", "crash (learned: they ended paths)",
                     "new states / 1,000 steps", "actions taken", "as a last resort",
                     "who found what", "no_overflow: first by walk", "its configuration", "suppressors: pop"):
        assert expected in text, expected


# -- determinism --------------------------------------------------------------------------------
def fingerprint_of(result):
    """Everything a simulation reports except timing."""
    return (result.runs, result.steps, result.distinct, result.stats.ends, result.stats.path_lengths,
            result.stats.actions, list(result.stats.distinct_after), sorted(result.learned),
            {n: (f.walk, f.walks, f.config) for n, f in result.finds.items()},
            {n: [(str(s.action), s.state) for s in t.steps] for n, t in result.traces.items()})


def test_a_time_budget_only_decides_how_many_walks_run():
    """The walks a time budget let run are exactly those ``runs=N`` gives, learning included;
    and the first walks are the same whatever the budget (walk k's choices depend on the seed
    and k, and on what the walks before it learned)."""
    tpc = TwoPhaseCommit(4)
    props = [Invariant("never_abort", lambda s: s >> tpc.tm_shift != 2)]
    timed = simulate(tpc, props, runs=None, depth=40, seed=3, max_seconds=0.3)
    assert timed.stopped == TIME_UP and timed.runs > 10
    again = simulate(tpc, props, runs=timed.runs, depth=40, seed=3)
    assert fingerprint_of(again) == fingerprint_of(timed)
    fewer = simulate(tpc, props, runs=10, depth=40, seed=3)
    assert list(fewer.stats.distinct_after) == list(timed.stats.distinct_after)[:10]


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


def test_drain_closes_a_fair_cycle_without_q_into_a_real_lasso():
    walk = Trace((Step(None, 0), Step("start", 1)))
    graph = ExplicitGraph([0], LOOP)
    prop = leads_to("done", P, Q, {"work": "weak"})  # "finish" may never happen
    cycle = drain(graph, walk, prop, 7)
    assert cycle.status == FAIR_CYCLE and cycle.violated and cycle.pending == 1
    assert [s.state for s in cycle.trace.steps] == [0, 1, 3, 1] and cycle.trace.loop == 1
    assert evidence(graph, prop, cycle.trace) == "a fair lasso that violates it"
    assert explore(graph, [prop]).verdicts["done"].status == "violated"  # the BFS agrees


def test_drain_never_closes_an_unfair_cycle_and_its_scheduler_takes_what_waits():
    """With "finish" strongly fair, the loop 1 -> 3 -> 1 is unfair; the round-robin drain takes
    "finish" at the next visit of 1 (a uniform one could loop until its steps ran out)."""
    walk = Trace((Step(None, 0), Step("start", 1)))
    prop = leads_to("done", P, Q, {"work": "weak", "finish": "strong"})
    for seed in range(20):
        outcome = drain(ExplicitGraph([0], LOOP), walk, prop, 7, random.Random(seed))
        assert outcome.status == REACHED and outcome.trace.steps[-1].state == 2
    assert explore(ExplicitGraph([0], LOOP), [prop]).verdicts["done"].status == "holds"


def test_drain_without_a_cycle_or_q_in_its_steps_is_only_a_hint():
    climb = ExplicitGraph([0], [(k, "up", k + 1) for k in range(20)])
    prop = leads_to("never", lambda s: s == 0, lambda s: False, {"up": "weak"})
    outcome = drain(climb, Trace((Step(None, 0),)), prop, 7)
    assert outcome.status == EXHAUSTED and outcome.violated and len(outcome.trace) == 1 + 7
    assert not outcome.trace.is_lasso


# a fuse (absorbing, Q) enabled while anything else is left to settle; once settled, a fair spin
# without Q: the counterexample is behind the fuse, which a round-robin drain takes first
FUSED = ([(a, "fuse", 99) for a in (10, 11, 20, 21)]
         + [(10, "spin", 11), (11, "spin", 10), (20, "spin", 21), (21, "spin", 20), (30, "spin", 31), (31, "spin", 30)]
         + [(10, "settle", 20), (11, "settle", 21), (20, "settle", 30), (21, "settle", 31)])
FUSED_PROP = leads_to("spin_ends", lambda s: s != 99, lambda s: s == 99, {"fuse": "weak", "spin": "weak", "settle": "weak"})


class FusedGraph(ExplicitGraph):
    def __init__(self):
        super().__init__([10], FUSED, terminal=[99])

    def absorbing_actions(self):
        return ("fuse",)


def test_drain_with_the_fuse_held_back_shows_the_cycle_behind_it():
    walk = Trace((Step(None, 10),))
    plain = drain(FusedGraph(), walk, FUSED_PROP, 20)
    assert plain.status == REACHED and plain.trace.steps[-1].state == 99
    held = drain(FusedGraph(), walk, FUSED_PROP, 20, hold=frozenset({"fuse"}))
    assert held.status == FAIR_CYCLE and {s.state for s in held.trace.steps[held.trace.loop:]} == {30, 31}
    assert evidence(FusedGraph(), FUSED_PROP, held.trace) == "a fair lasso that violates it"
    assert explore(FusedGraph(), [FUSED_PROP]).verdicts["spin_ends"].status == "violated"  # the BFS agrees
    # holding back never makes an unfair cycle count: without "settle" fair, the drain spins
    # 10 <-> 11 with the fuse enabled throughout, which fairness forbids
    unsettled = leads_to("spin_ends", FUSED_PROP.p, FUSED_PROP.q, {"fuse": "weak", "spin": "weak"})
    assert drain(FusedGraph(), walk, unsettled, 20, hold=frozenset({"fuse"})).status == EXHAUSTED


def test_a_walk_drains_again_with_what_it_holds_back():
    """Walks of one step (the fuse, or a spin) end where a plain drain takes the fuse: each
    whose drain took it drains again with it held back and shows the real lasso."""
    found = [simulate(FusedGraph(), [FUSED_PROP], runs=5, depth=2, seed=s, strategy=parse_strategy(t),
                      drain_steps=20, deadlock=False) for t in ("hold", "uniform") for s in range(5)]
    held, plain = found[:5], found[5:]
    assert all(r.violations["spin_ends"].trace.is_lasso for r in held)
    assert sum("spin_ends" in r.violations and r.violations["spin_ends"].trace.is_lasso for r in plain) < 5


def test_a_counterexample_beats_a_shorter_hint():
    """The drain's hint (no loop) never replaces a real lasso, however much shorter it is."""
    climb = ExplicitGraph([0], [(0, "up", 1), (1, "up", 2), (2, "up", 3), (3, "back", 2)] + [(k, "side", 100 + k) for k in range(4)]
                          + [(100 + k, "up", 101 + k) for k in range(30)])
    prop = leads_to("never", lambda s: s == 0, lambda s: False, {"up": "weak", "back": "weak"})
    result = simulate(climb, [prop], runs=60, depth=3, seed=0, drain_steps=6, deadlock=False)
    assert result.violations["never"].trace.is_lasso


def test_a_corpus_builds_on_earlier_walks():
    """A combination lock: 25 advances in a row, any reset starts again. Fresh walks almost never
    get there; walks that go on from where earlier walks first got further do."""
    lock = ExplicitGraph([0], [(k, "advance", k + 1) for k in range(25)] + [(k, "reset", 0) for k in range(1, 25)])
    opened = [Invariant("locked", lambda s: s != 25)]

    def opens(strategy: str) -> int:
        return sum("locked" in simulate(lock, opened, runs=300, depth=100, seed=s, strategy=parse_strategy(strategy),
                                        deadlock=False).violations for s in range(5))

    assert opens("corpus") >= 4 and opens("uniform") <= 1
    result = simulate(lock, opened, runs=300, depth=100, seed=2, strategy=parse_strategy("corpus"), deadlock=False)
    assert replays(lock, result.traces["locked"]) and result.traces["locked"].steps[0].state == 0


def test_drain_reaches_q_when_the_exit_is_fair_and_sees_nothing_before_p():
    walk = Trace((Step(None, 0), Step("start", 1)))
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


def test_machine_scheduler_gets_past_the_suppressor():
    """The plain machine (each step's successor drawn alike) crashes the stack within a few
    steps in every run; with swarm, hold and restart (the default) it fills it. Learning and a
    corpus are refused: a run must depend on Hypothesis's data alone."""
    overflow = [p for p in SuppressedStack().properties() if p.name == "no_overflow"]
    run_machine(make_machine(SuppressedStack, overflow, 40, seed=0, strategy=UNIFORM), max_examples=200)
    with pytest.raises(PropertyViolation) as caught:
        run_machine(make_machine(SuppressedStack, overflow, 40, seed=0), max_examples=200)
    assert caught.value.trace.steps[-1].state == (10, False) and replays(SuppressedStack(), caught.value.trace)
    for refused in ("hold,learn", "corpus"):
        with pytest.raises(ValueError, match="neither learns nor keeps a corpus"):
            make_machine(SuppressedStack, overflow, strategy=parse_strategy(refused))


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


def test_cli_time_budget_says_how_to_run_the_same_walks_again(capsys):
    code, out = run_cli(["simulate", "--example", "two_phase_commit", "--time", "0.3", "--json"], capsys)
    timed = json.loads(out)
    assert code == 0 and timed["stopped"] == "time"
    runs = timed["runs"]
    assert timed["reproduce"] == f"--runs {runs} --seed 0 --depth 100 --strategy {DEFAULT_STRATEGY}"
    code, out = run_cli(["simulate", "--example", "two_phase_commit", "--json"] + timed["reproduce"].split(), capsys)
    again = json.loads(out)
    assert again["stopped"] == "runs" and again["reproduce"] == ""
    for data in (timed, again):
        for key in ("seconds", "stopped", "reproduce"):
            data.pop(key)
    assert again == timed


def test_cli_strategy_errors_and_the_plain_walk(capsys):
    code, message = run_cli(["simulate", "--example", "water_jug", "--strategy", "swarm,pct"], capsys)
    assert code == 2 and "--strategy: unknown technique 'pct'" in message
    code, out = run_cli(["simulate", "--example", "water_jug", "--runs", "50", "--strategy", "uniform"], capsys)
    assert "uniform" in out and "nothing (no 'hold' in the strategy)" in out


def without_timing(data: dict) -> dict:
    """The JSON less its timing fields: ``seconds`` and each property's ``first_seconds``."""
    data.pop("seconds")
    for prop in data["properties"].values():
        prop.pop("first_seconds", None)
    return data


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
    ["simulate", "--preset", "pr4139", "--dispatchers", "2", "--runs", "60", "--depth", "40", "--json"],  # focus draws
])
def test_same_output_whatever_the_hash_seed(argv):
    script = SIMULATE_SCRIPT.format(tests=os.path.dirname(__file__), argv=argv)
    outputs = set()
    for seed in ("1", "2", "4242"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONHASHSEED=seed))
        assert done.returncode == 0, done.stderr
        outputs.add(json.dumps(without_timing(json.loads(done.stdout)), sort_keys=True))
    assert len(outputs) == 1
