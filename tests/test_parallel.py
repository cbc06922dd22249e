"""Multi-process search: the same states, verdicts and counterexamples as one process."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Invariant, StepProperty, always_eventually, eventually_always, explore, leads_to
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer import parallel
from explorer.parallel import keepers_of
from invariants import SAFETY, properties_for
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


def graph_of(result) -> tuple:
    """The explored graph as plain lists: rows, edges, labels, fingerprints, liveness marks."""
    g = result.graph
    return list(g.offset), list(g.dst), list(g.label), g.labels, list(g.fingerprints), list(g.parent), list(g.ordinal)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("abc"), st.integers(0, n - 1)), max_size=3 * n, unique=True),
    st.sets(st.integers(0, n - 1), max_size=3),
    st.sampled_from(["weak", "strong", None]),
    st.sampled_from([2, 3]))))
def test_liveness_on_several_workers_finds_the_same_lasso(graph):
    """The workers build the very graph one process builds (rows, edges, label numbers), so
    liveness gives the same verdict and the same lasso, whichever process checks it."""
    n, edges, goal, fairness, workers = graph
    model = ExplicitGraph([0], edges, terminal=goal)
    fair = {label: fairness for label in "abc"} if fairness else None
    props = [always_eventually("goal", lambda s: s in goal, fair), leads_to("zero_to_goal", lambda s: s == 0,
             lambda s: s in goal, fair), eventually_always("stays", lambda s: s in goal, fair)]
    many = explore(model, props, workers=workers, deadlock=False)
    single = explore(model, props, deadlock=False)
    assert outcome(many) == outcome(single)
    assert graph_of(many) == graph_of(single)
    assert {v.trace.loop for v in many.verdicts.values() if v.trace} == \
        {v.trace.loop for v in single.verdicts.values() if v.trace}


def test_recover_model_liveness_on_two_workers():
    for preset in ("pr4139", "proposed"):
        config = make_config(preset, {"dispatchers": 1, "maintainer_moves": 1})
        props = properties_for(config)
        assert any(p.kind == "liveness" for p in props)
        single = explore(RecoverModel(config), props)
        many = explore(RecoverModel(config), props, workers=2)
        assert outcome(many) == outcome(single) and graph_of(many) == graph_of(single)


@pytest.mark.parametrize("model", [WaterJug(), ExplicitGraph([0], [(0, "a", 1), (0, "b", 2), (1, "a", 3), (3, "b", 4),
                                                                  (4, "a", 4), (1, "c", 5)])], ids=("jug", "dead end"))
def test_kept_graph_is_the_one_process_graph_under_bounds(model):
    props = [Invariant("not_4", lambda s: 4 not in (s if isinstance(s, tuple) else (s,)))]
    for options in ({}, {"max_states": 5}, {"max_states": 9}, {"max_depth": 4}, {"stop_at_first": True}):
        single = explore(model, props, keep_graph=True, **options)
        many = explore(model, props, keep_graph=True, workers=2, **options)
        assert outcome(many) == outcome(single) and graph_of(many) == graph_of(single), options


def test_time_and_memory_bounds_end_the_search():
    """The memory bound counts every process's growth; both bounds are met between levels."""
    model = TwoPhaseCommit(7)
    result = explore(model, [], workers=2, engine="states", max_memory_mb=1, deadlock=False)
    assert result.truncated == "max_memory" and result.distinct < 296_448
    result = explore(model, model.properties(), workers=2, engine="states", max_seconds=0.01)
    assert result.truncated == "max_seconds" and {v.status for v in result.verdicts.values()} == {"incomplete"}
