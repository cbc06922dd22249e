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
from explorer.examples import Chameneos, TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from invariants import SAFETY
from model import RecoverModel, make_config
from model.state import state_from_parts, state_parts

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
    monkeypatch.setattr(explorer.batched, "OBJECT_BATCH", 3)


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
    old = explorer.batched.BATCH, explorer.batched.OBJECT_BATCH
    if small_batches:
        explorer.batched.BATCH = explorer.batched.OBJECT_BATCH = 2
    try:
        agree(model, props, **options)
        agree(model, props[:2], **options)
    finally:
        explorer.batched.BATCH, explorer.batched.OBJECT_BATCH = old


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


# -- the frontier kept in parts (a model's parts() and from_parts()) ------------------------------


class InParts:
    """``model`` whose states the batched search keeps in parts, as ``parts`` and
    ``from_parts`` say; counts the states rebuilt (so a test sees the parts were used)."""

    def __init__(self, model, parts, from_parts) -> None:
        self.model, self.parts, self.rebuilt = model, parts, 0

        def counted(values):
            self.rebuilt += 1
            return from_parts(values)

        self.from_parts = counted

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)


def same_with_and_without_parts(model, props, **options):
    """The batched search with the frontier in parts and without give the same outcome."""
    kept = explore(model, props, engine="batched", **options)
    assert outcome(kept) == outcome(explore(OneStateOnly(model), props, engine="batched", **options))
    return kept


def chameneos_in_parts():
    """Chameneos, each creature a part, then the meeting place and the count."""
    return InParts(Chameneos(3, 3), lambda s: (*s[0], s[1], s[2]), lambda p: (p[:-2], p[-2], p[-1]))


@pytest.mark.parametrize("batch", [3, 2048])
def test_a_toy_model_in_parts(monkeypatch, batch):
    monkeypatch.setattr(explorer.batched, "OBJECT_BATCH", batch)
    model = chameneos_in_parts()
    props = [p for p in model.properties() if p.kind != "liveness"] + [
        Invariant("few_meetings", lambda s: s[2] < 2), Sometimes("three_meetings", lambda s: s[2] == 3)]
    for options in ({}, {"stop_at_first": True}, {"max_states": 500}, {"max_depth": 4}):
        before = model.rebuilt
        result = same_with_and_without_parts(model, props, **options)
        assert outcome(result) == outcome(explore(model, props, engine="states", **options))
        if not options:  # each state rebuilt to be expanded (and a few to check the round trip)
            assert model.rebuilt - before >= result.distinct == 994


@pytest.mark.parametrize("preset, config", [
    ("pr4139", {"failures": 2, "maintainer_moves": 1}),
    ("proposed", {"dispatchers": 2}),
    ("design", {"maintainer_moves": 1, "lossy": "requests,responses"}),
])
def test_the_recover_model_in_parts(preset, config):
    model = RecoverModel(make_config(preset, config))
    counted = InParts(model, model.parts, model.from_parts)
    result = same_with_and_without_parts(counted, list(SAFETY.values()))
    assert counted.rebuilt >= result.distinct / 2  # the frontier was kept in parts
    if preset == "pr4139":  # cuts and early stops inside levels, batches of three states
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(explorer.batched, "OBJECT_BATCH", 3)
            for options in ({"stop_at_first": True}, {"max_states": 5000}, {"max_depth": 12}):
                same_with_and_without_parts(model, list(SAFETY.values()), **options)


def test_a_wrong_split_is_refused():
    jug = WaterJug()
    wrong = [  # (parts, from_parts, what it gets wrong)
        (lambda s: s, lambda p: (p[1], p[0]), "swaps the jugs: (3, 0) comes back as (0, 3)"),
        (lambda s: (s[0],), lambda p: (p[0], 0), "forgets the big jug: right while it is empty"),
        (lambda s: s if s[0] else s + (0,), lambda p: p[:2], "as many parts for every state"),
        (lambda s: (), lambda p: (0, 0), "no part at all"),
    ]
    for parts, from_parts, why in wrong:
        with pytest.raises(ValueError, match=r"^the model's (from_parts\(parts\(state\)\) is not|parts\(\) gave)"):
            explore(InParts(jug, parts, from_parts), [], engine="batched")
    model = RecoverModel(make_config("pr4139", {}))
    plain_dm = (lambda p: state_from_parts(p[:5] + (tuple(p[5]),) + p[6:]))  # Dm as a plain tuple: equal, same hash
    for from_parts in (tuple, plain_dm):  # the state, or one of its records, of another type
        with pytest.raises(ValueError, match=r"from_parts\(parts\(state\)\) is not the state"):
            explore(InParts(model, state_parts, from_parts), [], engine="batched")
