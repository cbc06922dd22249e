"""Liveness over the explored graph, under weak and strong fairness.

Semantics (TLA+'s): every state may stutter forever, and a step that does not change the state
(a self-loop) is a stutter step, so it neither *takes* nor *enables* an action. A behaviour is a
lasso: a stem from an initial state and a cycle repeated forever.

* ``WF(a)``: if ``a`` is enabled in every state of the cycle, the cycle takes ``a``.
* ``SF(a)``: if ``a`` is enabled in some state of the cycle, the cycle takes ``a``.

Fair cycles are found per strongly connected component of the graph *restricted to the states
the violation may stay in* (for ``P ~> Q``, the states where Q is false), while enabledness is
always read from the *full* graph. A component where some weakly fair action is enabled
everywhere but never taken holds no fair cycle; one where a strongly fair action is enabled
somewhere but never taken is split again without the states that enable it (Emerson-Lei).
The counterexample is rebuilt from real edges: a shortest stem into a fair component and a
cycle through that component that meets each fairness obligation, back to the loop point.

A search's time budget (``max_seconds``) bounds this phase too: the functions take a
``deadline`` (on ``time.perf_counter``, which every process of the machine shares), read the
clock every few thousand states, and raise :class:`OutOfTime` past it; the property is then
incomplete.
"""

from __future__ import annotations

import time
from array import array
from collections import deque

from .properties import STRONG, WEAK
from .result import Step, Trace
from .trace import action_name


_CLOCK_EVERY = 4096  # states (or components) between two looks at the clock: a power of two


class OutOfTime(Exception):
    """The deadline passed before the liveness check was done."""


def on_time(deadline: float | None) -> None:
    """Raise :class:`OutOfTime` if ``deadline`` has passed."""
    if deadline is not None and time.perf_counter() > deadline:
        raise OutOfTime


def lassos_on_time(search, properties, deadline: float | None) -> dict:
    """Per property, :func:`find_lasso`'s answer; a property whose check the deadline cut is
    left out."""
    found = {}
    for prop in properties:
        try:
            found[prop.name] = find_lasso(search, prop, deadline)
        except OutOfTime:
            continue
    return found


def find_lasso(search, prop, deadline: float | None = None) -> tuple | None:
    """``(root, stem, cycle)`` of a fair lasso violating ``prop`` on the explored graph, as
    state indices and edges ``(label id, destination)``; None when it holds; :class:`OutOfTime`
    past ``deadline``. Plain ints: a forked process may find it (:mod:`explorer.parallel`)."""
    on_time(deadline)
    graph = search.graph
    n = graph.expanded
    q = search.marks_of(prop.q)
    fair = {lid: prop.fairness_of(action_name(label)) for lid, label in enumerate(graph.labels)}
    fair = {lid: kind for lid, kind in fair.items() if kind}
    if prop.shape == "eventually_always":
        allowed = bytearray([1]) * n
        trigger = allowed
    else:
        allowed = bytearray(1 - b for b in q)
        p = search.marks_of(prop.p) if prop.p is not None else bytearray([1]) * n
        trigger = bytearray(a & b for a, b in zip(p, allowed))
    on_time(deadline)
    components = [c for c in fair_components(graph, allowed, fair, deadline)
                  if prop.shape != "eventually_always" or any(not q[s] for s in c)]
    if not components:
        return None
    home = {s: k for k, c in enumerate(components) for s in c}
    found = _shortest_stem(search, allowed, trigger, home, deadline)
    if found is None:
        return None
    root, stem = found
    loop_point = stem[-1][1] if stem else root
    must_visit_bad = (lambda s: not q[s]) if prop.shape == "eventually_always" else None
    on_time(deadline)
    return root, stem, _fair_cycle(graph, components[home[loop_point]], loop_point, fair, must_visit_bad)


def lasso_trace(search, found: tuple) -> Trace:
    """The trace of a lasso :func:`find_lasso` found, replayed on the model."""
    root, stem, cycle = found
    steps = [Step(None, search._trace_to(root).steps[-1].state)]
    steps += search.replay_edges(root, stem + cycle)
    return Trace(tuple(steps), loop=len(stem), stutter=not cycle)


def _enabled_fair(graph, state: int, fair: dict[int, str]) -> set[int]:
    return {lid for lid, dst in graph.out_edges(state) if dst != state and lid in fair}


def fair_components(graph, allowed: bytearray, fair: dict[int, str], deadline: float | None = None) -> list[set[int]]:
    """Maximal sets of allowed states that hold a fair cycle (with stuttering)."""
    result = []
    work = [{s for s in range(graph.expanded) if allowed[s]}]
    while work:
        region = work.pop()
        for k, component in enumerate(strong_components(graph, region, deadline)):
            if k % _CLOCK_EVERY == 0:
                on_time(deadline)
            verdict = _component_fairness(graph, component, fair)
            if verdict is True:
                result.append(component)
            elif verdict:  # states enabling an untaken strongly fair action: split without them
                rest = component - verdict
                if rest:
                    work.append(rest)
    # deterministic order whatever the hash seed: by smallest state index
    return sorted(result, key=min)


