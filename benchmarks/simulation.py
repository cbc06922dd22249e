"""Simulation benchmark: every figure of docs/simulation.md's tables, end to end.

    python benchmarks/simulation.py [--seeds 5] [--budget 30] [--large-budget 60] [--large-seeds 3]
                                    [--large-uniform-seeds N] [--examples N] [--quick]
                                    [--preset P ...] [--bounds B ...]
                                    [--no-ablation] [--no-hypothesis] [--no-large] [--large-only]
                                    [--large-failures N] [--large-bfs-seconds S] [--strategy T,... ...]

1. **BFS**: on each preset (pr4139, design) at default bounds and with 2 dispatchers, every
   property the exhaustive search finds violated and the length of its shortest
   counterexample (a lasso's states for liveness).
2. **Time to first find**: for each strategy (``uniform``, the old walk; the default
   ``swarm,focus,hold,learn,restart,corpus``; and, unless ``--no-ablation``, each technique alone), per
   seed, one ``simulate`` run over the properties the BFS found violated (the learning rows
   without the model's ``absorbing_actions()`` hint), drain hint on (at the
   end of each path, up to DRAIN fair steps, for ``no_silent_stall``), capped at ``--budget``
   seconds and stopped as soon as every one of them is violated. The median over the seeds of
   the seconds (and of the walks) to each property's first find; a property not found in a
   run counts as never, so the median is "not found" when at most half the seeds found it.
3. **Hypothesis**: per (preset, configuration, property), the stateful machine (swarm, focus and hold, ``target()``
   on distinct states, the fuse on) with HYPOTHESIS_EXAMPLES examples of HYPOTHESIS_STEPS
   states, seed 0, no shrinking; the time to the first failure.
4. **Large**: 3 dispatchers, 2 maintainer moves, lossy and duplicating ``requests`` and
   ``responses``, where the BFS does not finish in 10 minutes (run by hand, see
   docs/simulation.md): the distinct violated properties (``no_silent_stall[d2]`` counts as
   ``no_silent_stall``) ``simulate`` reports in ``--large-budget`` seconds per strategy and
   seed, against those the BFS finds with 1 dispatcher at the same bounds. ``--large-failures``
   sets the failures bound of both (the model's default, 2, is for all dispatchers together:
   at 3 dispatchers the two failures mostly hit two dispatchers, and a dispatcher that fails
   again after its restart, which most findings need, becomes rare).

Each search is capped (the budgets above); ``--quick`` runs 2 seeds, budgets of 10 s and 20 s
and fewer Hypothesis examples, to check the script. Seconds are wall time on a shared machine:
the walks are deterministic (the same seed gives the same walks, and the walk numbers printed
beside the seconds), the time they take is not.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from explorer import explore  # noqa: E402
from explorer.schedule import DEFAULT_STRATEGY, TECHNIQUES, UNIFORM, parse_strategy  # noqa: E402
from explorer.simulate import is_hint, simulate  # noqa: E402
from invariants import properties_for  # noqa: E402
from model import RecoverModel, make_config  # noqa: E402

PRESETS = ("pr4139", "design")
CONFIGS = {"default": {}, "2 dispatchers": {"dispatchers": 2}}  # both exhausted by the BFS in ~1 s
LARGE = {"dispatchers": 3, "maintainer_moves": 2, "lossy": "requests,responses",
         "duplicating": "requests,responses"}
DEPTH = 100
DRAIN = 50
HYPOTHESIS_STEPS = 120  # as the fast profile's fuse-on tests (tests/test_stateful.py)
HYPOTHESIS_EXAMPLES = 1000


def base_name(name: str) -> str:
    """``no_silent_stall[d2]`` -> ``no_silent_stall``: one property, whatever the dispatcher."""
    return name.split("[", 1)[0]


def bfs_violations(config, max_seconds: float | None = None) -> dict[str, int]:
    """Property -> states in the BFS's shortest counterexample, for each violated property
    (with ``max_seconds``, those found before the search was cut)."""
    result = explore(RecoverModel(config), properties_for(config), max_seconds=max_seconds)
    return {name: len(v.trace) for name, v in result.verdicts.items() if v.status == "violated"}


class WithoutHint(RecoverModel):
    """The recover model without its ``absorbing_actions()`` hint: what learning alone finds."""

    absorbing_actions = None


def first_finds(config, names, strategy, seed: int, budget: float, hint: bool = True) -> dict[str, tuple[float, int, bool]]:
    """One simulate run over ``names``: property -> (seconds, walk, lasso) of its first find;
    ``lasso`` is False for a liveness find that is only the drain's hint (no fair loop shown)."""
    props = properties_for(config, sorted({base_name(n) for n in names}))
    props = [p for p in props if p.name in names]
    model = (RecoverModel if hint else WithoutHint)(config)
    result = simulate(model, props, runs=None, depth=DEPTH, seed=seed, strategy=strategy,
                      deadlock=False, drain_steps=DRAIN, max_seconds=budget)
    return {name: (f.seconds, f.walk, not is_hint(result.violations[name]))
            for name, f in result.finds.items()}


