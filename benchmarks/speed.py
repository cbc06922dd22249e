"""Speed where users feel it: the README's speed table, side by side in one run.

    python benchmarks/speed.py [--runs 3] [--previous TREE] [--only GROUP ...]

Four groups of rows, each a ratio of two searches run in turn (run by run, each in a fresh
process, the median of ``--runs``), printed as a Markdown table with the machine's load average:

* ``generic``: models written as a TLA+ user would (strings, tuples, frozensets, no
  ``fingerprint()``: two-phase commit with 7 RMs, Chameneos, Klotski), the engine against a
  plain set-and-deque BFS over the same ``successors``, with the cyclic collector on (as a
  user writes it) and paused (as the engine runs);
* ``recover``: the recover model with every property of the preset (liveness included),
  deadlock checked, one process, this tree against ``--previous`` (a git worktree of an
  earlier commit: ``git worktree add --detach /tmp/prev <commit>``);
* ``symmetry``: 3 dispatchers with and without ``--symmetry`` (no properties): the state
  reduction against the time saved, for this tree and ``--previous``;
* ``workers``: ``workers=2`` against ``workers=1``, safety properties alone and every property.

Times are wall-clock around ``explore()`` (verdicts and liveness included), imports excluded;
the symmetry rows also give the process's CPU time, which other sessions' load stretches less.
Each pair of searches must agree on states and verdicts, or the script stops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import PLAIN_BFS, load, medians  # noqa: E402  (the plain BFS, the load, the interleaved medians)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs in a fresh process with the tree under test first on sys.path; it uses only what every
# version of the engine has (explore, the examples, the model, properties_for, SymmetricModel).
SPEED_RUN = PLAIN_BFS + r"""
import json, sys, time
from explorer import explore
spec = json.loads(sys.argv[1])
if "example" in spec:
    from explorer.examples import EXAMPLES
    model = EXAMPLES[spec["example"]](**spec.get("params", {}))
else:
    from model import RecoverModel, make_config
    model = RecoverModel(make_config(spec["preset"], spec["config"]))
properties = []
if spec.get("properties"):
    from invariants.properties import properties_for
    properties = [p for p in properties_for(model.config) if spec["properties"] == "all" or p.kind != "liveness"]
if spec.get("symmetry"):
    from explorer.symmetry import SymmetricModel
    model = SymmetricModel(model)
cpu = time.process_time()
if spec.get("plain"):
    seconds, distinct, generated = plain_bfs(model, pause_gc=spec["plain"] == "collector paused")
    verdicts = None
else:
    started = time.perf_counter()
    r = explore(model, properties, deadlock=spec.get("deadlock", False), workers=spec.get("workers", 1))
    seconds = time.perf_counter() - started
    distinct, generated = r.distinct, r.generated
    verdicts = sorted((name, v.status) for name, v in r.verdicts.items())
print(json.dumps({"distinct": distinct, "generated": generated, "seconds": seconds, "bytes": None,
                  "verdicts": verdicts, "cpu": time.process_time() - cpu}))
"""

GENERIC = [
    ("two-phase commit, 7 RMs", {"example": "two_phase_naive", "params": {"rms": 7}}),
    ("Chameneos, 5 creatures, 3 meetings", {"example": "chameneos", "params": {"n": 5, "m": 3}}),
    ("Klotski", {"example": "klotski"}),
]
# The reference configuration (2 dispatchers, 1 move, lossy requests and responses) has
# more than 3 million states on the Go-faithful model with its graph kept for liveness: too big
# to run six times here. These two keep two of its three bounds each (~120k states).
RECOVER = [
    ("recover pr4139, 2 dispatchers, lossy requests+responses",
     {"preset": "pr4139", "config": {"dispatchers": 2, "lossy": "requests,responses"}}),
    ("recover pr4139, 1 move, lossy requests+responses",
     {"preset": "pr4139", "config": {"maintainer_moves": 1, "lossy": "requests,responses"}}),
]
SYMMETRY = ("recover pr4139, 3 dispatchers, 2 failures, resend_order=any",
            {"preset": "pr4139", "config": {"dispatchers": 3, "failures": 2, "resend_order": "any"}})
WORKERS = RECOVER[0]
GROUPS = ("generic", "recover", "symmetry", "workers")


def run_in(tree: str, spec: dict) -> dict:
    """One search of ``spec`` in a fresh process importing ``tree``'s code."""
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", SPEED_RUN, json.dumps(spec)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def side_by_side(runs: int, *pairs: tuple[str, dict]) -> list[dict]:
    """Medians of each (tree, spec), the runs interleaved (see ``engine.medians``)."""
    return medians([lambda tree=tree, spec=spec: run_in(tree, spec) for tree, spec in pairs], runs)


