"""Liveness on hand-built graphs: weak versus strong fairness, stuttering, and the four bug
shapes a young TLA+ checker once shipped, kept here as regression tests."""

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import always_eventually, eventually_always, explore, leads_to
from explorer.base import StateGraph
from explorer.examples.explicit import ExplicitGraph
from explorer.liveness import strong_components
from explorer.properties import Negation
from explorer.trace import replay_trace, trace_to_json


def verdict(model, prop):
    return explore(model, [prop], deadlock=False).verdicts[prop.name]


def assert_real_lasso(model, trace):
    """Every step is a real edge and the cycle returns to its loop point."""
    assert trace.is_lasso
    for before, after in zip(trace.steps, trace.steps[1:]):
        assert (after.action, after.state) in model.successors(before.state)
    assert trace.steps[-1].state == trace.steps[trace.loop].state
    replay_trace(model, trace_to_json(model, trace))  # and it survives a JSON round trip


def test_unfair_action_may_never_be_taken():
    model = ExplicitGraph([0], [(0, "go", 1), (1, "stay", 1)])
    prop = always_eventually("reach_1", lambda s: s == 1)
    v = verdict(model, prop)
    assert v.status == "violated" and v.trace.stutter and [s.state for s in v.trace.steps] == [0]
    fair = always_eventually("reach_1", lambda s: s == 1, {"go": "weak"})
    assert verdict(model, fair).status == "holds"


def test_weak_versus_strong_fairness():
    # `a` is enabled at 0 only; the cycle 0 -> 2 -> 0 keeps disabling it
    edges = [(0, "x", 2), (2, "y", 0), (0, "a", 1), (1, "b", 1)]
    model = ExplicitGraph([0], edges)
    loop = {"x": "weak", "y": "weak"}
    weak = verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 1, loop | {"a": "weak"}))
    assert weak.status == "violated"
    assert_real_lasso(model, weak.trace)
    assert {str(s.action) for s in weak.trace.steps[1:]} == {"x", "y"}
    strong = verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 1, loop | {"a": "strong"}))
    assert strong.status == "holds"


def test_bug_shape_1_stuttering_is_not_dropped_for_eventually_always():
    # 0 is not P and may stutter forever: <>[]P fails unless `u` is fair
    model = ExplicitGraph([0], [(0, "u", 1)], terminal=[1])
    v = verdict(model, eventually_always("settle", lambda s: s == 1))
    assert v.status == "violated" and v.trace.stutter and v.trace.steps[-1].state == 0
    assert verdict(model, eventually_always("settle", lambda s: s == 1, {"u": "weak"})).status == "holds"
    # a real cycle through a non-P state violates it even with every action weakly fair
    cyc = ExplicitGraph([0], [(0, "a", 1), (1, "b", 0)])
    v = verdict(cyc, eventually_always("settle", lambda s: s == 1, {"a": "weak", "b": "weak"}))
    assert v.status == "violated" and not v.trace.stutter
    assert_real_lasso(cyc, v.trace)


def test_bug_shape_2_fairness_means_taken_not_stuttered():
    # stuttering at 0 does not take `a`: with WF(a) the behaviour must leave 0
    model = ExplicitGraph([0], [(0, "a", 1), (1, "b", 1)])
    assert verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 1, {"a": "weak"})).status == "holds"
    # a self-loop of `a` is a stutter step: it neither takes nor enables `a`
    selfloop = ExplicitGraph([0], [(0, "a", 0), (0, "b", 1)])
    v = verdict(selfloop, leads_to("p", lambda s: s == 0, lambda s: s == 1, {"a": "weak"}))
    assert v.status == "violated"
    # but when `a` can also leave 0, stuttering there is unfair to `a`
    both = ExplicitGraph([0], [(0, "a", 0), (0, "a", 1)])
    assert verdict(both, leads_to("p", lambda s: s == 0, lambda s: s == 1, {"a": "weak"})).status == "holds"


def test_bug_shape_3_lasso_follows_real_edges_not_scc_order():
    # a cycle whose edge order differs from node numbering; exit to Q is unfair
    edges = [(0, "i", 3), (3, "c", 1), (1, "c", 4), (4, "c", 2), (2, "c", 3), (2, "out", 9)]
    model = ExplicitGraph([0], edges, terminal=[9])
    v = verdict(model, leads_to("p", lambda s: s == 3, lambda s: s == 9, {"c": "weak", "i": "weak"}))
    assert v.status == "violated"
    assert_real_lasso(model, v.trace)
    assert [s.state for s in v.trace.steps[v.trace.loop:]] == [3, 1, 4, 2, 3]


def test_bug_shape_4_fairness_is_judged_on_the_restricted_component():
    # `a` leaves both 0 and 1 for the Q state 2; in the not-Q component {0, 1} it is enabled
    # everywhere and never taken, so WF(a) rules the cycle out (the full SCC {0,1,2} takes `a`)
    edges = [(0, "x", 1), (1, "y", 0), (0, "a", 2), (1, "a", 2), (2, "z", 0)]
    model = ExplicitGraph([0], edges)
    fair = {"x": "weak", "y": "weak", "a": "weak", "z": "weak"}
    assert verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 2, fair)).status == "holds"
    # and enabledness is read in the full graph: without WF(a) the cycle is a real violation
    unfair_a = {"x": "weak", "y": "weak", "z": "weak"}
    v = verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 2, unfair_a))
    assert v.status == "violated"
    assert_real_lasso(model, v.trace)


