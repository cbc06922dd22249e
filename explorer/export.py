"""Export of the explored state graph (GraphML through networkx, and Graphviz DOT)."""

from __future__ import annotations

import networkx as nx

from .result import Result
from .trace import state_fields


def rebuild_states(model, result: Result) -> list:
    """Every explored state, by index, rebuilt from parent links (one successor call each)."""
    graph = result.graph
    states: list = []
    for i in range(len(graph.parent)):
        p = graph.parent[i]
        if p < 0:
            states.append(graph.inits[graph.ordinal[i]])
        else:
            states.append(model.successors(states[p])[graph.ordinal[i]][1])
    return states


def to_networkx(model, result: Result) -> nx.MultiDiGraph:
    """The explored graph: nodes are state indices with a ``label`` of their fields, edges carry
    the action ``label``; initial states have ``initial=1``."""
    if result.graph is None:
        raise ValueError("the search did not keep its graph: explore with keep_graph=True")
    graph = result.graph
    out = nx.MultiDiGraph()
    for i, state in enumerate(rebuild_states(model, result)):
        label = "\n".join(f"{k}={v}" for k, v in state_fields(model, state).items())
        out.add_node(i, label=label, initial=int(graph.parent[i] < 0))
    for i in range(graph.expanded):
        for lid, dst in graph.out_edges(i):
            out.add_edge(i, dst, label=str(graph.labels[lid]))
    return out


def write_graphml(model, result: Result, path: str) -> None:
    nx.write_graphml(to_networkx(model, result), path)


def write_dot(model, result: Result, path: str) -> None:
    g = to_networkx(model, result)
    lines = ["digraph states {", "  node [shape=box, fontname=monospace];"]
    for node, data in g.nodes(data=True):
        style = ", style=bold" if data["initial"] else ""
        lines.append(f"  s{node} [label={_quote(data['label'])}{style}];")
    for src, dst, data in g.edges(data=True):
        lines.append(f"  s{src} -> s{dst} [label={_quote(data['label'])}];")
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
