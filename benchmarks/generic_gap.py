"""Where the engine's time over a plain BFS goes, on models without ``fingerprint()`` (issue 17, goal 1).

    python benchmarks/generic_gap.py [--runs 5]

For the speed table's three generic models (two-phase commit with 7 RMs, Chameneos, Klotski,
written with strings, tuples and frozensets) it times each variant below in a fresh process (as
speed.py does: the collector's cost depends on what a process holds), run by run in turn, CPU
time (``time.process_time``), the median of ``--runs``:

* ``plain``: a set of states and a deque (speed.py's plain BFS), the cyclic collector on, as a
  user writes it (goal 1's yardstick); every other variant runs with it paused, as the engine
  runs;
* ``floor``: what any fingerprint search must do: a set of ``hash`` fingerprints, a deque of
  states, a parent index and a successor position per state (for traces); no checks;
* ``floor+coverage``: and the coverage counts (fired per label, new states per label);
* ``engine, no guard``: ``explore()`` with ``hash`` trusted (the :class:`HashGuard` left out);
* ``engine, Python guard``: ``explore()`` with the guard's per-state fast path in pure Python
  (as where the install found no C compiler);
* ``engine``: ``explore()`` as a user runs it (the fast path in C, ``explorer/_guard.c``, where
  the install built it: the script says which).

Each is printed as a ratio against ``plain`` (above 1: faster than the plain BFS), with the
guard's cost per new state (engine against engine without the guard).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from array import array
from collections import Counter, deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import explorer.base  # noqa: E402
import explorer.fingerprint  # noqa: E402
from explorer import explore  # noqa: E402
from explorer.base import action_of, count_elements  # noqa: E402
from explorer.examples import EXAMPLES  # noqa: E402
from explorer.fingerprint import FP_MASK  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine import load  # noqa: E402  (the machine's load, as every benchmark reports it)

MODELS = [
    ("two-phase commit, 7 RMs", "two_phase_naive", {"rms": 7}),
    ("Chameneos, 5 creatures, 3 meetings", "chameneos", {"n": 5, "m": 3}),
    ("Klotski", "klotski", {}),
]


def plain(model) -> int:
    seen = set(model.init_states())
    queue = deque(seen)
    while queue:
        for _, nxt in model.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)


def floor(model, coverage: bool = False) -> int:
    init = model.init_states()
    seen = {hash(s) & FP_MASK for s in init}
    queue, parent, ordinal = deque(init), array("l"), array("H")
    fired, new_by_label = Counter(), {}
    expanded = 0
    while queue:
        succs = model.successors(queue.popleft())
        if coverage:
            count_elements(fired, map(action_of, succs))
        for k, (action, nxt) in enumerate(succs):
            f = hash(nxt) & FP_MASK
            if f not in seen:
                if coverage:
                    new_by_label[action] = new_by_label.get(action, 0) + 1
                seen.add(f)
                queue.append(nxt)
                parent.append(expanded)
                ordinal.append(k)
        expanded += 1
    return len(seen)


def engine(model, guard: bool = True) -> int:
    if guard:
        return explore(model, []).distinct
    trusting = explorer.base.fingerprint_of
    explorer.base.fingerprint_of = lambda m: (hash, None)
    try:
        return explore(model, []).distinct
    finally:
        explorer.base.fingerprint_of = trusting


def engine_python_guard(model) -> int:
    explorer.fingerprint.step_passes = explorer.fingerprint._step_passes
    return engine(model)


VARIANTS = {
    "plain": plain,
    "floor": floor,
    "floor+coverage": lambda m: floor(m, coverage=True),
    "engine, no guard": lambda m: engine(m, guard=False),
    "engine, Python guard": engine_python_guard,
    "engine": engine,
}


def run_fresh(variant: str, index: int) -> tuple[float, int]:
    """CPU seconds and distinct states of one variant on ``MODELS[index]``, in a new process."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", variant, str(index)],
                          capture_output=True, text=True, check=True)
    seconds, distinct = json.loads(done.stdout)
    return seconds, distinct


def run_one(variant: str, index: int) -> None:
    _, name, params = MODELS[index]
    model = EXAMPLES[name](**params)
    if variant != "plain":
        gc.disable()
    started = time.process_time()
    distinct = VARIANTS[variant](model)
    print(json.dumps([time.process_time() - started, distinct]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", nargs=2, metavar=("VARIANT", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args.one[0], int(args.one[1]))
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    in_c = explorer.fingerprint.step_passes is not explorer.fingerprint._step_passes
    fast_path = "in C" if in_c else "in Python (explorer._guard not built)"
    print(f"load {load()}; CPU seconds, median of {args.runs}; the guard's fast path {fast_path}")
    for index, (title, _, _) in enumerate(MODELS):
        times: dict[str, list[float]] = {v: [] for v in VARIANTS}
        counts = set()
        for _ in range(args.runs):
            for variant in VARIANTS:
                seconds, distinct = run_fresh(variant, index)
                counts.add(distinct)
                times[variant].append(seconds)
        if len(counts) != 1:
            raise SystemExit(f"{title}: the variants found different state counts {sorted(counts)}")
        median = {v: statistics.median(t) for v, t in times.items()}
        distinct = counts.pop()
        cells = ", ".join(f"{v} {median[v]:.3f} s ({median['plain'] / median[v]:.2f}x)" for v in VARIANTS)
        guard_ns = {v: (median[v] - median["engine, no guard"]) / distinct * 1e9
                    for v in ("engine, Python guard", "engine")}
        print(f"{title}, {distinct:,} states: {cells}; the guard {guard_ns['engine']:.0f} ns a new state"
              f" ({guard_ns['engine, Python guard']:.0f} ns in Python)")


if __name__ == "__main__":
    main()
