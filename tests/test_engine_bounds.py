"""Bounds make verdicts incomplete, never 'holds'; violations found before the cut still count."""

import time

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


class Wheels:
    """``wheels`` cycles of ``size`` states each, ``(wheel, position)``, every wheel starting at
    position 0, where ``exit`` leaves it for good (to ``(wheel, -1)``, which rests there): a wide,
    shallow graph, cheap to search on one process or several."""

    def __init__(self, wheels: int, size: int):
        self.wheels, self.size = wheels, size

    def init_states(self):
        return [(w, 0) for w in range(self.wheels)]

    def successors(self, state):
        wheel, position = state
        if position < 0:
            return [("rest", state)]
        turn = [("turn", (wheel, (position + 1) % self.size))]
        return turn + [("exit", (wheel, -1))] if position == 0 else turn


def exited(state):
    return state[1] < 0


@pytest.mark.parametrize("workers", [1, 2])
def test_the_time_bound_covers_the_liveness_check(workers):
    """Eight hundred liveness properties on 21,000 states: the search takes a fraction of a
    second, checking the properties about 14 s on one process (17 ms each: under SF(exit) every
    property splits each wheel without its exit state, Emerson-Lei, and looks for cycles again
    in what is left; they share the rest). The time bound cuts the check: a property not checked
    in full is incomplete, never holds, and so is the run."""
    fairness = {"turn": "weak", "exit": "strong"}
    properties = [always_eventually(f"exits_{k}", exited, fairness) for k in range(800)]
    result = explore(Wheels(1000, 20), properties, max_seconds=1.5, workers=workers)
    assert result.distinct == 21_000  # the search itself finished
    assert result.truncated == "max_seconds" and result.exit_code == 3
    cut = [v for v in result.verdicts.values() if v.status == "incomplete"]
    assert cut and all(v.message == "liveness check cut by max_seconds" for v in cut)
    assert {v.status for v in result.verdicts.values()} <= {"holds", "incomplete"}  # holds only if checked in full


class SlowCountdown:
    """(4096,) down to (-4096,), each step at least 0.2 ms: ``hash`` is trusted down to (0,), then
    (-1,) sends the search back to the stable fingerprint, after about 4,100 steps."""

    def init_states(self):
        return [(4096,)]

    def successors(self, state):
        time.sleep(0.0002)
        return [("down", (state[0] - 1,))] if state[0] > -4096 else []

    def is_terminal(self, state):
        return True


def test_the_search_again_with_stable_fingerprints_gets_what_is_left_of_the_time_bound():
    """The first search spends at least 0.82 s of the 2.4 s; the second needs at least 1.64 s to
    its last clock check (at 8,192 states): given the whole bound again it would finish."""
    result = explore(SlowCountdown(), [], max_seconds=2.4)
    assert "stable fingerprints: a state holds -1" in result.engine
    assert result.truncated == "max_seconds" and result.distinct < 8193


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
