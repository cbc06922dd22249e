"""Engine benchmark: one command, every figure the README quotes.

    python benchmarks/engine.py [--runs 3] [--quick]

For two-phase commit with 7 and 8 resource managers and for the recover model's reference
configurations it prints distinct states/s, generated states/s and peak RSS growth per distinct
state, for one worker and for two, the speed-up of two workers over one, a plain Python BFS
(a set of states and a deque) over the same model for scale, and the state reduction from
dispatcher symmetry. Each run is a fresh process (so peak memory is the search's own); the
figures are medians of ``--runs`` runs, with the machine's core count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ONE_RUN = r"""
import json, sys, time
from collections import deque
from explorer import explore
from explorer.search import current_rss
spec, mode, workers = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if spec["model"] == "2pc":
    from explorer.examples import TwoPhaseCommit
    model = TwoPhaseCommit(spec["rms"])
else:
    from model import RecoverModel, make_config
    model = RecoverModel(make_config(spec["preset"], spec["config"]))
if mode == "symmetry":
    from explorer.symmetry import SymmetricModel
    model = SymmetricModel(model)
if mode == "plain_bfs":
    base = current_rss(); t = time.perf_counter(); peak = base
    seen = set(model.init_states()); queue = deque(seen); generated = len(seen)
    while queue:
        s = queue.popleft()
        for _, n in model.successors(s):
            generated += 1
            if n not in seen:
                seen.add(n); queue.append(n)
        if generated % 65536 < 16: peak = max(peak, current_rss())
    el = time.perf_counter() - t
    print(json.dumps({"distinct": len(seen), "generated": generated, "seconds": el,
                      "bytes": max(peak, current_rss()) - base}))
else:
    r = explore(model, [], deadlock=False, workers=workers)
    print(json.dumps({"distinct": r.distinct, "generated": r.generated, "seconds": r.elapsed,
                      "bytes": r.peak_rss_delta}))
"""

RECOVER_2D = {"dispatchers": 2, "maintainer_moves": 1, "lossy": "requests,responses"}
CASES = [
    ("2pc-7", {"model": "2pc", "rms": 7}),
    ("2pc-8", {"model": "2pc", "rms": 8}),
    ("recover pr4139 2d+move+lossy", {"model": "recover", "preset": "pr4139", "config": RECOVER_2D}),
    ("recover proposed 2d+move+lossy", {"model": "recover", "preset": "proposed", "config": RECOVER_2D}),
]
SYMMETRY_CASE = ("recover pr4139 3d, 2 failures",
                 {"model": "recover", "preset": "pr4139",
                  "config": {"dispatchers": 3, "failures": 2, "resend_order": "any"}})


def run_once(spec: dict, mode: str, workers: int = 1) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, json.dumps(spec), mode, str(workers)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def median_run(spec: dict, mode: str, workers: int, runs: int) -> dict:
    results = [run_once(spec, mode, workers) for _ in range(runs)]
    return {"distinct": results[0]["distinct"], "generated": results[0]["generated"],
            "seconds": statistics.median(r["seconds"] for r in results),
            "bytes": statistics.median(r["bytes"] for r in results)}


def row(name: str, label: str, r: dict, speedup: str = "") -> str:
    d, g, secs = r["distinct"], r["generated"], r["seconds"]
    return (f"{name:<32} {label:<11} {d:>10,} {g:>11,} {d / secs:>11,.0f} {g / secs:>12,.0f} "
            f"{r['bytes'] / d:>11,.0f} {speedup:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the two largest cases")
    args = parser.parse_args()
    cases = [c for c in CASES if not (args.quick and c[0] in ("2pc-8", "recover pr4139 2d+move+lossy"))]
    print(f"machine: {os.cpu_count()} cores; median of {args.runs} runs, each in a fresh process")
    print(f"{'model':<32} {'search':<11} {'distinct':>10} {'generated':>11} {'distinct/s':>11} "
          f"{'generated/s':>12} {'bytes/state':>11} {'speed-up':>8}")
    for name, spec in cases:
        one = median_run(spec, "engine", 1, args.runs)
        two = median_run(spec, "engine", 2, args.runs)
        plain = median_run(spec, "plain_bfs", 1, args.runs)
        print(row(name, "1 worker", one))
        print(row(name, "2 workers", two, f"{one['seconds'] / two['seconds']:.2f}x"))
        print(row(name, "plain BFS", plain))
    name, spec = SYMMETRY_CASE
    full = median_run(spec, "engine", 1, args.runs)
    reduced = median_run(spec, "symmetry", 1, args.runs)
    print(row(name, "1 worker", full))
    print(row(name, "symmetry", reduced))
    print(f"symmetry: {full['distinct'] / reduced['distinct']:.1f}x fewer states, "
          f"{full['seconds'] / reduced['seconds']:.2f}x faster")


if __name__ == "__main__":
    main()