def test_strong_fairness_splits_components():
    # `a` (to Q) is enabled at 1 only; 0 <-> 1 and 0 <-> 3. SF(a) forbids cycles through 1
    # but the cycle 0 <-> 3 never enables it: a violation that avoids state 1
    edges = [(0, "x", 1), (1, "y", 0), (0, "u", 3), (3, "v", 0), (1, "a", 2), (2, "z", 2)]
    model = ExplicitGraph([0], edges)
    fair = {"a": "strong"}
    v = verdict(model, leads_to("p", lambda s: s == 0, lambda s: s == 2, fair | {"u": "weak", "v": "weak"}))
    assert v.status == "violated"
    assert 1 not in [s.state for s in v.trace.steps[v.trace.loop:]]
    assert_real_lasso(model, v.trace)


# --- the strongly connected components liveness is judged on ------------------------------------

def graph_of(n: int, edges: list[tuple[int, int]]) -> StateGraph:
    """A StateGraph of ``n`` expanded states with ``edges`` (label 0 on every edge)."""
    graph = StateGraph()
    for u in range(n):
        for src, dst in edges:
            if src == u:
                graph.add_edge("a", dst)
        graph.offset.append(len(graph.dst))
    return graph


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    st.sets(st.integers(0, n - 1)))))
def test_strong_components_match_networkx(case):
    """Tarjan over the compressed rows against networkx, on random graphs restricted to a
    random region, self-loops left out."""
    n, edges, region = case
    reference = nx.DiGraph()
    reference.add_nodes_from(region)
    reference.add_edges_from((u, v) for u, v in edges if u in region and v in region and u != v)
    expected = sorted(map(sorted, nx.strongly_connected_components(reference)))
    assert sorted(map(sorted, strong_components(graph_of(n, edges), region))) == expected


def test_strong_components_of_a_long_cycle_and_chain():
    """No recursion: a 50,000-state cycle is one component, a chain is 50,000."""
    n = 50_000
    cycle = StateGraph()
    chain = StateGraph()
    for u in range(n):
        cycle.add_edge("a", (u + 1) % n)
        cycle.offset.append(len(cycle.dst))
        if u + 1 < n:
            chain.add_edge("a", u + 1)
        chain.offset.append(len(chain.dst))
    assert strong_components(cycle, set(range(n))) == [set(range(n))]
    assert len(strong_components(chain, set(range(n)))) == n


def test_a_negated_trigger_is_read_off_its_predicates_marks():
    """``Negation(q) ~> q``: the same verdict and lasso as ``not q ~> q`` written out, with
    ``q`` evaluated once a state instead of twice."""
    model = ExplicitGraph([0], [(0, "go", 1), (1, "back", 0), (1, "stay", 2), (2, "loop", 2), (2, "out", 3)])
    calls = []

    def at_3(s):
        calls.append(s)
        return s == 3

    negated = explore(model, [leads_to("p", Negation(at_3), at_3, {"go": "weak"})], deadlock=False)
    assert len(calls) == negated.distinct  # once a state
    written = explore(model, [leads_to("p", lambda s: s != 3, lambda s: s == 3, {"go": "weak"})], deadlock=False)
    for result in (negated, written):
        assert result.verdicts["p"].status == "violated"
    assert [s.state for s in negated.verdicts["p"].trace.steps] == [s.state for s in written.verdicts["p"].trace.steps]
    assert negated.verdicts["p"].trace.loop == written.verdicts["p"].trace.loop


# --- the work the properties checked together share (explorer.liveness.Cycles) ------------------

def test_a_state_on_a_cycle_of_the_union_but_alone_in_its_region():
    """0 <-> 1 is a cycle of the union of the two regions, but ``lt``'s region is {0} alone:
    there 0 is a one-state component, fair exactly when it enables no fair action (the move to
    1 counts, though 1 lies outside the region; the self-loop does not)."""
    model = ExplicitGraph([0], [(0, "go", 1), (1, "back", 0), (0, "spin", 0)])
    stay_0 = always_eventually("visits_1", lambda s: s == 1)  # region {0}
    stay_anywhere = eventually_always("settles_at_2", lambda s: s == 2)  # region {0, 1}
    unfair = explore(model, [stay_0, stay_anywhere], deadlock=False).verdicts
    assert unfair["visits_1"].status == "violated" and unfair["visits_1"].trace.stutter
    assert [s.state for s in unfair["visits_1"].trace.steps] == [0]
    fair = {"go": "weak", "spin": "weak"}
    stay_0 = always_eventually("visits_1", lambda s: s == 1, fair)
    verdicts = explore(model, [stay_0, stay_anywhere], deadlock=False).verdicts
    assert verdicts["visits_1"].status == "holds"
    assert verdicts["settles_at_2"].status == "violated"


def outcomes(verdicts):
    return {name: (v.status, v.trace) for name, v in verdicts.items()}


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from("abc"), st.integers(0, n - 1)), max_size=3 * n, unique=True),
    st.lists(st.tuples(st.sets(st.integers(0, n - 1)), st.sets(st.integers(0, n - 1)),
                       st.dictionaries(st.sampled_from("abc"), st.sampled_from(["weak", "strong"]))),
             min_size=2, max_size=4))))
def test_properties_checked_together_match_each_checked_alone(case):
    """Verdicts and lassos do not depend on which properties share the liveness check (their
    regions' union finds the cycles); each alone is checked against a brute force in
    test_engine_reference."""
    n, edges, specs = case
    model = ExplicitGraph([0], edges)
    props = []
    for k, (p_set, q_set, fairness) in enumerate(specs):
        p, q = (lambda s, p_set=p_set: s in p_set), (lambda s, q_set=q_set: s in q_set)
        props += [leads_to(f"lt{k}", p, q, fairness), eventually_always(f"ea{k}", q, fairness),
                  always_eventually(f"ae{k}", q, fairness)]
    together = outcomes(explore(model, props, deadlock=False).verdicts)
    for prop in props:
        assert together[prop.name] == outcomes(explore(model, [prop], deadlock=False).verdicts)[prop.name]
