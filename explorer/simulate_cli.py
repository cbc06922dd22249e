"""``recover-check simulate``: seeded random walks over a model, beyond what a BFS can exhaust.

Registered in :mod:`explorer.cli` with one line, ``add_simulate_parser(sub)``; it shares
:mod:`explorer.cli_shared` with the other commands. Exit codes as
``explore``: 0 no violation found (which proves nothing: a walk samples, it does not
exhaust), 1 a violation, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .cli_shared import (EXIT_INTERRUPTED, UsageError, add_model_options, add_output_options, live_line,
                         positive_float, positive_int, target_from_args)
from .report import key_value_grid, roles_or_none, trace_table
from .schedule import CORPUS, DEFAULT_STRATEGY, TECHNIQUES, UNIFORM_NAME, parse_strategy
from .simulate import (ALL_VIOLATED, INTERRUPTED, RUNS_DONE, TIME_UP, SimulationResult, is_hint, simulate,
                       walk_summary)
from .trace import trace_to_json

DEFAULT_RUNS = 1000


def add_simulate_parser(sub) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to ``sub`` (the subparsers of ``build_parser``)."""
    p = sub.add_parser("simulate", help="seeded random walks: bigger configurations than a BFS can exhaust",
                       epilog="exit codes: 0 no walk found a violation (which proves nothing), 1 a violation, "
                              "2 bad input, 130 interrupted (the walks done are reported)")
    add_model_options(p)
    g = p.add_argument_group("walks")
    g.add_argument("--runs", type=positive_int, metavar="N",
                   help=f"walks (default {DEFAULT_RUNS}; with --time, as many as the time allows)")
    g.add_argument("--time", "--max-seconds", dest="time", type=positive_float, metavar="S",
                   help="stop starting walks after S seconds; the output says how many ran and how to "
                        "run exactly those again with --runs")
    g.add_argument("--depth", type=positive_int, default=100, metavar="K",
                   help="states per path, the initial one included; also a walk's budget of K-1 steps "
                        "(default 100)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="the walks' random seed (default 0)")
    g.add_argument("--strategy", default=str(DEFAULT_STRATEGY), metavar="T,...",
                   help=f"how walks choose: {UNIFORM_NAME} (each enabled step alike), or any of "
                        f"{', '.join(TECHNIQUES)} (default {DEFAULT_STRATEGY}; docs/simulation.md)")
    g.add_argument("--drain", type=int, default=0, metavar="N",
                   help="at the end of each path, take up to N fair steps and report a liveness P that met "
                        "no Q (a hint, not a proof; default 0: liveness not checked)")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    add_output_options(p, "the result (and traces)")
    p.set_defaults(func=cmd_simulate)
    return p


def cmd_simulate(args, out: Console, err: Console) -> int:
    if args.drain < 0:
        raise UsageError(f"--drain must be at least 0, got {args.drain}")
    try:
        strategy = parse_strategy(args.strategy)
    except ValueError as exc:
        raise UsageError(f"--strategy: {exc}") from None
    target = target_from_args(args)
    live, update = _progress_display(err, args.quiet)
    runs = args.runs if args.runs is not None or args.time is not None else DEFAULT_RUNS
    options = dict(runs=runs, depth=args.depth, seed=args.seed, strategy=strategy,
                   deadlock=not args.no_deadlock, drain_steps=args.drain, max_seconds=args.time,
                   progress=update)
    if live is None:
        result = simulate(target.model, target.properties, **options)
    else:
        with live:
            result = simulate(target.model, target.properties, **options)
    if args.json:
        print(json.dumps(simulation_to_json(target.model, result, target.context), indent=2))
    else:
        print_simulation(out, target.model, result, target.title, full=args.full, properties=target.properties)
    return EXIT_INTERRUPTED if result.interrupted else result.exit_code


def _walk_line(stats: dict) -> str:
    return (f"runs {stats['runs']:,}  steps {stats['steps']:,}  distinct {stats['distinct']:,}"
            f"  violated {stats['violations']}  {stats['elapsed']:.0f} s")


def _progress_display(console: Console, quiet: bool):
    """A live line of walk statistics on a terminal; nothing otherwise."""
    return live_line(console, quiet, "simulating…", _walk_line)


STOPS = {
    RUNS_DONE: "",
    TIME_UP: "the time budget ran out",
    ALL_VIOLATED: "every checked property is violated",
    INTERRUPTED: "interrupted",
}


def reproduce_hint(result: SimulationResult) -> str:
    """The options that run exactly these walks again, when a time budget, an early stop or an
    interruption decided how many ran."""
    if result.stopped == RUNS_DONE:
        return ""
    return f"--runs {result.runs} --seed {result.seed} --depth {result.depth} --strategy {result.strategy}"


def _share(n: int, total: int) -> str:
    return f"{n:,} ({100 * n / total:.0f}%)" if total else f"{n:,}"


def simulation_panel(result: SimulationResult, title: str) -> Panel:
    summary = walk_summary(result)
    rate = result.steps / result.elapsed if result.elapsed > 0 else 0.0
    stop = STOPS[result.stopped]
    rows = [
        ("search", "random walks (a sample: no violation found proves nothing)"),
        ("strategy", str(result.strategy)),
        ("runs", f"{result.runs:,} walks, paths of ≤ {result.depth} states (seed {result.seed})"
         + (f"; stopped: {stop}" if stop else "")),
    ]
    if reproduce_hint(result):
        rows.append(("reproduce", f"the same walks: {reproduce_hint(result)}"))
    lengths = summary["path_length"]
    rows += [
        ("steps taken", f"{result.steps:,} ({rate:,.0f}/s), {summary['restarts']:,} restarts"
         + (f"; {summary['walks_from_corpus']:,} walks went on from the corpus" if CORPUS in result.strategy else "")),
        ("distinct states", f"{result.distinct:,}"),
        ("time", f"{result.elapsed:.2f} s"),
        ("path lengths", f"mean {lengths['mean']:.1f}; " + ", ".join(
            f"{k} {lengths[k]}" for k in ("min", "p10", "median", "p90", "max")) + f" ({summary['paths']:,} paths)"
         if lengths else "no path"),
        ("why paths ended", ", ".join(f"{why} {_share(n, summary['paths'])}" for why, n in summary["ends"].items())),
        ("held back", _held(result)),
        ("new states / 1,000 steps", "by tenth of the walks: "
         + " ".join(f"{s['per_1000_steps']:.0f}" for s in summary["new_states"])),
        ("walks with a violation", _share(summary["walks_with_a_violation"], result.runs)),
    ]
    return Panel(Group(key_value_grid(rows), Text(""), _verdicts_table(result)), title=title, expand=False)


def _held(result: SimulationResult) -> str:
    if "hold" not in result.strategy:
        return "nothing (no 'hold' in the strategy)"
    parts = []
    if result.declared:
        parts.append(" ".join(sorted(result.declared)) + " (the model's absorbing actions)")
    if result.learned:
        parts.append(" ".join(sorted(result.learned)) + " (learned: they ended paths)")
    return "; ".join(parts) or "nothing (no absorbing action declared or learned)"


def _verdicts_table(result: SimulationResult) -> Table:
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("property", no_wrap=True)
    for column in ("verdict", "shortest trace"):
        table.add_column(column)
    for name in result.checked:
        v = result.violations.get(name)
        if v is None:
            table.add_row(Text(name), Text("not violated", style="green"), "")
        else:
            table.add_row(Text(name), Text("violated", style="bold red"), f"{len(v.trace)} states")
    for name in result.skipped:
        table.add_row(Text(name), Text("not checked by walks", style="dim"), "")
    return table


def actions_table(result: SimulationResult) -> Table:
    table = Table(title="actions taken", show_header=True, header_style="bold")
    for column, justify in (("action", "left"), ("steps", "right"), ("share", "right"),
                            ("as a last resort", "right")):
        table.add_column(column, justify=justify)
    for row in walk_summary(result)["actions"]:
        table.add_row(row["action"], f"{row['steps']:,}", f"{100 * row['share']:.1f}%",
                      f"{row['last_resort']:,}" if row["last_resort"] else "")
    table.caption = "last resort: the walk's configuration preferred no enabled step (switched off, out of focus or held back)"
    return table


def finds_text(result: SimulationResult) -> Text:
    """Which configuration found which violation: per property the first walk that found it and
    its configuration (actions the simulation never took left out), how many walks found it,
    and with swarm the actions on in clearly more (triggers) or fewer (suppressors) than half
    of those walks (99% Wilson interval; each walk switches each action off with chance 1/2)."""
    effects = walk_summary(result)["swarm"]
    taken = set(result.stats.actions)
    text = Text("who found what\n", style="bold")
    for name, find in result.finds.items():
        text.append(f"  {name}", style="bold")
        text.append(f": first by walk {find.walk:,} ({find.seconds:.1f} s), {find.walks:,} "
                    f"walk{'s' if find.walks != 1 else ''} in all\n")
        text.append(f"      its configuration: {find.config.describe(taken)}\n")
        effect = effects.get(name)
        if effect and (effect["triggers"] or effect["suppressors"]):
            text.append(f"      triggers: {' '.join(effect['triggers']) or '-'}; "
                        f"suppressors: {' '.join(effect['suppressors']) or '-'}\n")
    return text


def print_simulation(console: Console, model, result: SimulationResult, title: str, full: bool = False,
                     properties=()) -> None:
    console.print(simulation_panel(result, f"simulation: {title}"))
    console.print(actions_table(result))
    if result.finds:
        console.print(finds_text(result))
    for v in result.violations.values():
        table = trace_table(model, v.trace, f"shortest trace found: {v.name}", full=full,
                            roles=roles_or_none(model, properties, v))
        if v.message:
            table.caption = " ".join(filter(None, (table.caption, v.message)))
        console.print(table)


def simulation_to_json(model, result: SimulationResult, context: dict | None = None) -> dict:
    """The result as JSON; ``seconds`` and ``first_seconds`` are the only timing fields."""
    summary = walk_summary(result)
    effects = summary.pop("swarm")
    return {
        "model": context or {},
        "runs": result.runs,
        "depth": result.depth,
        "seed": result.seed,
        "strategy": str(result.strategy),
        "stopped": result.stopped,
        "reproduce": reproduce_hint(result),
        "steps": result.steps,
        "distinct_states": result.distinct,
        "seconds": round(result.elapsed, 3),
        "interrupted": result.interrupted,
        "held_back": {"declared": sorted(result.declared), "learned": sorted(result.learned)},
        "walks": summary,
        "properties": {
            **{name: {"verdict": "not violated", "trace": None} for name in result.checked},
            # a liveness trace that is no lasso is the drain's hint ("exhausted"), not a counterexample
            **{v.name: {"kind": v.kind, "verdict": "violated", "message": v.message,
                        "first_walk": result.finds[v.name].walk,
                        "first_seconds": round(result.finds[v.name].seconds, 3),
                        "walks": result.finds[v.name].walks,
                        "config": result.finds[v.name].config.to_json(),
                        **effects.get(v.name, {}),
                        "hint": is_hint(v),
                        "trace": trace_to_json(model, v.trace)} for v in result.violations.values()},
            **{name: {"verdict": "not checked", "trace": None} for name in result.skipped},
        },
    }