def median_find(runs: list[dict], name: str) -> tuple[float, float, int, bool]:
    """(median seconds, median walks, seeds that found it, whether any find was only a hint);
    a miss counts as never (inf)."""
    seconds = [r[name][0] if name in r else math.inf for r in runs]
    walks = [r[name][1] if name in r else math.inf for r in runs]
    hints = any(name in r and not r[name][2] for r in runs)
    return statistics.median(seconds), statistics.median(walks), sum(name in r for r in runs), hints


def show_find(median: tuple[float, float, int, bool], seeds: int, budget: float) -> str:
    seconds, walks, found, hints = median
    if math.isinf(seconds):
        return f"not found in {budget:.0f} s ({found}/{seeds})"
    return f"{seconds:.2f} s, walk {walks:,.0f} ({found}/{seeds}{', hint' if hints else ''})"


def hypothesis_find(config, name: str, examples: int) -> str:
    """Whether the stateful machine finds ``name`` violated, and how long it took."""
    from hypothesis import Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from explorer.stateful import PropertyViolation, make_machine

    props = [p for p in properties_for(config, [base_name(name)]) if p.name == name]
    machine = make_machine(lambda: RecoverModel(config), props, HYPOTHESIS_STEPS, seed=0,
                           drain_steps=DRAIN, name=f"Bench_{base_name(name)}")
    started = time.perf_counter()
    try:
        run_state_machine_as_test(machine, settings=settings(
            machine.TestCase.settings, max_examples=examples, database=None, deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]))
    except PropertyViolation as found:
        if found.name == name:
            hint = found.kind.startswith("liveness") and "stuck" not in found.kind
            return f"yes, {time.perf_counter() - started:.1f} s{' (hint)' if hint else ''}"
        raise
    return f"no ({examples:,} examples, {time.perf_counter() - started:.0f} s)"


