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

Most components are one state off every cycle: such a state holds a fair "cycle" (stuttering)
exactly when it enables no fair action, which numpy judges for a whole region at once. The
properties checked together find the components of the union of their regions once
(:class:`Cycles`): a property keeps those wholly inside its own region and looks for the others
again among their states alone, which are few; the larger components are judged all at once too.

A search's time budget (``max_seconds``) bounds this phase too: the functions take a
``deadline`` (on ``time.perf_counter``, which every process of the machine shares), read the
clock every few thousand states, and raise :class:`OutOfTime` past it; the property is then
incomplete.
"""

from __future__ import annotations

import time
from array import array
from collections import deque

import numpy as np

from .properties import STRONG, WEAK
from .result import Step, Trace
from .trace import action_name


_CLOCK_EVERY = 4096  # states (or components) between two looks at the clock: a power of two
_KINDS = {WEAK: 1, STRONG: 2}  # fairness kinds as numpy codes (0: unfair)


class OutOfTime(Exception):
    """The deadline passed before the liveness check was done."""


def on_time(deadline: float | None) -> None:
    """Raise :class:`OutOfTime` if ``deadline`` has passed."""
    if deadline is not None and time.perf_counter() > deadline:
        raise OutOfTime


def lassos_on_time(search, properties, deadline: float | None) -> dict:
    """Per property, :func:`find_lasso`'s answer; a property whose check the deadline cut is
    left out. The properties share the work on their common graph (:class:`Cycles`)."""
    found = {}
    try:
        cycles = Cycles(search, properties, deadline)
    except OutOfTime:
        return found
    for prop in properties:
        try:
            found[prop.name] = find_lasso(search, prop, deadline, cycles)
        except OutOfTime:
            continue
    return found


def find_lasso(search, prop, deadline: float | None = None, cycles: Cycles | None = None) -> tuple | None:
    """``(root, stem, cycle)`` of a fair lasso violating ``prop`` on the explored graph, as
    state indices and edges ``(label id, destination)``; None when it holds; :class:`OutOfTime`
    past ``deadline``. Plain ints: a forked process may find it (:mod:`explorer.parallel`).
    ``cycles``: the work shared with the other properties checked, made here if not given."""
    on_time(deadline)
    graph = search.graph
    if cycles is None:
        cycles = Cycles(search, [prop], deadline)
    allowed, trigger = _region(search, prop)
    fair = {lid: prop.fairness_of(action_name(label)) for lid, label in enumerate(graph.labels)}
    fair = {lid: kind for lid, kind in fair.items() if kind}
    on_time(deadline)
    alone, group = fair_components(cycles, allowed, fair, deadline)
    q = search.marks_of(prop.q)
    if prop.shape == "eventually_always":  # the cycle must pass a state where Q is false
        bad = _flags(q, len(alone)) == 0
        alone &= bad
        passing = np.zeros(int(group.max(initial=-1)) + 1, dtype=bool)
        passing[group[bad & (group >= 0)]] = True
        group[(group >= 0) & ~_of_group(passing, group)] = -1
    ends = alone | (group >= 0)
    if not ends.any():
        return None
    found = _shortest_stem(search, allowed.tobytes(), trigger.tobytes(), ends.tobytes(), deadline)
    if found is None:
        return None
    root, stem = found
    loop_point = stem[-1][1] if stem else root
    component = {loop_point} if alone[loop_point] else set(np.flatnonzero(group == group[loop_point]).tolist())
    must_visit_bad = (lambda s: not q[s]) if prop.shape == "eventually_always" else None
    on_time(deadline)
    return root, stem, _fair_cycle(graph, component, loop_point, fair, must_visit_bad)


def lasso_trace(search, found: tuple) -> Trace:
    """The trace of a lasso :func:`find_lasso` found, replayed on the model."""
    root, stem, cycle = found
    steps = [Step(None, search._trace_to(root).steps[-1].state)]
    steps += search.replay_edges(root, stem + cycle)
    return Trace(tuple(steps), loop=len(stem), stutter=not cycle)


def _flags(marks, n: int) -> np.ndarray:
    """A state's marks (one byte each) as numpy bytes, for whole-region work."""
    return np.frombuffer(bytes(marks[:n]), dtype=np.uint8)


