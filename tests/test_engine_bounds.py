"""Bounds make verdicts incomplete, never 'holds'; violations found before the cut still count."""

import pytest

from explorer import explore
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.properties import Invariant, always_eventually

from engine_helpers import OneStateOnly


def test_max_states_cut_is_incomplete():
    model = TwoPhaseCommit(5)
    result = explore(model, model.properties(), max_states=500)
    assert result.truncated == "max_states" and result.distinct == 500
    assert {v.status for v in result.verdicts.values()} == {"incomplete"}
    assert result.exit_code == 3


def test_max_depth_cut_is_incomplete_and_depth_reported():
    model = TwoPhaseCommit(3)
    result = explore(model, model.properties(), max_depth=4)
    assert result.truncated == "max_depth"
    assert result.depth == 4
    assert result.verdicts["consistent"].status == "incomplete"


def test_depth_bound_at_the_true_depth_is_not_a_cut():
    result = explore(WaterJug(), max_depth=8)
    assert result.complete and result.distinct == 16


def test_violation_before_the_cut_is_reported():
    model = WaterJug()
    result = explore(model, model.properties(), max_depth=7)
    assert result.verdicts["big_not_4"].status == "violated"
    assert result.exit_code == 1


def test_time_bound_cuts():
    model = TwoPhaseCommit(8)
    result = explore(model, [], max_seconds=0.05)
    assert result.truncated == "max_seconds"
    assert result.verdicts["deadlock"].status == "incomplete"


def test_liveness_on_a_cut_search_is_incomplete():
    model = WaterJug()
    prop = always_eventually("sometime_empty", lambda s: s == (0, 0))
    result = explore(model, [prop], max_states=5)
    assert result.verdicts["sometime_empty"].status == "incomplete"


@pytest.mark.parametrize("form, engine", [("one state", "states"), ("one state", "batched"),
                                          ("vectorised", "batched")])
def test_interrupt_returns_partial_incomplete_result(form, engine):
    model = TwoPhaseCommit(5)
    method = "vector_successors" if form == "vectorised" else "successors"
    calls = {"n": 0}
    real = getattr(model, method)

    def interrupting(states):
        calls["n"] += 1
        if calls["n"] == (5 if form == "vectorised" else 200):  # a vectorised call takes a batch
            raise KeyboardInterrupt
        return real(states)

    setattr(model, method, interrupting)
    if form == "one state":
        model = OneStateOnly(model)
    result = explore(model, [Invariant("true", lambda s: True)], engine=engine)
    assert result.interrupted and result.truncated == "interrupted"
    assert result.verdicts["true"].status == "incomplete"
    assert 0 < result.distinct < 8832


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        explore(WaterJug(), max_states=0)
    with pytest.raises(ValueError):
        explore(WaterJug(), [Invariant("deadlock", lambda s: True)])


def test_memory_bound_cuts():
    model = TwoPhaseCommit(8)
    result = explore(model, [], max_memory_mb=1)
    assert result.truncated == "max_memory"
    assert result.verdicts["deadlock"].status == "incomplete"
