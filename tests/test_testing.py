"""explorer.testing: pytest-native assertions whose failure message is the counterexample."""

from __future__ import annotations

import pytest

from explorer import Invariant, Sometimes, StepProperty
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.testing import assert_holds, assert_sometimes, assert_violated


def test_the_readme_example():
    jug = WaterJug()
    assert_holds(jug, [Invariant("small_fits", lambda s: s[0] <= 3)], max_states=10_000)
    trace = assert_violated(jug, jug.properties()).verdicts["big_not_4"].trace
    assert trace.steps[-1].state[1] == 4


def test_a_violation_fails_with_the_counterexample_and_the_command():
    jug = WaterJug()
    with pytest.raises(AssertionError) as caught:
        assert_holds(jug, jug.properties(), reproduce="recover-check explore --example water_jug")
    lines = str(caught.value).splitlines()
    assert lines[0] == "big_not_4 violated (invariant)"
    assert lines[1].strip() == "1. (initial state): small = 0, big = 0"
    assert lines[-2].strip() == "7. BigToSmall: small = 3, big = 4"  # only the changed fields
    assert lines[-1] == "reproduce: recover-check explore --example water_jug"


def test_a_cut_search_is_incomplete_never_a_pass():
    tpc = TwoPhaseCommit(3)
    for assertion, props in ((assert_holds, tpc.properties()), (assert_violated, tpc.properties()[:1]),
                             (assert_sometimes, [p for p in tpc.properties() if p.kind == "sometimes"])):
        with pytest.raises(AssertionError, match=r"^incomplete: .*cut short \(max_states\) after 10 states"):
            assertion(tpc, props, max_states=10)


def test_violated_and_sometimes_fail_when_the_model_disagrees():
    tpc = TwoPhaseCommit(3)
    consistent = tpc.properties()[0]
    with pytest.raises(AssertionError, match="consistent holds on all 288 reachable states: expected a violation"):
        assert_violated(tpc, [consistent])
    never = Sometimes("rm_count_is_9", lambda s: False)
    with pytest.raises(AssertionError, match=r"rm_count_is_9: no reachable state satisfies it \(288 states"):
        assert_sometimes(tpc, [never])
    assert assert_sometimes(tpc, [p for p in tpc.properties() if p.kind == "sometimes"]).complete
    with pytest.raises(TypeError):
        assert_sometimes(tpc, [consistent])


def test_a_lasso_and_a_step_property_read_as_text():
    from invariants import properties_for
    from model import RecoverModel, make_config

    config = make_config("design", {"failures": 2})
    with pytest.raises(AssertionError) as caught:
        assert_holds(RecoverModel(config), properties_for(config, ["no_silent_stall"]), deadlock=False)
    assert "no_silent_stall[d1] violated (liveness)" in str(caught.value)
    assert "then it stays there forever (stuttering)" in str(caught.value)
    jug = WaterJug()
    never_fill = StepProperty("never_fill", lambda s, a, t: a != "FillBig")
    with pytest.raises(AssertionError, match=r"never_fill violated \(step\)\n +1\. \(initial state\).*\n +2\. FillBig: big = 5$"):
        assert_holds(jug, [never_fill], deadlock=False)
