"""Memory of the batched search (fingerprint mode) on the recover model, and where it goes
(issue 17, goal 6: at most 100 bytes a state).

    python benchmarks/frontier_memory.py [--runs 3] [--split] [--only NAME]

Per configuration, three searches (no properties, as in benchmarks/engine.py), each in a fresh
process, taking turns run by run, median of ``--runs``:

* ``as before``: the frontier kept as states, batches of 16,384 states (the engine before goal 6);
* ``small batches``: the frontier kept as states, batches of ``OBJECT_BATCH`` states;
* ``parts`` (the default): the frontier kept in parts (``RecoverModel.parts``), small batches.

Memory is the peak RSS (``ru_maxrss``) above the RSS just before the search, after imports and a
warm-up search: the high-water mark. Times are the wall clock and the CPU time of the search
(the machine is shared: CPU time moves less). The three must find the same states, or the
script stops.

``--split``: one more run of each variant per configuration, instrumented: where the frontier
held the most states (the level being expanded and the next one, whole, as a share of all
states found then), its bytes a state (a state's objects not shared with the states before it
in a batch of the level, or its part numbers and its share of the level's tables), and one
batch's successors (their objects and lists, not shared with the batch's states); at the end,
the visited set and the parent links. What is left of the peak (the median of the runs above;
``--runs 0``: this run's, a little higher, as the measures take memory) is the Python heap's
slack and numpy's temporaries.

Measured (2026-11-30, 16:29-16:52 UTC, the search of commit 7b78b0a, ``--runs 3 --split``; another
session's runs beside it, load 2.4-5.6, so the CPU time ratio is the one to read); bytes a state,
seconds and CPU seconds are medians of 3 fresh processes, ratios against "as before":

    configuration (no properties)              states   as before  small batches     parts   parts: time (CPU)
    pr4139 2d+move+lossy, --max-states 300000  300,000      281.1          211.0      47.2   1.06x (1.06x)
    pr4139 2d+move+lossy, --max-states 1000000 1,000,000    167.2          149.6      29.0   1.06x (1.08x)
    proposed 2d+move+lossy (complete)          685,957      144.2          117.8      30.7   1.04x (1.04x)
    pr4139 2d+move+lossy requests (complete)   1,074,098     91.3           73.6      24.1   1.16x (1.02x)

Split (the first row, as before): the frontier at most 106,481 states (36% of the 297,304 found
then) x 596 B = 212 B/state; a batch's successors (16,384 states) 73; visited set 8; links 6.
With parts and batches of 2,048: frontier 106,481 x 24 B = 8.4; successors 8.8; visited 8;
links 6; the rest (heap slack, numpy) about 16.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import RECOVER_2D, load, medians  # noqa: E402

ONE_RUN = r"""
import json, resource, sys, time
import explorer.batched as batched
from explorer import explore
from explorer.examples import TwoPhaseCommit
from explorer.base import current_rss
from model import RecoverModel, make_config
spec, variant, split = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "split"
if variant != "parts":
    del RecoverModel.parts, RecoverModel.from_parts  # the frontier kept as states
if variant == "as before":
    batched.OBJECT_BATCH = batched.BATCH
model = RecoverModel(make_config(spec["preset"], spec["config"]))
explore(TwoPhaseCommit(3), [], deadlock=False, engine="batched")  # warm-up
peak = {"held": 0}

def deep(values, seen):
    # bytes of the objects reachable from values and not yet in seen (ids), each counted once
    total, stack = 0, list(values)
    while stack:
        value = stack.pop()
        if id(value) not in seen:
            seen.add(id(value))
            total += sys.getsizeof(value)
            if isinstance(value, (tuple, list)):
                stack.extend(value)
    return total

def held_bytes(search, level):
    # at a level's end: a state's bytes in the frontier, and the successors of a batch of it
    size = batched.OBJECT_BATCH
    states, seen = search.states.batch(level, 0, size), set()
    if isinstance(search.states, batched._PartStates):  # its part numbers, its share of the tables
        state = sum(c.itemsize for c in level.columns) + deep([v for t in level.values for v in t], seen) / len(level)
    else:  # its objects, not shared with the states before it in the batch
        state = deep(states, seen) / len(states)
    return state, len(states), deep([model.successors(s) for s in states], seen)

def watch(search):
    # the most states the frontier holds: the level being expanded and the next one, as the
    # next one is joined (whole); the measures are taken then, and no level is kept
    plain_batch, plain_join = search.states.batch, search.states.join
    def batch(level, start, stop):
        peak["level"] = level
        return plain_batch(level, start, stop)
    def join(kept):
        level = peak.pop("level", None)  # None: the initial states
        held = len(search.parent) - search.level_end + len(level) if level is not None else 0
        if held > peak["held"]:
            search.states.batch = plain_batch  # the measures rebuild a batch
            state, size, successors = held_bytes(search, level)
            search.states.batch = batch
            peak.update(held=held, at=len(search.parent), state=state, batch=size, successors=successors)
        return plain_join(kept)
    search.states.batch, search.states.join = batch, join