def strategies(ablation: bool, extra=()) -> list[tuple[str, object, bool]]:
    """(label, strategy, whether the model gives its absorbing-actions hint)."""
    out = [("uniform", UNIFORM, True), (str(DEFAULT_STRATEGY), DEFAULT_STRATEGY, True)]
    out += [(text, parse_strategy(text), True) for text in extra]
    if ablation:
        out += [(t, parse_strategy(t), True) for t in TECHNIQUES if t != "learn"]
        out += [("hold,learn without the hint", parse_strategy("hold,learn"), False),
                (f"{DEFAULT_STRATEGY} without the hint", DEFAULT_STRATEGY, False)]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per simulate run (default 30)")
    parser.add_argument("--large-budget", type=float, default=60.0, help="seconds per large run (default 60)")
    parser.add_argument("--large-seeds", type=int, default=3)
    parser.add_argument("--large-uniform-seeds", type=int, help="seeds of the uniform large runs (default --large-seeds)")
    parser.add_argument("--large-failures", type=int, default=2,
                        help="the failures bound of the large runs and of their 1-dispatcher BFS (default 2, the model's)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 10 s / 20 s budgets, 300 examples")
    parser.add_argument("--no-ablation", action="store_true", help="only uniform and the default strategy")
    parser.add_argument("--no-hypothesis", action="store_true")
    parser.add_argument("--no-large", action="store_true")
    parser.add_argument("--large-only", action="store_true", help="only the large runs (section 4)")
    parser.add_argument("--strategy", action="append",
                        help="another strategy to time beside uniform and the default (repeatable)")
    parser.add_argument("--large-bfs-seconds", type=float, default=600.0,
                        help="cap of the large runs' 1-dispatcher BFS (default 600; it reports what it found)")
    parser.add_argument("--preset", action="append", choices=PRESETS, help="only this preset (repeatable)")
    parser.add_argument("--bounds", action="append", choices=list(CONFIGS), help="only these bounds (repeatable)")
    parser.add_argument("--examples", type=int, help=f"Hypothesis examples (default {HYPOTHESIS_EXAMPLES})")
    args = parser.parse_args(argv)
    examples = HYPOTHESIS_EXAMPLES
    if args.examples:
        examples = args.examples
    if args.quick:
        args.seeds, args.large_seeds, args.budget, args.large_budget, examples = 2, 1, 10.0, 20.0, 300
    seeds = range(args.seeds)
    print(f"# simulation benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores; "
          f"depth {DEPTH}, drain {DRAIN}, {args.seeds} seeds, runs capped at {args.budget:.0f} s")

    if args.large_only:
        large(args)
        return 0
    rows, ablation_rows = [], []
    for (label, overrides), preset in ((c, p) for c in CONFIGS.items() for p in PRESETS
                                       if c[0] in (args.bounds or CONFIGS) and p in (args.preset or PRESETS)):
        config = make_config(preset, overrides)
        bfs = bfs_violations(config)
        print(f"\n## {preset}, {label}: the BFS finds {len(bfs)} violated: "
              + ", ".join(f"{n} ({k})" for n, k in bfs.items()), flush=True)
        finds = {}
        for strategy_label, strategy, hint in strategies(not args.no_ablation, args.strategy or ()):
            runs = []
            for seed in seeds:
                runs.append(first_finds(config, set(bfs), strategy, seed, args.budget, hint))
                print(f"  {strategy_label} seed {seed}: " + ", ".join(
                    f"{n} {s:.2f} s/walk {w}{'' if lasso else ' (hint)'}" for n, (s, w, lasso) in runs[-1].items()),
                    flush=True)
            finds[strategy_label] = {prop: median_find(runs, prop) for prop in bfs}
        for name, shortest in bfs.items():
            hyp = "" if args.no_hypothesis else hypothesis_find(config, name, examples)
            rows.append((preset, label, name, shortest, show_find(finds["uniform"][name], args.seeds, args.budget),
                         show_find(finds[str(DEFAULT_STRATEGY)][name], args.seeds, args.budget), hyp))
            ablation_rows.append((preset, label, name, [finds[s][name][0] for s in finds]))
            print(f"  hypothesis {name}: {hyp}", flush=True)

    print("\n| preset | bounds | property | BFS shortest trace | first find, uniform (before) | "
          f"first find, {DEFAULT_STRATEGY} (after) | found by Hypothesis |")
    print("|---|---|---|---|---|---|---|")
    for preset, label, name, shortest, before, after, hyp in rows:
        print(f"| {preset} | {label} | `{name}` | {shortest} | {before} | {after} | {hyp or 'not run'} |")
    if not args.no_ablation or args.strategy:
        names = [label for label, _, _ in strategies(not args.no_ablation, args.strategy or ())]
        print("\nMedian seconds to the first find per strategy ('-': not found by most seeds):\n")
        print("| preset | bounds | property | " + " | ".join(names) + " |")
        print("|---|---|---|" + "---|" * len(names))
        for preset, label, name, seconds in ablation_rows:
            print(f"| {preset} | {label} | `{name}` | " + " | ".join("-" if math.isinf(s) else f"{s:.2f}" for s in seconds) + " |")

    if not args.no_large:
        large(args)
    return 0


def large(args) -> None:
    bounds = dict(LARGE, failures=args.large_failures)
    one = make_config("pr4139", dict(bounds, dispatchers=1))
    started = time.perf_counter()
    bfs = {base_name(n) for n in bfs_violations(one, args.large_bfs_seconds)}
    seconds = time.perf_counter() - started
    cut = f", cut at {args.large_bfs_seconds:.0f} s" if seconds >= args.large_bfs_seconds else ""
    print(f"\n## large, failures={args.large_failures}: BFS with 1 dispatcher ({seconds:.0f} s{cut}): "
          f"{len(bfs)} distinct violated: {', '.join(sorted(bfs))}", flush=True)
    config = make_config("pr4139", bounds)
    props = properties_for(config)
    print("\n| strategy | seed | walks | distinct violated properties in "
          f"{args.large_budget:.0f} s | which |")
    print("|---|---|---|---|---|")
    uniform_seeds = args.large_seeds if args.large_uniform_seeds is None else args.large_uniform_seeds
    for strategy, seeds in ((UNIFORM, uniform_seeds), (DEFAULT_STRATEGY, args.large_seeds)):
        for seed in range(seeds):
            result = simulate(RecoverModel(config), props, runs=None, depth=DEPTH, seed=seed, strategy=strategy,
                              deadlock=False, drain_steps=DRAIN, max_seconds=args.large_budget)
            found = sorted({base_name(n) for n in result.violations})
            hints = {base_name(n) for n, v in result.violations.items() if is_hint(v)}
            print(f"| {strategy} | {seed} | {result.runs:,} | {len(found)} (BFS, 1 dispatcher: {len(bfs)}) | "
                  f"{', '.join(n + (' (hint)' if n in hints else '') for n in found)} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