def _region(search, prop) -> tuple[np.ndarray, np.ndarray]:
    """Per state (numpy booleans): may a violation of ``prop`` stay there (``allowed``), and
    may it start its stay there (``trigger``)?"""
    n = search.graph.expanded
    if prop.shape == "eventually_always":
        everywhere = np.ones(n, dtype=bool)
        return everywhere, everywhere
    allowed = _flags(search.marks_of(prop.q), n) == 0
    if prop.p is None:
        return allowed, allowed
    return allowed, allowed & (_flags(search.marks_of(prop.p), n) != 0)


class Moves:
    """The explored graph's moves (its edges but the self-loops, which are stutters) as numpy
    arrays in the graph's order, for work on whole regions at once."""

    def __init__(self, n: int, labels: int, src: np.ndarray, dst: np.ndarray, label: np.ndarray) -> None:
        self.n, self.labels = n, labels  # states, label ids
        self.src, self.dst, self.label = src, dst, label

    @classmethod
    def of(cls, graph) -> Moves:
        n = graph.expanded
        offset = np.array(graph.offset, dtype=np.int64)
        index = _index_type(max(len(graph.dst), n, len(graph.labels)))
        dst = np.array(graph.dst, dtype=index)[:offset[-1]]
        src = np.repeat(np.arange(n, dtype=index), np.diff(offset))
        move = (src != dst) & (dst < n)  # an edge to a state never expanded: no cycle through it
        label = np.array(graph.label, dtype=index)[:offset[-1]]
        return cls(n, len(graph.labels), src[move], dst[move], label[move])

    def leaving(self, states: np.ndarray) -> Moves:
        """The moves out of ``states`` (a mask), wherever they lead."""
        keep = states[self.src]
        return Moves(self.n, self.labels, self.src[keep], self.dst[keep], self.label[keep])

    def enabling(self, lids) -> np.ndarray:
        """Per state: does a move labelled with one of ``lids`` leave it?"""
        wanted = np.zeros(self.labels, dtype=bool)
        wanted[list(lids)] = True
        enables = np.zeros(self.n, dtype=bool)
        enables[self.src[wanted[self.label]]] = True
        return enables

    def components(self, inside: np.ndarray, deadline: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """The strongly connected components of the graph restricted to the states ``inside``
        (self-loops left out): a mask of the states that are one on their own, and per state
        the number of its larger component (-1 for none), with how many there are."""
        states = np.flatnonzero(inside)
        local = np.full(self.n, -1, dtype=self.src.dtype)  # a state's index among ``states``
        local[states] = np.arange(len(states))
        keep = inside[self.src] & inside[self.dst]
        src, dst = local[self.src[keep]], local[self.dst[keep]]
        offset = np.zeros(len(states) + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=len(states)), out=offset[1:])
        rows = array(_ARRAY_CODES[dst.dtype.itemsize], dst.tobytes())
        number = np.array(_tarjan(array("q", offset.tobytes()), rows, deadline), dtype=np.int64)
        larger = np.bincount(number, minlength=1) > 1
        renumbered = np.cumsum(larger) - 1  # the larger components numbered from 0
        alone = np.zeros(self.n, dtype=bool)
        alone[states[~larger[number]]] = True
        group = np.full(self.n, -1, dtype=np.int64)
        group[states] = np.where(larger[number], renumbered[number], -1)
        return alone, group, int(larger.sum())


_ARRAY_CODES = {4: "i", 8: "q"}  # an array's type code for a numpy int of that many bytes


def _index_type(count: int) -> type:
    """The numpy type of state numbers, edge positions and label ids below ``count``: 4 bytes
    where they fit (half the memory of the edge arrays a check holds), else 8."""
    return np.int32 if count < 2**31 else np.int64


