"""The engine's module shape: one small module picks the strategy (explorer/checker.py), the
strategies share explorer/base.py, and no import goes in a circle (lazy imports count too)."""

import ast
from pathlib import Path

import networkx as nx

EXPLORER = Path(__file__).resolve().parent.parent / "explorer"


def explorer_imports() -> dict[str, list[tuple[str, list[str]]]]:
    """Per module of the engine (``explorer.x``), the engine modules it imports, each with the
    names it takes from there; imports inside functions included."""
    imports = {}
    for path in EXPLORER.rglob("*.py"):
        parts = path.relative_to(EXPLORER.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = parts[:-1]
        found = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ((node.module,) if node.module else ()))
                found.append((target, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(a.name, []) for a in node.names if a.name.startswith("explorer")]
        imports[module] = found
    return imports


def test_no_import_cycle_in_the_engine():
    graph = nx.DiGraph()
    for module, found in explorer_imports().items():
        for target, names in found:
            if target == "explorer" or module == "explorer":  # the package's own re-exports
                continue
            # "from .examples import X" may name a submodule: an edge to the package is enough
            graph.add_edge(module, target)
    assert list(nx.simple_cycles(graph)) == []


def test_strategies_never_import_the_chooser_nor_private_names():
    for module, found in explorer_imports().items():
        for target, names in found:
            if module != "explorer":
                assert target != "explorer.checker" or module in ("explorer.cli", "explorer.testing"), module
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            assert not private, f"{module} imports {private} from {target}"
