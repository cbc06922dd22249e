"""How far the walks get: the walks that reach a milestone, per strategy and seed.

    python benchmarks/simulation_reach.py [--runs 2000] [--seeds 2] [--dispatchers 1] [--failures 2]
                                          [--strategy T,... ...]

pr4139 with 2 maintainer moves, lossy and duplicating ``requests`` and ``responses`` (the large
bounds of docs/simulation.md), depth 100, drain 50. For each strategy and seed, one ``simulate``
run of ``--runs`` walks over every property of the preset and two milestones, written as
invariants that fail where the milestone is reached: *relaunched* (a dispatcher's instance of
lifecycle 2 or later: a restart finished) and *refailed* (such an instance blocked: the second
failure most findings need). Printed per run: seconds, and the walks that reached each
milestone or violated ``no_wrong_clear`` and ``identity_unique`` (a walk counts once per
property). Walk counts are a function of the seed; seconds are wall time on a shared machine.
This is what docs/simulation.md quotes for ``corpus``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from explorer import Invariant  # noqa: E402
from explorer.schedule import DEFAULT_STRATEGY, parse_strategy  # noqa: E402
from explorer.simulate import simulate  # noqa: E402
from invariants import properties_for  # noqa: E402
from model import RecoverModel, make_config  # noqa: E402

BOUNDS = {"maintainer_moves": 2, "lossy": "requests,responses", "duplicating": "requests,responses"}
COUNTED = ("relaunched", "refailed", "no_wrong_clear", "identity_unique")


def not_relaunched(state) -> bool:
    return not any(instance and instance.lifecycle >= 2 for instance in state.instances)


def not_refailed(state) -> bool:
    return not any(instance and instance.lifecycle >= 2 and instance.blocked for instance in state.instances)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--dispatchers", type=int, default=1)
    parser.add_argument("--failures", type=int, default=2)
    parser.add_argument("--strategy", action="append",
                        help="a strategy (repeatable; default: the default with and without corpus)")
    args = parser.parse_args(argv)
    strategies = args.strategy or [str(DEFAULT_STRATEGY).replace(",corpus", ""), str(DEFAULT_STRATEGY)]
    config = make_config("pr4139", dict(BOUNDS, dispatchers=args.dispatchers, failures=args.failures))
    props = list(properties_for(config)) + [Invariant("relaunched", not_relaunched),
                                            Invariant("refailed", not_refailed)]
    print(f"# walks that reach a milestone: pr4139, {args.dispatchers} dispatcher(s), failures={args.failures}, "
          f"{args.runs:,} walks per run, {time.strftime('%Y-%m-%d %H:%M')}\n")
    print("| strategy | seed | seconds | " + " | ".join(COUNTED) + " |")
    print("|---|---|---|" + "---|" * len(COUNTED))
    for strategy in strategies:
        for seed in range(args.seeds):
            started = time.perf_counter()
            result = simulate(RecoverModel(config), props, runs=args.runs, depth=100, seed=seed,
                              strategy=parse_strategy(strategy), deadlock=False, drain_steps=50)
            walks = {name: find.walks for name, find in result.finds.items()}
            print(f"| {strategy} | {seed} | {time.perf_counter() - started:.0f} | "
                  + " | ".join(f"{walks.get(name, 0):,}" for name in COUNTED) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