def same_search(a: dict, b: dict, what: str) -> None:
    """Two searches compared must be the same search: same states, same verdicts."""
    if (a["distinct"], a["generated"]) != (b["distinct"], b["generated"]):
        raise SystemExit(f"{what}: {a['distinct']}/{a['generated']} states against {b['distinct']}/{b['generated']}")
    if a["verdicts"] is not None and b["verdicts"] is not None and a["verdicts"] != b["verdicts"]:
        raise SystemExit(f"{what}: verdicts differ")


def row(what: str, states: str, this: str, against: str, ratio: str, note: str = "") -> str:
    return f"| {what} | {states} | {this} | {against} | {ratio} | {note} |"


PLAIN = ("collector on", "collector paused")  # as a user writes it; as the engine runs


def generic_rows(runs: int) -> list[str]:
    out = []
    for name, spec in GENERIC:
        engine, *plains = side_by_side(runs, (HERE, spec), *((HERE, dict(spec, plain=p)) for p in PLAIN))
        for kind, plain in zip(PLAIN, plains):
            same_search(engine, plain, name)
            out.append(row(f"{name} (no `fingerprint()`)", f"{engine['distinct']:,}", f"{engine['seconds']:.2f} s",
                           f"plain set+deque BFS, {kind}, {plain['seconds']:.2f} s",
                           f"**{plain['seconds'] / engine['seconds']:.2f}x**", f"load {load()}"))
    return out


def recover_rows(runs: int, previous: str) -> list[str]:
    out = []
    for name, spec in RECOVER:
        spec = dict(spec, properties="all", deadlock=True)
        now, before = side_by_side(runs, (HERE, spec), (previous, spec))
        same_search(now, before, name)
        out.append(row(f"{name}, every property, 1 process", f"{now['distinct']:,}", f"{now['seconds']:.2f} s",
                       f"previous release {before['seconds']:.2f} s",
                       f"**{before['seconds'] / now['seconds']:.2f}x**", f"load {load()}"))
    return out


def symmetry_rows(runs: int, previous: str | None) -> list[str]:
    name, spec = SYMMETRY
    trees = [("this version", HERE)] + ([("previous release", previous)] if previous else [])
    pairs = [(tree, dict(spec, symmetry=reduced)) for _, tree in trees for reduced in (False, True)]
    results = side_by_side(runs, *pairs)
    for i in range(2, len(results)):  # the previous release finds the same states and orbits
        same_search(results[i], results[i % 2], f"{name}, symmetry={bool(i % 2)}")
    out = []
    for i, (label, _) in enumerate(trees):
        full, reduced = results[2 * i], results[2 * i + 1]
        states, time_saved = full["distinct"] / reduced["distinct"], full["seconds"] / reduced["seconds"]
        cpu_saved = full["cpu"] / reduced["cpu"]  # the process's own CPU time: what load does not stretch
        out.append(row(f"{name}, `--symmetry` ({label})",
                       f"{full['distinct']:,} -> {reduced['distinct']:,} (**{states:.2f}x** fewer)",
                       f"{reduced['seconds']:.2f} s", f"without symmetry {full['seconds']:.2f} s",
                       f"**{time_saved:.2f}x** faster", f"time/state ratio {time_saved / states:.2f} "
                       f"(CPU time {reduced['cpu']:.2f} s against {full['cpu']:.2f} s: {cpu_saved / states:.2f}); "
                       f"load {load()}"))
    return out


def workers_rows(runs: int) -> list[str]:
    name, spec = WORKERS
    out = []
    for properties, label in (("safety", "safety properties"), ("all", "every property (liveness included)")):
        one, two = side_by_side(runs, (HERE, dict(spec, properties=properties, deadlock=True)),
                                (HERE, dict(spec, properties=properties, deadlock=True, workers=2)))
        same_search(one, two, f"{name}, {label}")
        out.append(row(f"{name}, {label}, `--workers 2`", f"{one['distinct']:,}", f"{two['seconds']:.2f} s",
                       f"1 process {one['seconds']:.2f} s", f"**{one['seconds'] / two['seconds']:.2f}x**",
                       f"load {load()}"))
    return out


def revision(tree: str) -> str:
    out = subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--previous", metavar="TREE", help="a worktree of the release to compare with")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    args = parser.parse_args()
    if "recover" in args.only and not args.previous:
        parser.error("the recover rows need --previous TREE")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{now}; {os.cpu_count()} cores; this tree {revision(HERE)}"
          + (f", previous release {revision(args.previous)}" if args.previous else "")
          + f"; median of {args.runs} runs, each a fresh process, interleaved; load at start {load()}\n")
    print(row("what", "states", "time", "against", "ratio", "note"))
    print("|---|---|---|---|---|---|")
    rows = {"generic": lambda: generic_rows(args.runs), "recover": lambda: recover_rows(args.runs, args.previous),
            "symmetry": lambda: symmetry_rows(args.runs, args.previous), "workers": lambda: workers_rows(args.runs)}
    for group in args.only:
        for line in rows[group]():
            print(line, flush=True)


if __name__ == "__main__":
    main()
