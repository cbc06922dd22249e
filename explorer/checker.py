"""``explore``: the one entry point, which picks a search strategy.

The strategies (:mod:`explorer.search`, :mod:`explorer.batched`, :mod:`explorer.parallel`,
:mod:`explorer.sharded`) share :mod:`explorer.base` and never import this module.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Callable

import attrs

from .fingerprint import UnfaithfulHash, stable_fingerprint
from .properties import DEADLOCK
from .result import Result

ENGINES = ("auto", "states", "batched")


def explore(model, properties=(), *, deadlock: bool = True, max_states: int | None = None,
            max_depth: int | None = None, max_seconds: float | None = None,
            max_memory_mb: float | None = None, stop_at_first: bool = False,
            progress: Callable[[dict], None] | None = None, progress_interval: float = 0.5,
            keep_graph: bool = False, workers: int = 1, engine: str = "auto") -> Result:
    """Explore every reachable state of ``model`` breadth-first and check ``properties``.

    Bounds (``max_states``, ``max_depth`` with initial states at depth 1, ``max_seconds``,
    ``max_memory_mb`` above the RSS at the start) cut the search; a property not violated
    before the cut is then *incomplete*, never *holds*. ``max_seconds`` bounds the whole call:
    the liveness check after the search too (a liveness property it cuts is incomplete), and a
    second search with the stable fingerprint gets only what the first left. ``deadlock`` adds the built-in check
    that every non-terminal state has a successor. Ctrl-C stops the search the same way.
    ``engine``: ``states`` searches one state at a time with a set of fingerprints (liveness and
    ``keep_graph`` need it); ``batched`` is fingerprint mode (:mod:`explorer.batched`): 8-byte
    fingerprints in numpy, and no Python loop per state for a model with a vectorised form;
    ``auto`` picks ``batched`` for a vectorised model where it can run (no liveness, no
    ``keep_graph``), else ``states``: over one-state ``successors`` the batched search saves
    memory, not time. ``workers`` > 1 searches on that many processes: batched, the visited set
    split by fingerprint, over a vectorised model (:mod:`explorer.sharded`); one state at a
    time otherwise (:mod:`explorer.parallel`, which also checks liveness and keeps the graph:
    liveness properties are then checked on as many processes). All give the same states,
    verdicts and counterexamples.
    """
    names = [p.name for p in properties]
    if len(set(names)) != len(names) or (deadlock and DEADLOCK in names):
        raise ValueError("property names must be unique (and 'deadlock' is built in)")
    for bound, value in (("max_states", max_states), ("max_depth", max_depth), ("workers", workers)):
        if value is not None and value < 1:
            raise ValueError(f"{bound} must be at least 1")
    options = dict(deadlock=deadlock, max_states=max_states, max_depth=max_depth,
                   max_seconds=max_seconds, max_memory_mb=max_memory_mb, stop_at_first=stop_at_first,
                   progress=progress, progress_interval=progress_interval, keep_graph=keep_graph)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    needs_graph = keep_graph or any(p.kind == "liveness" for p in properties)
    strategy = _strategy(model, engine, workers, needs_graph)
    started = time.perf_counter()
    try:
        return strategy(model, properties, **options).run()
    except UnfaithfulHash as exc:  # states hash() cannot fingerprint: search again, stably
        wasted = time.perf_counter() - started
        if max_seconds is not None:  # what the first search left of the budget
            options["max_seconds"] = max(0.0, max_seconds - wasted)
        result = strategy(model, properties, fingerprint=stable_fingerprint, **options).run()
        return attrs.evolve(result, elapsed=result.elapsed + wasted,
                            engine=f"{result.engine}; stable fingerprints: {exc}")


def _strategy(model, engine: str, workers: int, needs_graph: bool) -> Callable:
    """The search class to run (with ``workers`` bound where it takes them)."""
    if engine == "auto":  # the fastest: batched only pays off over a vectorised model
        from .batched import is_vectorised

        engine = "batched" if is_vectorised(model) and not needs_graph else "states"
    if engine == "batched":
        if workers > 1:
            from .sharded import ShardedSearch

            return partial(ShardedSearch, workers=workers)
        from .batched import BatchedSearch

        return BatchedSearch
    if workers > 1:
        from .parallel import ParallelSearch

        return partial(ParallelSearch, workers=workers)
    from .search import OneStateSearch

    return OneStateSearch
