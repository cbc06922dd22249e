"""Profile the recover model's successor function (cProfile, one worker, no properties).

    python benchmarks/profile_recover.py [--preset pr4139] [--max-states 100000] [--top 30]

Runs the README's reference configuration (2 dispatchers, 1 maintainer move, lossy
``requests`` and ``responses``) under cProfile, cut at ``--max-states``, and prints the
functions with the most internal time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine import RECOVER_2D as REFERENCE  # noqa: E402  (the benchmark's reference bounds)
from explorer import explore  # noqa: E402
from model import RecoverModel, make_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="pr4139")
    parser.add_argument("--max-states", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    model = RecoverModel(make_config(args.preset, REFERENCE))
    profiler = cProfile.Profile()
    profiler.enable()
    result = explore(model, [], deadlock=False, max_states=args.max_states)
    profiler.disable()
    print(f"{args.preset}: {result.distinct} distinct, {result.generated} generated")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