def _tarjan(offset: array, dst: array, deadline: float | None) -> list[int]:
    """Per state of a graph in compressed rows (no self-loops), the number of its strongly
    connected component: Tarjan's algorithm, iterative (no recursion limit), roots in state
    order. The clock is read at every few thousandth state numbered (a root or a descent)."""
    m = len(offset) - 1
    number = [-1] * m  # DFS order, -1 while unvisited, m once in a component (above any number)
    low = [0] * m
    component = [0] * m
    follow = offset[:-1]  # a state's next edge to follow
    stack: list[int] = []
    count = found = 0
    for root in range(m):
        if number[root] >= 0:
            continue
        if count % _CLOCK_EVERY == 0:
            on_time(deadline)
        number[root] = low[root] = count
        count += 1
        stack.append(root)
        path = [root]
        while path:
            v = path[-1]
            i, end, lowest = follow[v], offset[v + 1], low[v]
            while i < end:
                w = dst[i]
                i += 1
                seen = number[w]
                if seen < 0:  # a tree edge: descend, and come back to edge i
                    break
                if seen < lowest:  # on the stack (a state in a component has m)
                    lowest = seen
            else:  # every edge of v followed
                path.pop()
                if lowest == number[v]:  # v is the root of a component: the stack down to v
                    while True:
                        w = stack.pop()
                        number[w] = m
                        component[w] = found
                        if w == v:
                            break
                    found += 1
                else:  # not a root, so not the DFS root: it has a parent
                    low[v] = lowest
                    if lowest < low[path[-1]]:
                        low[path[-1]] = lowest
                continue
            follow[v], low[v] = i, lowest
            if count % _CLOCK_EVERY == 0:
                on_time(deadline)
            number[w] = low[w] = count
            count += 1
            stack.append(w)
            path.append(w)
    return component


class Cycles:
    """What the liveness properties checked together share: the graph's :class:`Moves`; the
    strongly connected components of the union of their regions, whose larger ones hold every
    cycle of any one region (a cycle of a region is one of the union); and per set of fair
    actions, the states that enable one."""

    def __init__(self, search, properties, deadline: float | None = None) -> None:
        self.moves = Moves.of(search.graph)
        union = np.zeros(self.moves.n, dtype=bool)
        for prop in properties:
            union |= _region(search, prop)[0]
        self.group, self.count = self.moves.components(union, deadline)[1:]
        self.on_cycle = self.group >= 0
        self.size = np.bincount(self.group[self.on_cycle], minlength=self.count)
        self._enabling: dict[tuple[int, ...], np.ndarray] = {}

    def components(self, moves: Moves, inside: np.ndarray, deadline: float | None) -> tuple[np.ndarray, np.ndarray, int]:
        """:meth:`Moves.components` of states on a cycle: a component of the union wholly
        inside is one of theirs as it is (numbered after the others); the rest are found again."""
        whole = np.bincount(self.group[inside], minlength=self.count) == self.size
        kept = inside & _of_group(whole, self.group)
        alone, group, count = moves.components(inside & ~kept, deadline)
        group[kept] = self.group[kept] + count
        return alone, group, count + self.count

    def enabling(self, fair: dict[int, str]) -> np.ndarray:
        """Per state: is some fair action enabled there (by a move)?"""
        key = tuple(sorted(fair))
        if key not in self._enabling:
            self._enabling[key] = self.moves.enabling(key)
        return self._enabling[key]


def strong_components(graph, region: set[int], deadline: float | None = None) -> list[set[int]]:
    """The strongly connected components of the graph restricted to ``region`` (self-loops
    left out), as sets."""
    moves = Moves.of(graph)
    inside = np.zeros(moves.n, dtype=bool)
    inside[list(region)] = True
    alone, group, count = moves.components(inside, deadline)
    larger = [set() for _ in range(count)]
    for s in np.flatnonzero(group >= 0).tolist():
        larger[group[s]].add(s)
    return [{s} for s in np.flatnonzero(alone).tolist()] + larger