def strong_components(graph, region: set[int], deadline: float | None = None) -> list[set[int]]:
    """The strongly connected components of the graph restricted to ``region`` (self-loops
    left out): Tarjan's algorithm, iterative, over the graph's compressed rows. (networkx
    needed a graph built per region: building it took 4x as long as finding the components.)
    The clock is read at every few thousandth state numbered (a root or a descent)."""
    offset, dst = graph.offset, graph.dst
    inside = bytearray(graph.expanded)
    for v in region:
        inside[v] = 1
    number = array("l", [-1]) * graph.expanded  # DFS order, -1 while unvisited
    low = array("l", [0]) * graph.expanded
    on_stack = bytearray(graph.expanded)
    stack: list[int] = []
    components: list[set[int]] = []
    count = 0
    for root in sorted(region):
        if number[root] >= 0:
            continue
        if count % _CLOCK_EVERY == 0:
            on_time(deadline)
        number[root] = low[root] = count
        count += 1
        stack.append(root)
        on_stack[root] = 1
        work = [(root, offset[root])]  # (state, next edge to follow)
        while work:
            v, i = work[-1]
            end = offset[v + 1]
            while i < end:
                w = dst[i]
                i += 1
                if w == v or w >= len(inside) or not inside[w]:
                    continue
                if number[w] < 0:  # a tree edge: descend, and come back to edge i
                    if count % _CLOCK_EVERY == 0:
                        on_time(deadline)
                    work[-1] = (v, i)
                    number[w] = low[w] = count
                    count += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, offset[w]))
                    break
                if on_stack[w] and number[w] < low[v]:
                    low[v] = number[w]
            else:  # every edge of v followed
                work.pop()
                if low[v] == number[v]:
                    component = set()
                    while True:
                        w = stack.pop()
                        on_stack[w] = 0
                        component.add(w)
                        if w == v:
                            break
                    components.append(component)
                if work and low[v] < low[work[-1][0]]:
                    low[work[-1][0]] = low[v]
    return components


def _component_fairness(graph, component: set[int], fair: dict[int, str]):
    """True if fair; False if no subset can be; else the states to cut (strong fairness)."""
    if len(component) == 1:  # most components: fair unless it enables a fair action it cannot take
        (u,) = component
        return not any(lid in fair for lid, v in graph.out_edges(u) if v != u)
    taken, enabled_in = _taken_and_enabled(graph, component, fair)
    cut: set[int] = set()
    for lid, states in enabled_in.items():
        if lid in taken:
            continue
        if fair[lid] == WEAK and len(states) == len(component):
            return False
        if fair[lid] == STRONG:
            cut |= states
    return cut or True


def _taken_and_enabled(graph, component, fair):
    taken: set[int] = set()
    enabled_in: dict[int, set[int]] = {}
    for u in component:
        for lid, v in graph.out_edges(u):
            if v == u or lid not in fair:
                continue
            enabled_in.setdefault(lid, set()).add(u)
            if v in component:
                taken.add(lid)
    return taken, enabled_in


def _shortest_stem(search, allowed, trigger, home, deadline):
    """0-1 BFS over (state, phase): phase 0 roams the graph, phase 1 (entered at a trigger
    state, at no cost) may stay only in allowed states and ends in a fair component."""
    graph = search.graph
    roots = [s for s in range(graph.expanded) if search.parent[s] < 0]
    came: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {}
    queue: deque = deque()
    for r in roots:
        came[(r, 0)] = None
        queue.append((r, 0))
    popped = 0
    while queue:
        popped += 1
        if popped % _CLOCK_EVERY == 0:
            on_time(deadline)
        node = queue.popleft()
        s, phase = node
        if phase == 1 and s in home:
            return _unwind(came, node)
        if phase == 0 and trigger[s] and (s, 1) not in came:
            came[(s, 1)] = (node, -1)
            queue.appendleft((s, 1))
        for lid, v in graph.out_edges(s):
            nxt = (v, phase)
            if nxt in came or v == s or (phase == 1 and not allowed[v]):
                continue
            came[nxt] = (node, lid)
            queue.append(nxt)
    return None


def _unwind(came, node):
    edges = []
    while came[node] is not None:
        prev, lid = came[node]
        if lid >= 0:
            edges.append((lid, node[0]))
        node = prev
    edges.reverse()
    return node[0], edges


def _fair_cycle(graph, component, start, fair, must_visit_bad):
    """Edges of a cycle from ``start`` inside ``component`` that is fair on its own."""
    taken, enabled_in = _taken_and_enabled(graph, component, fair)
    goals = []
    for lid in sorted(enabled_in):
        if lid in taken:
            goals.append(("edge", lid))
        elif fair[lid] == WEAK:
            goals.append(("visit", lambda s, lid=lid: s not in enabled_in[lid]))
    if must_visit_bad is not None:
        goals.append(("visit", must_visit_bad))
    edges: list[tuple[int, int]] = []
    visited, took = {start}, set()
    here = start
    for kind, goal in goals:
        if (kind == "edge" and goal in took) or (kind == "visit" and any(map(goal, visited))):
            continue
        path = _path_within(graph, component, here, kind, goal)
        edges += path
        visited.update(v for _, v in path)
        took.update(lid for lid, _ in path)
        here = path[-1][1] if path else here
    if here != start:
        edges += _path_within(graph, component, here, "visit", lambda s: s == start)
    return edges


def _path_within(graph, component, source, kind, goal):
    """Shortest edge path inside ``component`` from ``source`` that ends by visiting a goal
    state, or by taking an edge with the goal label."""
    came = {source: None}
    queue = deque([source])
    while queue:
        u = queue.popleft()
        if kind == "visit" and goal(u):
            return _edges_back(came, u)
        for lid, v in graph.out_edges(u):
            if v not in component or v == u:
                continue
            if kind == "edge" and lid == goal:
                return _edges_back(came, u) + [(lid, v)]
            if v not in came:
                came[v] = (u, lid)
                queue.append(v)
    raise AssertionError("a fair component is strongly connected")  # pragma: no cover


def _edges_back(came, u):
    edges = []
    while came[u] is not None:
        prev, lid = came[u]
        edges.append((lid, u))
        u = prev
    edges.reverse()
    return edges
