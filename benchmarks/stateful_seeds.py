"""How much a Hypothesis stateful test's verdict owes to its seed: examples to the first failure
per seed, with the machine's default strategy and with others.

    python benchmarks/stateful_seeds.py [--dispatchers 2] [--seeds 5] [--examples 5000] [--steps 200]
                                        [--property NAME ...] [--strategy T,... ...]

pr4139 with the fuse on, as the fuse-on tests of tests/test_stateful.py (the deep profile's
bounds by default: 2 dispatchers, walks of 200 states, 5,000 examples, no shrinking). For each
property (default: the trio those tests check), strategy (default: the machine's) and seed
``0..seeds-1``, one run of the machine; printed: the examples Hypothesis ran until the
property failed (counted as model instances made, one per example), or "not found" within the
budget. The counts are a function of the seed and the code; seconds are wall time on a shared
machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

from explorer.schedule import parse_strategy  # noqa: E402
from explorer.stateful import MACHINE_STRATEGY, PropertyViolation, make_machine  # noqa: E402
from invariants import properties_for  # noqa: E402
from model import RecoverModel, make_config  # noqa: E402

TRIO = ("handled_means_progress", "no_wrong_clear", "stale_response_harmless")
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def examples_to_find(config, name: str, strategy, seed: int, examples: int, steps: int) -> int | None:
    """The examples the machine ran until ``name`` failed, or None if it did not within ``examples``."""
    made = [0]

    def factory():
        made[0] += 1
        return RecoverModel(config)

    props = properties_for(config, [name])
    machine = make_machine(factory, props, steps, seed=seed, strategy=strategy, name=f"Seeds_{name}")
    try:
        run_state_machine_as_test(machine, settings=settings(
            machine.TestCase.settings, max_examples=examples, database=None, deadline=None,
            suppress_health_check=list(HealthCheck), phases=NO_SHRINK))
    except PropertyViolation as found:
        if found.name != name:
            raise
        return made[0]
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--property", action="append", help="a property (repeatable; default: the fuse-on trio)")
    parser.add_argument("--strategy", action="append", help=f"a strategy (repeatable; default: {MACHINE_STRATEGY})")
    args = parser.parse_args(argv)
    config = make_config("pr4139", {"dispatchers": args.dispatchers})
    strategies = [parse_strategy(s) for s in args.strategy] if args.strategy else [MACHINE_STRATEGY]
    print(f"# Hypothesis examples to the first failure: pr4139, {args.dispatchers} dispatcher(s), fuse on, "
          f"walks of {args.steps} states, at most {args.examples:,} examples, {time.strftime('%Y-%m-%d %H:%M')}\n")
    print("| property | strategy | " + " | ".join(f"seed {s}" for s in range(args.seeds)) + " | found | seconds |")
    print("|---|---|" + "---|" * args.seeds + "---|---|")
    for name in args.property or TRIO:
        for strategy in strategies:
            started = time.perf_counter()
            counts = [examples_to_find(config, name, strategy, seed, args.examples, args.steps)
                      for seed in range(args.seeds)]
            cells = " | ".join("not found" if n is None else f"{n:,}" for n in counts)
            found = sum(n is not None for n in counts)
            print(f"| `{name}` | {strategy} | {cells} | {found}/{args.seeds} | {time.perf_counter() - started:.0f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
