"""Multi-process search: the same states, verdicts and counterexamples as one process."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Invariant, StepProperty, always_eventually, explore
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer import parallel
from explorer.parallel import keepers_of
from invariants import SAFETY
from model import RecoverModel, make_config

from engine_helpers import outcome


def test_two_phase_commit_same_for_any_worker_count():
    model = TwoPhaseCommit(5)
    single = explore(model, model.properties())
    for workers in (2, 3):
        many = explore(model, model.properties(), workers=workers, engine="states")
        assert outcome(many) == outcome(single)
        assert many.generated == single.generated == 37346


def test_shared_states_are_adopted_or_pooled():
    """A new state that several workers hold goes to the one with fewer new states, until they
    are even; the rest stay in the pool, for whichever holder gets there first."""
    finders = np.array([0, 0, 0, 0, 1])
    holders = np.array([[1, 1, 1, 1, 0], [0, 1, 0, 1, 1]], dtype=bool)
    assert keepers_of(finders, holders).tolist() == [0, 1, 0, -1, 1]
    # three workers: the two light ones adopt what they hold, in turn
    holders3 = np.array([[1, 1, 1, 1, 1], [0, 1, 1, 0, 0], [0, 0, 0, 1, 1]], dtype=bool)
    assert keepers_of(np.zeros(5, dtype=np.int64), holders3).tolist() == [0, 1, -1, 2, -1]


def test_pooled_states_are_expanded_once(monkeypatch):
    pooled = []

    def spy(finders, holders):
        kept = keepers_of(finders, holders)
        pooled.append(int((kept == -1).sum()))
        return kept

    monkeypatch.setattr(parallel, "keepers_of", spy)
    model = TwoPhaseCommit(5)
    for workers in (2, 3):
        pooled.clear()
        many = explore(model, model.properties(), workers=workers, engine="states")
        assert sum(pooled) > 0  # the pool was used ...
        assert outcome(many) == outcome(explore(model, model.properties()))  # ... and changed nothing


def test_recover_model_same_counterexamples():
    model = RecoverModel(make_config("pr4139", {"failures": 2, "maintainer_moves": 1}))
    props = list(SAFETY.values())
    assert outcome(explore(model, props, workers=2, engine="states")) == outcome(explore(model, props))


def test_early_stop_and_bounds_cut_where_one_process_does():
    model = WaterJug()
    for options in ({}, {"stop_at_first": True}, {"max_states": 9}, {"max_depth": 4}):
        single = explore(model, model.properties(), **options)
        assert outcome(explore(model, model.properties(), workers=2, engine="states", **options)) == outcome(single)
    first = explore(model, model.properties(), workers=2, engine="states", stop_at_first=True)
    assert first.truncated == "stopped at first violation" and first.distinct < 16


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("abc"), st.integers(0, n - 1)), max_size=3 * n, unique=True),
    st.integers(0, n - 1),
    st.lists(st.integers(0, n - 1), max_size=2),
    st.sampled_from([{}, {"stop_at_first": True}, {"max_states": 3}, {"max_depth": 2}]),
    st.sampled_from([2, 3]))))
def test_random_graphs_agree(graph):
    n, edges, bad, terminal, options, workers = graph
    model = ExplicitGraph([0], edges, terminal=terminal)
    props = [Invariant("not_bad", lambda s: s != bad), StepProperty("no_c", lambda s, a, t: a != "c")]
    many = explore(model, props, workers=workers, engine="states", **options)
    single = explore(model, props, engine="states", **options)
    assert outcome(many) == outcome(single) and many.generated == single.generated


def test_liveness_is_refused():
    prop = always_eventually("empty", lambda s: s == (0, 0))
    with pytest.raises(ValueError, match="one worker"):
        explore(WaterJug(), [prop], workers=2, engine="states")


def test_time_and_memory_bounds_end_the_search():
    """The memory bound counts every process's growth; both bounds are met between levels."""
    model = TwoPhaseCommit(7)
    result = explore(model, [], workers=2, engine="states", max_memory_mb=1, deadlock=False)
    assert result.truncated == "max_memory" and result.distinct < 296_448
    result = explore(model, model.properties(), workers=2, engine="states", max_seconds=0.01)
    assert result.truncated == "max_seconds" and {v.status for v in result.verdicts.values()} == {"incomplete"}
