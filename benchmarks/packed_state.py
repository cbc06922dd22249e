"""What a packed state would buy the recover model, measured before committing to it (issue 17).

    python benchmarks/packed_state.py [--states 40000]

Two measurements, CPU time (``time.process_time``, best of several rounds, collector paused), so
that a shared machine's load moves them less than the wall clock:

1. Where a run goes: ``explore()`` with every property on the speed table's first recover row
   (pr4139, 2 dispatchers, lossy requests and responses), against ``successors`` over all its
   states and ``fingerprint`` over all its generated states, timed alone. Whatever a packed
   state saves comes out of those two shares.
2. The primitives over the first ``--states`` states of the reference configuration (2
   dispatchers, 1 move, lossy requests and responses): hash and equality of the nested state
   against a flat tuple of ints and a single int holding the same information (an injective
   flattening: every tuple as its length, then its members; 8 bits a slot in the int, more than
   a hand-made layout needs), the cost of building a successor that changes one channel, of
   reading one leaf, and memory per state.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine import RECOVER_2D as REFERENCE, load  # noqa: E402
from explorer import explore  # noqa: E402
from invariants.properties import properties_for  # noqa: E402
from model import RecoverModel, make_config  # noqa: E402
from model.state import REQUESTS, put, with_channels  # noqa: E402

FIRST_ROW = {"dispatchers": 2, "lossy": "requests,responses"}  # speed.py's first recover row


def best(fn, rounds: int = 5) -> float:
    """The least CPU seconds of ``rounds`` calls of ``fn``."""
    least = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        fn()
        least = min(least, time.process_time() - started)
    return least


def reachable(model, limit: int | None = None) -> tuple[list, list]:
    """The states a BFS dequeues (up to ``limit``) and every successor it generates."""
    init = model.init_states()
    seen, queue, states, generated = set(init), deque(init), [], []
    while queue and (limit is None or len(states) < limit):
        state = queue.popleft()
        states.append(state)
        for _, nxt in model.successors(state):
            generated.append(nxt)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return states, generated


def flatten(value, out: list) -> list:
    """An injective flattening of a state: every tuple as its length, then its members."""
    if isinstance(value, tuple):
        out.append(len(value))
        for item in value:
            flatten(item, out)
    else:
        out.append(int(value))
    return out


def deep_size(value, seen: set) -> int:
    if id(value) in seen:
        return 0
    seen.add(id(value))
    return sys.getsizeof(value) + (sum(deep_size(v, seen) for v in value) if isinstance(value, tuple) else 0)


def where_a_run_goes() -> None:
    config = make_config("pr4139", FIRST_ROW)
    run = best(lambda: explore(RecoverModel(config), properties_for(config), deadlock=True), rounds=2)
    model = RecoverModel(config)
    states, generated = reachable(model)
    gc.disable()
    successors = best(lambda: [model.successors(s) for s in states], rounds=3)
    fingerprints = best(lambda: [model.fingerprint(s) for s in generated], rounds=3)
    gc.enable()
    print(f"pr4139 {FIRST_ROW}, every property: {len(states):,} states, {len(generated):,} generated; "
          f"explore {run:.2f} s CPU; successors alone {successors:.2f} s ({successors / run:.0%}), "
          f"fingerprints alone {fingerprints:.2f} s ({fingerprints / run:.0%})")


def primitives(limit: int) -> None:
    model = RecoverModel(make_config("pr4139", REFERENCE))
    states, generated = reachable(model, limit)
    flats = [tuple(flatten(s, [])) for s in states]
    ints = [int.from_bytes(bytes(min(v, 255) for v in f), "little") for f in flats]
    twins = [flatten_twin(s) for s in states]  # equal to the state, sharing no record with it
    flat_twins = [tuple(list(f)) for f in flats]
    channels = [s.channels[REQUESTS] for s in states]
    n = len(states)
    gc.disable()
    ns = {
        "hash nested": best(lambda: [hash(s) for s in states]),
        "hash flat tuple": best(lambda: [hash(f) for f in flats]),
        "hash int": best(lambda: [hash(i) for i in ints]),
        "eq nested": best(lambda: [a == b for a, b in zip(states, twins)]),
        "eq flat tuple": best(lambda: [a == b for a, b in zip(flats, flat_twins)]),
        "build nested": best(lambda: [with_channels(s, put(s.channels, REQUESTS, c)) for s, c in zip(states, channels)]),
        "build flat tuple": best(lambda: [put(f, 40, 3) for f in flats]),
        "build int": best(lambda: [i ^ ((((i >> 320) & 255) ^ 3) << 320) for i in ints]),
        "read nested": best(lambda: [s.dm.pending[1] for s in states]),
        "read flat tuple": best(lambda: [f[40] for f in flats]),
        "read int": best(lambda: [(i >> 320) & 255 for i in ints]),
        "successors": best(lambda: [model.successors(s) for s in states], rounds=3),
    }
    gc.enable()
    lengths = sorted(len(f) for f in flats)
    print(f"pr4139 {REFERENCE}, first {n:,} states ({len(generated):,} generated): flat encoding "
          f"{lengths[0]}-{lengths[-1]} ints (median {lengths[n // 2]}), int up to {max(i.bit_length() for i in ints)} bits")
    sample = states[:2000]
    print(f"memory a state: nested {sum(deep_size(s, set()) for s in sample) / len(sample):.0f} B counted unshared, "
          f"flat tuple {sum(map(sys.getsizeof, flats)) / n:.0f} B, int {sum(map(sys.getsizeof, ints)) / n:.0f} B")
    for what in ("hash", "eq", "build", "read"):
        cells = [f"{k.split(' ', 1)[1]} {1e9 * v / n:.0f} ns" for k, v in ns.items() if k.startswith(what + " ")]
        print(f"{what}: " + ", ".join(cells))
    print(f"successors: {1e9 * ns['successors'] / n:.0f} ns a state, {1e9 * ns['successors'] / len(generated):.0f} ns a successor")


def flatten_twin(value):
    """A copy of ``value`` equal to it and sharing none of its tuples (equality walks the tree)."""
    if isinstance(value, tuple):
        items = [flatten_twin(v) for v in value]
        return tuple.__new__(type(value), items) if type(value) is not tuple else tuple(items)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=40_000)
    args = parser.parse_args()
    print(f"load {load()}")
    where_a_run_goes()
    primitives(args.states)


if __name__ == "__main__":
    main()
