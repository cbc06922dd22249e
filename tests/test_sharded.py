"""The batched search on several processes, the visited set split by fingerprint
(explorer.sharded): the same states, counts, coverage, verdicts and counterexamples as one
process, for any number of processes; and the hash deduplication under it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Invariant, Sometimes, StepProperty, explore, levels, sharded
from explorer.examples import TwoPhaseCommit
from explorer.examples.explicit import ExplicitGraph
from explorer.levels import first_occurrences
from explorer.sharded import owners

from engine_helpers import outcome


def two_phase_properties(model):
    return model.properties() + [
        Invariant("never_commit", lambda s: s >> model.tm_shift != 1),  # no vector form: one by one
        StepProperty("no_abort", lambda s, a, t: a != "TMAbort"),
        Sometimes("all_aborted", lambda s: all(rm == 3 for rm in model.rm_states(s))),
    ]


def test_two_phase_commit_same_for_any_process_count():
    model = TwoPhaseCommit(5)
    single = explore(model, model.properties(), engine="batched")
    for workers in (2, 3, 4):
        many = explore(model, model.properties(), engine="batched", workers=workers)
        assert outcome(many) == outcome(single) and many.generated == 37346
        assert many.engine == f"batched, vectorised model, {workers} processes"


@pytest.mark.parametrize("options", [{}, {"stop_at_first": True}, {"max_states": 40}, {"max_states": 700},
                                     {"max_depth": 4}, {"deadlock": False}])
def test_violations_stops_and_bounds_as_in_one_process(options, monkeypatch):
    monkeypatch.setattr(sharded, "BATCH", 5)  # levels split into many batches
    model = TwoPhaseCommit(4)
    props = two_phase_properties(model)
    single = explore(model, props, engine="batched", **options)
    assert outcome(explore(model, props, engine="batched", workers=2, **options)) == outcome(single)
    assert outcome(explore(model, props, engine="batched", workers=3, **options)) == outcome(single)


def test_every_property_violated_stops_where_one_process_does():
    model = TwoPhaseCommit(3)
    props = two_phase_properties(model)[-3:-1]
    single = explore(model, props, engine="batched", deadlock=False)
    many = explore(model, props, engine="batched", workers=2, deadlock=False)
    assert single.truncated == "every property violated" and outcome(many) == outcome(single)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("abc"), st.integers(0, n - 1)),
             max_size=4 * n, unique=True),
    st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
    st.integers(0, n - 1),
    st.lists(st.integers(0, n - 1), max_size=3),
    st.sampled_from([{}, {"stop_at_first": True}, {"max_states": 5}, {"max_depth": 3}]),
    st.sampled_from([2, 3]),
    st.sampled_from([1, 2, 1000]))))
def test_random_graphs_agree_with_one_process(graph):
    n, edges, inits, bad, terminal, options, workers, batch = graph
    model = ExplicitGraph(inits, edges, terminal=terminal)
    props = [Invariant("not_bad", lambda s: s != bad), StepProperty("no_c", lambda s, a, t: a != "c"),
             Sometimes("last", lambda s: s == n - 1)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sharded, "BATCH", batch)
        many = explore(model, props, engine="batched", workers=workers, **options)
    assert outcome(many) == outcome(explore(model, props, engine="states", **options))


def test_an_error_in_another_process_reaches_the_caller():
    """An invariant that raises on a state process 1 owns (owners check their new states):
    its error is raised here."""
    nodes = np.arange(1, 200)
    culprit = int(nodes[owners(nodes, 2) == 1][0])

    def fragile(state):
        if state == culprit:
            raise ValueError("the culprit state")
        return True

    model = ExplicitGraph([0], [(0, "a", i) for i in range(1, 200)], terminal=range(1, 200))
    with pytest.raises(ValueError, match="the culprit state"):
        explore(model, [Invariant("fragile", fragile)], engine="batched", workers=2)


def test_too_many_successors_fail_loudly():
    edges = [(0, "a", i) for i in range(1, 70_001)]
    with pytest.raises(OverflowError):
        explore(ExplicitGraph([0], edges, terminal=range(1, 70_001)), [], engine="batched", workers=2)


def test_time_and_memory_bounds_end_every_process():
    model = TwoPhaseCommit(7)
    result = explore(model, model.properties(), engine="batched", workers=2, max_seconds=0.01)
    assert result.truncated == "max_seconds" and result.distinct < 296_448
    assert {v.status for v in result.verdicts.values()} == {"incomplete"}
    result = explore(model, [], engine="batched", workers=2, max_memory_mb=1, deadlock=False)
    assert result.truncated == "max_memory" and result.distinct < 296_448


def test_owners_split_states_evenly():
    states = np.arange(100_000, dtype=np.int64) << 4  # packed states share their low bits
    for shards in (2, 3):
        counts = np.bincount(owners(states, shards), minlength=shards)
        assert counts.min() > 0.97 * len(states) / shards


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=600), st.booleans(), st.sampled_from([1, 4, 64]))
def test_first_occurrences_match_numpy(values, nearby, chunk):
    values = np.array(values, dtype=np.int64) * 0x10000001  # spread, with many repeats
    expected = np.sort(np.unique(values, return_index=True)[1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(levels, "_CHUNK", chunk)  # chunked passes on short arrays too
        assert first_occurrences(values, nearby).tolist() == expected.tolist()