def fair_components(cycles: Cycles, allowed: np.ndarray, fair: dict[int, str],
                    deadline: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The maximal sets of allowed states that hold a fair cycle (with stuttering): a mask of
    the states that are one on their own (a state off every cycle may stutter forever, fairly
    if it enables no fair action), and per state the number of its larger set (-1 for none)."""
    enabling = cycles.enabling(fair)
    alone = allowed & ~cycles.on_cycle & ~enabling
    kinds = np.zeros(cycles.moves.labels, dtype=np.int8)
    for lid, kind in fair.items():
        kinds[lid] = _KINDS[kind]
    work = allowed & cycles.on_cycle
    moves = cycles.moves.leaving(work)  # where enabledness is read: out of the region too
    fair_group = np.full(moves.n, -1, dtype=np.int64)
    numbered = 0
    single, group, count = cycles.components(moves, work, deadline)
    while True:
        alone |= single & ~enabling
        if not count:
            break
        unfair, cut = _unfair_and_cut(moves, group, count, kinds)
        split = np.zeros(count, dtype=bool)
        split[group[cut & (group >= 0)]] = True
        kept = _of_group(~unfair & ~split, group)
        fair_group[kept] = group[kept] + numbered
        numbered += count
        # Emerson-Lei: a component enabling a strongly fair action it never takes is looked
        # at again without the states that enable it
        work = _of_group(~unfair & split, group) & ~cut
        if not work.any():
            break
        on_time(deadline)
        single, group, count = moves.components(work, deadline)
    return alone, fair_group


def _of_group(flags: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per state: the flag of its component (``group`` numbers them; False where -1)."""
    if not len(flags):
        return np.zeros(len(group), dtype=bool)
    return (group >= 0) & flags[np.maximum(group, 0)]


def _unfair_and_cut(moves: Moves, group: np.ndarray, count: int, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per component (``group`` numbers them, ``count`` of them): is a weakly fair action
    enabled in each of its states but never taken inside it; and a mask of the states that
    enable a strongly fair action their component never takes."""
    g = group[moves.src]
    kind = kinds[moves.label]
    sel = (g >= 0) & (kind > 0)
    g, kind, src, label = g[sel], kind[sel], moves.src[sel], moves.label[sel]
    key = g * moves.labels + label  # (component, action label)
    untaken = ~np.isin(key, key[group[moves.dst[sel]] == g])
    weak = untaken & (kind == _KINDS[WEAK])
    enablers = np.unique(src[weak] * moves.labels + label[weak])  # (state, label), once each
    keys, states = np.unique(group[enablers // moves.labels] * moves.labels + enablers % moves.labels,
                             return_counts=True)
    size = np.bincount(group[group >= 0], minlength=count)
    unfair = np.zeros(count, dtype=bool)
    unfair[(keys // moves.labels)[states == size[keys // moves.labels]]] = True
    cut = np.zeros(moves.n, dtype=bool)
    cut[src[untaken & (kind == _KINDS[STRONG])]] = True
    return unfair, cut


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


def _shortest_stem(search, allowed: bytes, trigger: bytes, ends: bytes, deadline):
    """0-1 BFS over (state, phase): phase 0 roams the graph, phase 1 (entered at a trigger
    state, at no cost) may stay only in allowed states and ends in a state of ``ends``.
    A node is ``2 * state + phase``; arrays, not dicts of tuples: it runs on the whole graph."""
    graph = search.graph
    offset, dst, label = graph.offset, graph.dst, graph.label
    n = graph.expanded
    came = [-2] * (2 * n)  # the node a node was reached from: -1 for a root, -2 while unreached
    via = [-1] * (2 * n)  # the label id of the edge it was reached by, -1 for the phase change
    queue: deque = deque()
    for r in np.flatnonzero(np.array(search.parent[:n], dtype=np.int64) < 0).tolist():
        came[2 * r] = -1
        queue.append(2 * r)
    popped = 0
    while queue:
        popped += 1
        if popped % _CLOCK_EVERY == 0:
            on_time(deadline)
        node = queue.popleft()
        s, phase = node >> 1, node & 1
        if phase:
            if ends[s]:
                return _unwind(came, via, node)
        elif trigger[s] and came[node + 1] == -2:
            came[node + 1] = node
            queue.appendleft(node + 1)
        for i in range(offset[s], offset[s + 1]):
            v = dst[i]
            nxt = 2 * v + phase
            if came[nxt] != -2 or v == s or (phase and not allowed[v]):
                continue
            came[nxt] = node
            via[nxt] = label[i]
            queue.append(nxt)
    return None


def _unwind(came, via, node):
    edges = []
    while came[node] != -1:
        if via[node] >= 0:
            edges.append((via[node], node >> 1))
        node = came[node]
    edges.reverse()
    return node >> 1, edges


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
