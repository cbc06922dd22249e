"""Engine benchmark: one command, every figure the README quotes.

    python benchmarks/engine.py [--runs 3] [--quick]

For two-phase commit with 7 and 8 resource managers and for the recover model's reference
configurations it prints distinct states/s, generated states/s and peak memory per distinct
state for each engine: one state at a time (``engine="states"``), batched in fingerprint mode
(``engine="batched"``: vectorised for two-phase commit, one state at a time for the recover
model) and two worker processes, with the speed-ups over the one-state search, a plain Python
BFS (a set of states and a deque) for scale, and the state reduction from dispatcher symmetry.
The speed-up column compares a row with its one-worker counterpart: one-state processes and the
batched search with the one-state search, batched processes (over the vectorised two-phase
commit, the visited set split by fingerprint) with the batched search, and with their own
algorithm run on one process ("same, on 1 process": each level's successors settled at once,
faster than the batched search but with more memory; its speed-up is the processes' over it);
for TLC (``--tlc path/to/tla2tools.jar``, on benchmarks/tla/TwoPhase.tla) one TLC
worker with our batched search (above 1 means TLC is slower), and two TLC workers with one.

Each run is a fresh process. Memory is the peak RSS (``ru_maxrss``) minus the RSS just before
the search, after imports and a warm-up search on a tiny model: the high-water mark, not a
sample. With two workers it is the coordinator's sampled peak growth plus each worker's. The
figures are medians of ``--runs`` runs, with the machine's core count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# A plain BFS for scale: a set of states and a deque, no fingerprints, no traces, no checks;
# with pause_gc, the cyclic collector paused as the engine pauses it. Part of the run scripts
# here and in speed.py (it runs in their subprocesses).
PLAIN_BFS = r"""
def plain_bfs(model, pause_gc=False):
    import gc, time
    from collections import deque
    collecting = gc.isenabled()
    if pause_gc:
        gc.disable()
    t = time.perf_counter()
    seen = set(model.init_states()); queue = deque(seen); generated = len(seen)
    while queue:
        s = queue.popleft()
        for _, n in model.successors(s):
            generated += 1
            if n not in seen:
                seen.add(n); queue.append(n)
    el = time.perf_counter() - t
    if collecting:
        gc.enable()
    return el, len(seen), generated
"""

ONE_RUN = PLAIN_BFS + r"""
import json, resource, sys, time
import numpy
import explorer.batched, explorer.parallel
from explorer import explore
from explorer.examples import TwoPhaseCommit
from explorer.base import current_rss
spec, mode, workers = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if spec["model"] == "2pc":
    model = TwoPhaseCommit(spec["rms"])
else:
    from model import RecoverModel, make_config
    model = RecoverModel(make_config(spec["preset"], spec["config"]))
if mode == "symmetry":
    from explorer.symmetry import SymmetricModel
    model = SymmetricModel(model)
engine = "batched" if mode == "batched" else "states"
explore(TwoPhaseCommit(3), [], deadlock=False, engine=engine, workers=workers)  # warm-up
base = current_rss()
if mode == "plain_bfs":
    el, distinct, generated = plain_bfs(model)
elif mode == "level_wide":  # the processes' algorithm on one process (a private entry point)
    from explorer.sharded import ShardedSearch
    r = ShardedSearch(model, [], workers=workers, deadlock=False, max_states=None, max_depth=None,
                       max_seconds=None, max_memory_mb=None, stop_at_first=False, progress=None,
                       progress_interval=1.0, keep_graph=False).run()
    el, distinct, generated = r.elapsed, r.distinct, r.generated
else:
    r = explore(model, [], deadlock=False, workers=workers, engine=engine)
    el, distinct, generated = r.elapsed, r.distinct, r.generated
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
if workers > 1:
    peak = r.peak_rss_delta  # the workers' peaks are not in this process's ru_maxrss
