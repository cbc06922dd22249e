"""CPU time of the recover model's ``successors`` alone, this tree against an earlier one.

    python benchmarks/successors_speed.py [--previous TREE] [--runs 3] [--states 100000]

For the speed table's first recover row (pr4139, 2 dispatchers, lossy requests and responses,
every reachable state) and the reference configuration (2 dispatchers, 1 maintainer move,
lossy requests and responses; its first ``--states`` states), each run, a fresh process per tree,
collects the states a BFS expands and then times ``successors`` over all of them (the collector
paused, ``time.process_time``, the best of three passes: the label caches are warm, as they
are after the first levels of a search). Runs of the two trees alternate; the script prints
each tree's median and their ratio, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import load  # noqa: E402  (the machine's load, as every benchmark reports it)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = [
    ("pr4139, 2 dispatchers, lossy requests+responses", "pr4139", {"dispatchers": 2, "lossy": "requests,responses"}),
    ("pr4139 reference (2 dispatchers, 1 move, lossy)", "pr4139",
     {"dispatchers": 2, "maintainer_moves": 1, "lossy": "requests,responses"}),
    ("proposed reference (2 dispatchers, 1 move, lossy)", "proposed",
     {"dispatchers": 2, "maintainer_moves": 1, "lossy": "requests,responses"}),
]

TIMING = r"""
import gc, json, sys, time
from collections import deque
from model import RecoverModel, make_config
preset, config, limit = json.loads(sys.argv[1])
model = RecoverModel(make_config(preset, config))
init = model.init_states()
seen, queue, states, generated = set(init), deque(init), [], 0
while queue and len(states) < limit:
    state = queue.popleft()
    states.append(state)
    for _, nxt in model.successors(state):
        generated += 1
        if nxt not in seen:
            seen.add(nxt)
            queue.append(nxt)
successors = model.successors
gc.disable()
least = float("inf")
for _ in range(3):
    started = time.process_time()
    for state in states:
        successors(state)
    least = min(least, time.process_time() - started)
print(json.dumps({"states": len(states), "generated": generated, "cpu": least}))
"""


def run_in(tree: str, preset: str, config: dict, limit: int) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", TIMING, json.dumps([preset, config, limit])], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", metavar="TREE")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--states", type=int, default=100_000)
    args = parser.parse_args()
    trees = [HERE] + ([args.previous] if args.previous else [])
    print(f"load at start {load()}; median of {args.runs} runs, best of 3 passes each, CPU seconds")
    for name, preset, config in CASES:
        runs = [[] for _ in trees]
        for _ in range(args.runs):
            for tree, out in zip(trees, runs):
                out.append(run_in(tree, preset, config, args.states))
        first = runs[0][0]
        if any((r[0]["states"], r[0]["generated"]) != (first["states"], first["generated"]) for r in runs):
            raise SystemExit(f"{name}: the trees expand different states")
        cpus = [statistics.median(r["cpu"] for r in out) for out in runs]
        line = (f"{name}: {first['states']:,} states, {first['generated']:,} successors; "
                f"this tree {cpus[0]:.3f} s ({1e9 * cpus[0] / first['states']:,.0f} ns a state)")
        if len(cpus) > 1:
            line += f"; previous {cpus[1]:.3f} s; **{cpus[1] / cpus[0]:.2f}x**"
        print(line + f"; load {load()}", flush=True)


if __name__ == "__main__":
    main()
