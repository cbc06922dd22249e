"""Engine benchmark: two-phase commit with 7 and 8 resource managers.

    python benchmarks/engine.py [--runs 3] [--rms 7 8]

Each run is a fresh process (so peak memory is the search's own), on one core. Prints the
median distinct states/s, generated states/s and peak RSS growth per distinct state, and, for
scale, a plain Python BFS (a set of states and a deque) over the same model in the same way.
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
from explorer.examples import TwoPhaseCommit
from explorer.search import current_rss
rms, mode = int(sys.argv[1]), sys.argv[2]
model = TwoPhaseCommit(rms)
if mode == "engine":
    r = explore(model, [])
    print(json.dumps({"distinct": r.distinct, "generated": r.generated, "seconds": r.elapsed,
                      "bytes": r.peak_rss_delta}))
else:
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
    peak = max(peak, current_rss())
    print(json.dumps({"distinct": len(seen), "generated": generated, "seconds": el, "bytes": peak - base}))
"""


def run_once(rms: int, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, str(rms), mode], capture_output=True,
                         text=True, check=True, env=dict(os.environ, PYTHONHASHSEED="0"))
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rms", type=int, nargs="+", default=[7, 8])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; one worker; median of {args.runs} runs")
    print(f"{'model':<10} {'search':<10} {'distinct':>10} {'generated':>11} {'distinct/s':>11} "
          f"{'generated/s':>12} {'bytes/state':>12}")
    for rms in args.rms:
        for mode in ("engine", "plain_bfs"):
            runs = [run_once(rms, mode) for _ in range(args.runs)]
            d, g = runs[0]["distinct"], runs[0]["generated"]
            secs = statistics.median(r["seconds"] for r in runs)
            per_state = statistics.median(r["bytes"] for r in runs) / d
            print(f"2pc-{rms:<6} {mode:<10} {d:>10,} {g:>11,} {d / secs:>11,.0f} {g / secs:>12,.0f} "
                  f"{per_state:>12,.0f}")


if __name__ == "__main__":
    main()