print(json.dumps({"distinct": distinct, "generated": generated, "seconds": el, "bytes": peak}))
"""

RECOVER_2D = {"dispatchers": 2, "maintainer_moves": 1, "lossy": "requests,responses"}
# (name, what to search, whether --quick skips it: the two largest)
CASES = [
    ("2pc-7", {"model": "2pc", "rms": 7}, False),
    ("2pc-8", {"model": "2pc", "rms": 8}, True),
    ("recover pr4139 2d+move+lossy", {"model": "recover", "preset": "pr4139", "config": RECOVER_2D}, True),
    ("recover proposed 2d+move+lossy", {"model": "recover", "preset": "proposed", "config": RECOVER_2D}, False),
]
SYMMETRY_CASE = ("recover pr4139 3d, 2 failures",
                 {"model": "recover", "preset": "pr4139",
                  "config": {"dispatchers": 3, "failures": 2, "resend_order": "any"}})


def run_once(spec: dict, mode: str, workers: int = 1) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, json.dumps(spec), mode, str(workers)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def median_runs(spec: dict, configs: list[tuple[str, int]], runs: int) -> list[dict]:
    """Per (mode, workers) config, the median of ``runs`` runs (see ``medians``)."""
    return medians([lambda config=config: run_once(spec, *config) for config in configs], runs)


def load() -> str:
    """The machine's load average (1, 5 and 15 minutes), for a benchmark's report."""
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def medians(runners: list, runs: int) -> list[dict]:
    """Per runner (a function that runs once), the median of ``runs`` runs' seconds, bytes and
    CPU seconds if given (the other fields are the first run's); the runners take turns run by
    run, so that the machine's drift hits them alike and their ratios stay fair."""
    results: list[list[dict]] = [[] for _ in runners]
    for _ in range(runs):
        for runner, out in zip(runners, results):
            out.append(runner())
    return [{**out[0], "seconds": statistics.median(r["seconds"] for r in out),
             "bytes": None if out[0]["bytes"] is None else statistics.median(r["bytes"] for r in out),
             **({"cpu": statistics.median(r["cpu"] for r in out)} if "cpu" in out[0] else {})}
            for out in results]


def row(name: str, label: str, r: dict, speedup: str = "") -> str:
    d, g, secs = r["distinct"], r["generated"], r["seconds"]
    memory = "-" if r["bytes"] is None else f"{r['bytes'] / d:,.0f}"  # TLC's is not measured
    return (f"{name:<32} {label:<22} {d:>10,} {g:>11,} {d / secs:>11,.0f} {g / secs:>12,.0f} "
            f"{memory:>11} {speedup:>8}")


def tlc_run(jar: str, rms: int, workers: int) -> dict:
    """TLC on benchmarks/tla/TwoPhase.tla: wall time of the whole java process (JVM start
    included), distinct and generated states from its report."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tla")
    with tempfile.TemporaryDirectory() as work:
        for name in ("TwoPhase.tla", f"TwoPhase{rms}.cfg"):
            shutil.copy(os.path.join(here, name), work)
        started = time.perf_counter()
        out = subprocess.run(["java", "-XX:+UseParallelGC", "-cp", jar, "tlc2.TLC", "-workers", str(workers),
                              "-deadlock", "-config", f"TwoPhase{rms}.cfg", "TwoPhase.tla"],
                             cwd=work, capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - started
    found = re.search(r"([\d,]+) states generated, ([\d,]+) distinct states found", out)
    generated, distinct = (int(x.replace(",", "")) for x in found.groups())
    return {"distinct": distinct, "generated": generated, "seconds": seconds, "bytes": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the two largest cases")
    parser.add_argument("--tlc", metavar="JAR", help="also run TLC (tla2tools.jar) on two-phase commit")
    args = parser.parse_args()
    cases = [(name, spec) for name, spec, large in CASES if not (args.quick and large)]
    print(f"machine: {os.cpu_count()} cores; median of {args.runs} runs, each in a fresh process")
    print(f"{'model':<32} {'search':<22} {'distinct':>10} {'generated':>11} {'distinct/s':>11} "
          f"{'generated/s':>12} {'bytes/state':>11} {'speed-up':>8}")
    for name, spec in cases:
        vectorised = spec["model"] == "2pc"  # the batched search runs on processes too
        configs = [("engine", 1), ("engine", 2), ("batched", 1), ("plain_bfs", 1)]
        configs += [("batched", 2), ("level_wide", 1)] if vectorised else []
        one, processes, batched, plain, *sharded = median_runs(spec, configs, args.runs)
        print(row(name, "one state", one))
        print(row(name, "one state, 2 processes", processes, f"{one['seconds'] / processes['seconds']:.2f}x"))
        print(row(name, "batched", batched, f"{one['seconds'] / batched['seconds']:.2f}x"))
        if sharded:
            two, level_wide = sharded
            print(row(name, "batched, 2 processes", two, f"{batched['seconds'] / two['seconds']:.2f}x"))
            print(row(name, "  same, on 1 process", level_wide, f"{level_wide['seconds'] / two['seconds']:.2f}x"))
        print(row(name, "plain BFS", plain))
        if args.tlc and spec["model"] == "2pc":
            tlc_one, tlc_two = medians([lambda w=w: tlc_run(args.tlc, spec["rms"], w) for w in (1, 2)], args.runs)
            print(row(name, "TLC, 1 worker", tlc_one, f"{tlc_one['seconds'] / batched['seconds']:.2f}x"))
            print(row(name, "TLC, 2 workers", tlc_two, f"{tlc_one['seconds'] / tlc_two['seconds']:.2f}x"))
    name, spec = SYMMETRY_CASE
    full, reduced = median_runs(spec, [("engine", 1), ("symmetry", 1)], args.runs)
    print(row(name, "one state", full))
    print(row(name, "symmetry", reduced))
    print(f"symmetry: {full['distinct'] / reduced['distinct']:.1f}x fewer states, "
          f"{full['seconds'] / reduced['seconds']:.2f}x faster")


if __name__ == "__main__":
    main()