if split:
    plain_init = batched.BatchedSearch.__init__
    def init(self, *args, **kwargs):
        plain_init(self, *args, **kwargs)
        watch(self)
        peak["search"] = self
    batched.BatchedSearch.__init__ = init

base = current_rss()
cpu = time.process_time()
r = explore(model, [], deadlock=False, engine="batched", max_states=spec.get("max_states"))
cpu = time.process_time() - cpu
out = {"distinct": r.distinct, "generated": r.generated, "depth": r.depth, "seconds": r.elapsed, "cpu": cpu,
       "bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base}
if split:
    search, _ = peak.pop("search"), peak.pop("level", None)
    out.update(peak, visited=sum(run.nbytes for b in search.seen.buckets for run in b.runs),
               links=len(search.parent) * search.parent.itemsize + len(search.ordinal) * search.ordinal.itemsize)
print(json.dumps(out))
"""

CASES = [
    ("pr4139 2d+move+lossy, cut at 300,000", {"preset": "pr4139", "config": RECOVER_2D, "max_states": 300_000}),
    ("pr4139 2d+move+lossy, cut at 1,000,000", {"preset": "pr4139", "config": RECOVER_2D, "max_states": 1_000_000}),
    ("proposed 2d+move+lossy", {"preset": "proposed", "config": RECOVER_2D}),
    ("pr4139 2d+move+lossy requests", {"preset": "pr4139", "config": {**RECOVER_2D, "lossy": "requests"}}),
]
VARIANTS = ("as before", "small batches", "parts")


def run_once(spec: dict, variant: str, split: bool = False) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN, json.dumps(spec), variant, "split" if split else "-"],
                         capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode:
        raise SystemExit(f"{variant} on {spec} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def median_runs(spec: dict, runs: int) -> list[dict]:
    """Per variant, the medians of ``runs`` runs (the variants take turns run by run); they must
    find the same states."""
    rows = medians([lambda variant=variant: run_once(spec, variant) for variant in VARIANTS], runs)
    if len({(r["distinct"], r["generated"], r["depth"]) for r in rows}) != 1:
        raise SystemExit(f"the variants found different states: {rows}")
    return rows


def split_row(name: str, variant: str, r: dict) -> str:
    n = r["distinct"]
    frontier = r["held"] * r["state"]
    rest = r["bytes"] - r["visited"] - r["links"] - frontier - r["successors"]
    return (f"{name:<40} {variant:<14} frontier at most {r['held']:>8,} states ({r['held'] / r['at']:.0%} of the "
            f"{r['at']:,} found then) x {r['state']:>4.0f} B = {frontier / n:>5.1f}; visited {r['visited'] / n:.1f}; "
            f"links {r['links'] / n:.1f}; a batch's ({r['batch']:,} states) successors {r['successors'] / n:>5.1f}; "
            f"rest {rest / n:>5.1f}; peak {r['bytes'] / n:>5.1f} B/state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--split", action="store_true", help="also split the memory at its peak")
    parser.add_argument("--only", help="the configurations whose name contains this")
    args = parser.parse_args()
    cases = [(name, spec) for name, spec in CASES if not args.only or args.only in name]
    print(f"load {load()}; median of {args.runs} fresh processes")
    print(f"{'configuration':<40} {'frontier':<14} {'states':>10} {'seconds':>8} {'CPU s':>7} {'B/state':>8} "
          f"{'time ratio (CPU) against as before':>36}")
    for name, spec in cases:
        rows = median_runs(spec, args.runs) if args.runs else []
        for variant, r in zip(VARIANTS, rows):
            before = rows[0]
            print(f"{name:<40} {variant:<14} {r['distinct']:>10,} {r['seconds']:>8.2f} {r['cpu']:>7.2f} "
                  f"{r['bytes'] / r['distinct']:>8.1f} {r['seconds'] / before['seconds']:>17.2f} "
                  f"({r['cpu'] / before['cpu']:.2f})")
        if args.split:  # the peak: the median of the runs above, if any (the measures take memory)
            for i, variant in enumerate(VARIANTS):
                print(split_row(name, variant, {**run_once(spec, variant, split=True),
                                                **({"bytes": rows[i]["bytes"]} if rows else {})}))
    print(f"load {load()}")


if __name__ == "__main__":
    main()
