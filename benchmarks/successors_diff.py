"""Differential check of the recover model's ``successors`` against an earlier tree.

    python benchmarks/successors_diff.py --previous TREE [--cap 50000] [--only NAME ...] [--cache DIR]

For each configuration below, a BFS of the reachable states (up to ``--cap`` states expanded)
runs in a fresh process per tree (this one and ``--previous``, a git worktree of an earlier
commit), and every expanded state's ``successors`` list is reduced to a digest of the ``repr``
of each (label, next state) pair in order: ``repr`` shows every record's class, field names
and leaves (``True`` is not ``1``), so equal digests mean the same successors, in the same
order, with the same labels and the same state values of the same types. The BFS order follows
from the successors, so the two trees expand the same states in the same order or the first
difference shows. On a difference the script prints the state and both successor lists and
exits 1. It also lists the actions no configuration fired (a gap in the check's reach).

A refactoring of the model that must not change its behaviour runs this (issue 17). The
previous tree's digests do not change: ``--cache DIR`` keeps them between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE = {"lossy": "requests,responses", "failures": 2}
# presets x dispatchers x moves on the base bounds, then single knobs and bounds that reach the
# actions and branches the grid does not (each on a small configuration)
GRID = [(f"{preset} {d}d {moves}mv", preset, dict(BASE, dispatchers=d, maintainer_moves=moves))
        for preset in ("pr4139", "design", "proposed") for d in (1, 2, 3) for moves in (0, 1)]
EXTRA = [
    ("pr4139 ops+dup", "pr4139", {"dispatchers": 2, "other_operators": "move,split,merge_source,add,move_dest,"
                                  "merge_target", "duplicating": "requests,responses,schedule,heartbeat",
                                  "max_duplicates": 2, "lossy": "schedule,heartbeat,statuses,events"}),
    ("proposed ops+move", "proposed", {"dispatchers": 2, "maintainer_moves": 1, "other_operators":
                                       "move,split,merge_target,add", "lossy": "schedule,heartbeat"}),
    ("pr4139 crash+reset", "pr4139", {"dispatchers": 2, "crashes": 1, "resets": 2, "lossy": "bootstrap,requests"}),
    ("design crash+move+copies", "design", {"crashes": 1, "maintainer_moves": 2, "bootstrap_copies": 2,
                                            "lossy": "bootstrap,responses", "duplicating": "bootstrap"}),
    ("proposed crash+copies", "proposed", {"dispatchers": 2, "crashes": 1, "maintainer_moves": 1,
                                           "bootstrap_copies": 2, "lossy": "bootstrap"}),
    ("pr4139 any-order fast ticks", "pr4139", {"dispatchers": 3, "resend_order": "any", "slow_ticks": False,
                                               "channel_capacity": 2, "failures": 3}),
    ("pr4139 initializing", "pr4139", {"dispatchers": 2, "initial_status": "initializing", "resets": 1,
                                       "messages_per_instance": 2, "events_capacity": 1, "failures": 3}),
    ("design overlap+switch", "design", {"maintainer_moves": 2, "maintainer_overlap": True,
                                         "switch_changes_epoch": True, "rebind_held": True,
                                         "pending_before_enqueue": True, "lossy": "requests"}),
    ("pr4139 knobs", "pr4139", {"dispatchers": 2, "maintainer_moves": 1, "working_clears": "matching_lifecycle",
                                "add_checks_local": True, "rebind_on": "every_bootstrap", "check_source": True,
                                "lossy": "responses,to_maintainer"}),
    ("design knobs", "design", {"dispatchers": 2, "working_clears": "never", "rebind_on": "epoch_change",
                                "epoch_policy": "monotonic", "messages_per_instance": 2, "timeout_fuse": False,
                                "maintainer_moves": 1, "switch_changes_epoch": True, "resets": 1}),
    ("proposed no-mpi", "proposed", {"dispatchers": 2, "messages_per_instance": 3, "restart_budget": 1,
                                     "maintainer_moves": 1, "lossy": "requests,responses,schedule"}),
]
CONFIGS = GRID + EXTRA

# Runs in a fresh process with the tree under test first on sys.path.
DIGESTS = r"""
import hashlib, json, sys
from collections import deque
from model import RecoverModel, make_config
preset, config, cap, show = json.loads(sys.argv[1])
model = RecoverModel(make_config(preset, config))
init = model.init_states()
seen, queue, digests, fired = set(init), deque(init), [], set()
while queue and len(digests) < cap:
    state = queue.popleft()
    pairs = model.successors(state)
    text = repr([(repr(action), repr(nxt)) for action, nxt in pairs])
    if len(digests) == show:
        print(json.dumps({"state": repr(state), "successors": [[repr(a), repr(n)] for a, n in pairs]}))
        sys.exit(0)
    digests.append(hashlib.blake2b(text.encode(), digest_size=8).hexdigest())
    for action, nxt in pairs:
        fired.add(action.name)
        if nxt not in seen:
            seen.add(nxt)
            queue.append(nxt)
print(json.dumps({"digests": digests, "fired": sorted(fired), "complete": not queue}))
"""


def run_in(tree: str, preset: str, config: dict, cap: int, show: int = -1) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", DIGESTS, json.dumps([preset, config, cap, show])], cwd=tree,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def cached_run(cache: str | None, tree: str, preset: str, config: dict, cap: int) -> dict:
    if cache is None:
        return run_in(tree, preset, config, cap)
    key = hashlib.sha1(json.dumps([os.path.realpath(tree), preset, config, cap], sort_keys=True).encode()).hexdigest()
    path = os.path.join(cache, key[:16] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    result = run_in(tree, preset, config, cap)
    os.makedirs(cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f)
    return result


def first_difference(now: list, before: list) -> int | None:
    for i, (a, b) in enumerate(zip(now, before)):
        if a != b:
            return i
    return None if len(now) == len(before) else min(len(now), len(before))


def show_difference(previous: str, name: str, preset: str, config: dict, i: int) -> None:
    now, before = run_in(HERE, preset, config, i + 1, i), run_in(previous, preset, config, i + 1, i)
    print(f"{name}: state {i} of the BFS differs:\n  {now['state']}")
    for label, result in (("this tree", now), ("previous", before)):
        print(f"  {label}:")
        for action, nxt in result["successors"]:
            print(f"    {action}\n      {nxt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", required=True, metavar="TREE")
    parser.add_argument("--cap", type=int, default=50_000, help="states expanded per configuration")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="configurations whose name contains one of these")
    parser.add_argument("--cache", metavar="DIR", help="keep the previous tree's digests here")
    args = parser.parse_args()
    configs = [c for c in CONFIGS if not args.only or any(word in c[0] for word in args.only)]
    fired, differ = set(), 0
    for name, preset, config in configs:
        now = run_in(HERE, preset, config, args.cap)
        before = cached_run(args.cache, args.previous, preset, config, args.cap)
        fired.update(now["fired"])
        i = first_difference(now["digests"], before["digests"])
        reach = "all" if now["complete"] else f"first {args.cap:,}"
        print(f"{name:<32} {len(now['digests']):>7,} states ({reach}): "
              + ("same successors" if i is None else f"DIFFER at state {i}"), flush=True)
        if i is not None:
            differ += 1
            show_difference(args.previous, name, preset, config, i)
    sys.path.insert(0, HERE)
    from model import ACTIONS
    missing = [a for a in ACTIONS if a not in fired]
    print(f"actions never fired: {', '.join(missing) or 'none'}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
