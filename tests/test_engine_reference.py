"""The engine against a naive reference on many random small graphs (Hypothesis)."""

from collections import deque
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import Invariant, explore, leads_to
from explorer.examples.explicit import ExplicitGraph

LABELS = ("a", "b", "c")


@st.composite
def graphs(draw, max_nodes=7):
    n = draw(st.integers(1, max_nodes))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(LABELS), st.integers(0, n - 1)),
                          max_size=3 * n, unique=True))
    inits = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))
    return n, inits, edges


def reference_distances(inits, edges):
    dist = {s: 1 for s in inits}
    queue = deque(dict.fromkeys(inits))
    while queue:
        u = queue.popleft()
        for src, _, dst in edges:
            if src == u and dst not in dist:
                dist[dst] = dist[u] + 1
                queue.append(dst)
    return dist


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data(), st.sampled_from(["states", "batched"]))
def test_reachable_set_distances_and_verdicts_match_reference(graph, data, engine):
    """Both searches: one state at a time, and batched (explorer.batched)."""
    n, inits, edges = graph
    dist = reference_distances(inits, edges)
    bad = data.draw(st.integers(0, n - 1))
    model = ExplicitGraph(inits, edges)
    result = explore(model, [Invariant("not_bad", lambda s: s != bad)], engine=engine)
    if result.complete:
        assert result.distinct == len(dist)
        assert result.depth == max(dist.values())
        assert result.generated == len(inits) + sum(1 for src, _, _ in edges if src in dist)
    else:  # stopped early only because every property was already violated
        assert result.truncated == "every property violated"
        assert {v.status for v in result.verdicts.values()} == {"violated"}
    v = result.verdicts["not_bad"]
    if bad in dist:
        assert v.status == "violated" and len(v.trace) == dist[bad]
        assert v.trace.steps[0].state in inits
    else:
        assert v.status == "holds"
    dead_ends = [s for s in dist if not any(src == s for src, _, _ in edges)]
    assert result.verdicts["deadlock"].status == ("violated" if dead_ends else "holds")
    if dead_ends:
        assert len(result.verdicts["deadlock"].trace) == min(dist[s] for s in dead_ends)


def reference_leads_to(inits, edges, p, q, fairness):
    """P ~> Q violated iff some strongly connected set S of not-Q states (a single state may
    stutter), reachable through not-Q states from a reachable P-and-not-Q state, is fair when
    every state and edge of S is visited forever. Brute force over all subsets."""
    reach = reference_distances(inits, edges)
    states = [s for s in reach if not q(s)]

    def enabled(s, label):
        return any(src == s and lab == label and dst != s for src, lab, dst in edges)

    def inner(s_set):
        return [(u, lab, v) for u, lab, v in edges if u in s_set and v in s_set and u != v]

    def strongly_connected(s_set):
        start = next(iter(s_set))
        inside = inner(s_set)
        for forward in (True, False):
            seen, todo = {start}, [start]
            while todo:
                u = todo.pop()
                for a, _, b in inside:
                    x, y = (a, b) if forward else (b, a)
                    if x == u and y not in seen:
                        seen.add(y)
                        todo.append(y)
            if seen != s_set:
                return False
        return True

    def fair(s_set):
        taken = {lab for _, lab, _ in inner(s_set)}
        for label, kind in fairness.items():
            on = [s for s in s_set if enabled(s, label)]
            if label in taken:
                continue
            if kind == "weak" and len(on) == len(s_set):
                return False
            if kind == "strong" and on:
                return False
        return True

    triggers = [s for s in states if p(s)]
    reachable_from_trigger = reference_distances(triggers, [e for e in edges if not q(e[2])]) if triggers else {}
    for size in range(1, len(states) + 1):
        for subset in combinations(states, size):
            s_set = set(subset)
            if s_set <= reachable_from_trigger.keys() and strongly_connected(s_set) and fair(s_set):
                return False
    return True


@settings(max_examples=300, deadline=None)
@given(graphs(max_nodes=6), st.data())
def test_leads_to_matches_brute_force(graph, data):
    n, inits, edges = graph
    p_set = set(data.draw(st.lists(st.integers(0, n - 1), max_size=n)))
    q_set = set(data.draw(st.lists(st.integers(0, n - 1), max_size=n)))
    fairness = data.draw(st.dictionaries(st.sampled_from(LABELS), st.sampled_from(["weak", "strong"])))
    p, q = (lambda s: s in p_set), (lambda s: s in q_set)
    model = ExplicitGraph(inits, edges)
    v = explore(model, [leads_to("lt", p, q, fairness)], deadlock=False).verdicts["lt"]
    expected = reference_leads_to(inits, edges, p, q, fairness)
    assert (v.status == "holds") == expected
    if v.status == "violated":
        trace = v.trace
        for before, after in zip(trace.steps, trace.steps[1:]):
            assert (after.action, after.state) in model.successors(before.state)
        cycle = trace.steps[trace.loop:]
        assert trace.steps[-1].state == cycle[0].state
        assert not any(q(s.state) for s in cycle)
        assert any(p(s.state) and not q(s.state) for s in trace.steps[: trace.loop + 1])
