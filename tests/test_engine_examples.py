"""Exact counts on classic puzzles, and the safety-property kinds."""

from explorer import explore
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer.properties import Invariant, Sometimes, StepProperty


def test_water_jug_counts_and_shortest_counterexample():
    model = WaterJug()
    result = explore(model, model.properties())
    assert (result.distinct, result.generated, result.depth) == (16, 97, 8)
    verdict = result.verdicts["big_not_4"]
    assert verdict.status == "violated"
    assert len(verdict.trace) == 7
    assert verdict.trace.steps[0].action is None and verdict.trace.steps[-1].state[1] == 4
    # every step of the trace is a real transition of the model
    for before, after in zip(verdict.trace.steps, verdict.trace.steps[1:]):
        assert (after.action, after.state) in model.successors(before.state)


def test_two_phase_commit_known_sizes():
    for rms, distinct in ((3, 288), (5, 8832)):
        model = TwoPhaseCommit(rms)
        result = explore(model, model.properties())
        assert result.distinct == distinct
        assert result.complete
        assert {v.status for v in result.verdicts.values()} == {"holds"}


def test_two_phase_commit_broken_invariant_is_caught():
    model = TwoPhaseCommit(3)
    never_commit = Invariant("never_commit", lambda s: s >> model.tm_shift != 1)
    result = explore(model, [never_commit])
    assert result.verdicts["never_commit"].status == "violated"
    # commit needs all three RMs prepared and seen: 3 prepares + 3 receipts + commit
    assert len(result.verdicts["never_commit"].trace) == 8


def test_deadlock_found_and_terminal_states_excused():
    edges = [(0, "a", 1), (0, "b", 2)]
    dead = explore(ExplicitGraph([0], edges))
    assert dead.verdicts["deadlock"].status == "violated"
    assert [s.state for s in dead.verdicts["deadlock"].trace.steps] == [0, 1]
    excused = explore(ExplicitGraph([0], edges, terminal=[1, 2]))
    assert excused.verdicts["deadlock"].status == "holds"


def test_step_property_and_sometimes():
    model = ExplicitGraph([0], [(0, "up", 1), (1, "up", 2), (2, "down", 0)], terminal=[])
    never_down = StepProperty("never_down", lambda s, a, t: a != "down")
    reach_2 = Sometimes("reach_2", lambda s: s == 2)
    reach_9 = Sometimes("reach_9", lambda s: s == 9)
    result = explore(model, [never_down, reach_2, reach_9])
    trace = result.verdicts["never_down"].trace
    assert [str(s.action) for s in trace.steps] == ["None", "up", "up", "down"]
    assert result.verdicts["reach_2"].status == "holds"
    assert result.verdicts["reach_9"].status == "violated"


def test_coverage_counts_fired_and_new_states_and_flags_never_taken():
    model = WaterJug()
    result = explore(model)
    by_name = {c.name: c for c in result.coverage}
    assert sum(c.fired for c in result.coverage) == result.generated - 1  # minus the initial state
    assert sum(c.new_states for c in result.coverage) == result.distinct - 1
    assert all(c.fired == 16 for c in by_name.values())
    model.action_names = lambda: ("FillSmall", "Teleport")
    assert [c.name for c in explore(model).never_taken] == ["Teleport"]
