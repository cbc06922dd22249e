"""The batched search (fingerprint mode): the same states, coverage, verdicts and
counterexamples as the one-state search, over a model's vectorised form and over its one-state
``successors`` alike."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import explorer.batched
from explorer.levels import FingerprintRuns
from explorer import Invariant, Sometimes, StepProperty, always_eventually, explore
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from invariants import SAFETY
from model import RecoverModel, make_config

from engine_helpers import OneStateOnly, outcome


def agree(model, props, **options):
    """The one-state search, the batched one over the vectorised form (if any) and the
    batched one over ``successors`` give the same outcome."""
    expected = outcome(explore(model, props, engine="states", **options))
    batched = explore(model, props, engine="batched", **options)
    assert outcome(batched) == expected
    assert outcome(explore(OneStateOnly(model), props, engine="batched", **options)) == expected
    return batched


@pytest.fixture
def tiny_batches(monkeypatch):
    """Batches of three states: levels split across batches, cuts inside a batch."""
    monkeypatch.setattr(explorer.batched, "BATCH", 3)


def test_vector_successors_list_what_successors_lists():
    model = TwoPhaseCommit(4)
    states = sorted(explore(model, [], keep_graph=True).graph.fingerprints)
    sources, positions, labels, nexts = model.vector_successors(np.array(states, dtype=np.int64))
    names = model.vector_labels()
    listed = [(states[s], p, names[a], t) for s, p, a, t in
              zip(sources.tolist(), positions.tolist(), labels.tolist(), nexts.tolist())]
    expected = [(s, p, a, t) for s in states for p, (a, t) in enumerate(model.successors(s))]
    assert listed == expected


@pytest.mark.parametrize("rms, distinct", [(3, 288), (5, 8832)])
def test_two_phase_commit(rms, distinct):
    model = TwoPhaseCommit(rms)
    result = agree(model, model.properties())
    assert result.distinct == distinct and result.engine == "batched, vectorised model"
    assert result.collision_probability == 0.0  # the states are the fingerprints


def test_violations_and_early_stops(tiny_batches):
    model = TwoPhaseCommit(3)
    props = model.properties() + [
        Invariant("never_commit", lambda s: s >> model.tm_shift != 1),  # no vector form: one by one
        StepProperty("no_abort", lambda s, a, t: a != "TMAbort"),
    ]
    assert agree(model, props).verdicts["never_commit"].status == "violated"
    for options in ({"stop_at_first": True}, {"max_states": 40}, {"max_depth": 4}):
        agree(model, props, **options)
    assert agree(model, props[-2:], deadlock=False).truncated == "every property violated"


def test_recover_model_in_fingerprint_mode():
    model = RecoverModel(make_config("pr4139", {"failures": 2, "maintainer_moves": 1}))
    props = list(SAFETY.values())
    expected = outcome(explore(model, props, engine="states"))
    batched = explore(model, props, engine="batched")
    assert outcome(batched) == expected and batched.engine == "batched"


def test_refusals():
    with pytest.raises(ValueError, match="liveness"):
        explore(TwoPhaseCommit(3), [always_eventually("x", lambda s: True)], engine="batched")
    with pytest.raises(ValueError, match="vectorised model only"):
        explore(WaterJug(), [], engine="batched", workers=2)
    with pytest.raises(ValueError, match="liveness"):
        explore(TwoPhaseCommit(3), [always_eventually("x", lambda s: True)], engine="batched", workers=2)
    with pytest.raises(ValueError, match="engine must be"):
        explore(TwoPhaseCommit(3), [], engine="fast")
    graph = ExplicitGraph([-1], [(-1, "a", 0)])  # hash(-1) == -2: not its own fingerprint
    with pytest.raises(ValueError, match="own fingerprints"):
        explore(graph, [], engine="batched")


def test_auto_picks_the_batched_search_for_a_vectorised_model_where_it_can():
    model = TwoPhaseCommit(3)
    assert explore(model, []).engine == "batched, vectorised model"
    assert explore(model, [always_eventually("x", lambda s: True)]).engine == "one state at a time"
    assert explore(model, [], keep_graph=True).engine == "one state at a time"
    assert explore(model, [], workers=2).engine == "batched, vectorised model, 2 processes"
    assert explore(WaterJug(), []).engine == "one state at a time"
    assert explore(WaterJug(), [], workers=2).engine == "2 processes"


def test_bounds_and_stops_meet_as_in_one_process():
    """Cases a review found: the state bound is met before the depth bound; initial states are
    never cut; a stop reason does not replace a bound already met."""
    cases = [
        (ExplicitGraph([0], [(0, "a", 1), (1, "b", 2)]), [], {"max_states": 2, "max_depth": 2}),
        (ExplicitGraph([0, 1, 2], [(0, "a", 1)]), [], {"max_states": 2, "deadlock": False}),
        (ExplicitGraph([0], [(0, "a", 1), (0, "b", 2)]), [Invariant("not1", lambda s: s != 1)],
         {"max_states": 2, "stop_at_first": True}),
        (ExplicitGraph([0], [(0, "a", 1)]), [StepProperty("no_a", lambda s, a, t: a != "a")],
         {"max_depth": 1, "stop_at_first": True}),
    ]
    for model, props, options in cases:
        agree(model, props, **options)
        many = explore(model, props, workers=2, engine="states", **options)
        assert outcome(many) == outcome(explore(model, props, engine="states", **options))
    model = TwoPhaseCommit(3)
    agree(model, model.properties(), max_depth=3, max_states=29)


def test_too_many_successors_fail_loudly():
    """Positions are kept in 16 bits: past that, an error, never a wrong trace."""
    edges = [(0, "a", i) for i in range(1, 70_001)]
    model = ExplicitGraph([0], edges, terminal=range(1, 70_001))
    for engine in ("states", "batched"):
        with pytest.raises(OverflowError):
            explore(model, [], engine=engine)


def test_vectorised_states_must_stay_fingerprints():
    graph = ExplicitGraph([0], [(0, "a", -5)], terminal=[-5])
    with pytest.raises(ValueError, match="own fingerprints"):
        explore(graph, [], engine="batched")


graphs = st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("abc"), st.integers(0, n - 1)),
             max_size=3 * n, unique=True),
    st.integers(0, n - 1),
    st.lists(st.integers(0, n - 1), max_size=2),
    st.fixed_dictionaries({}, optional={"stop_at_first": st.just(True), "max_states": st.integers(1, 4),
                                        "max_depth": st.integers(1, 3), "deadlock": st.just(False)}),
    st.booleans(),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_random_graphs_agree(graph):
    n, edges, bad, terminal, options, small_batches, inits = graph
    model = ExplicitGraph(inits, edges, terminal=terminal)
    props = [Invariant("not_bad", lambda s: s != bad, vector=lambda s: s != bad),
             StepProperty("no_c", lambda s, a, t: a != "c"),
             Sometimes("reach_last", lambda s: s == n - 1)]
    old = explorer.batched.BATCH
    explorer.batched.BATCH = 2 if small_batches else old
    try:
        agree(model, props, **options)
        agree(model, props[:2], **options)
    finally:
        explorer.batched.BATCH = old


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**60 - 1), max_size=40), max_size=8),
       st.lists(st.integers(0, 2**60 - 1), max_size=40))
def test_fingerprint_runs_behave_as_a_set(batches, probes):
    runs, reference = FingerprintRuns(), set()
    for batch in batches:
        fresh = sorted(set(batch) - reference)  # the searches add only unseen fingerprints
        runs.add(np.array(fresh, dtype=np.int64))
        reference.update(fresh)
        asked = batch + probes
        assert runs.contains(np.array(asked, dtype=np.int64)).tolist() == [f in reference for f in asked]
    assert len(runs) == len(reference)


def test_two_phase_commit_vector_predicates_match_their_one_state_forms():
    """On every RM combination with random other bits (most of them unreachable, many
    inconsistent), and on every reachable transition."""
    model = TwoPhaseCommit(4)
    props = {p.name: p for p in model.properties()}
    rng = np.random.default_rng(7)
    states = np.arange(4**4, dtype=np.int64) | (rng.integers(0, 2**14, 4**4) << 8)
    for name in ("consistent", "can_commit"):
        expected = [props[name].predicate(s) for s in states.tolist()]
        assert props[name].vector(states).tolist() == expected
    assert not all(props["consistent"].vector(states))  # the sample does break it
    sources, positions, labels, nexts = model.vector_successors(states)
    step = props["decisions_stick"]
    firsts = states[sources]
    expected = [step.predicate(s, None, t) for s, t in zip(firsts.tolist(), nexts.tolist())]
    assert step.vector(firsts, labels, nexts).tolist() == expected
    broken = firsts ^ 1  # flip an RM's state bit: decided RMs now change their minds
    expected = [step.predicate(s, None, t) for s, t in zip(firsts.tolist(), broken.tolist())]
    assert step.vector(firsts, labels, broken).tolist() == expected and not all(expected)
