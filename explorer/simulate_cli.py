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
from .simulate import SimulationResult, simulate
from .trace import trace_to_json


def add_simulate_parser(sub) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to ``sub`` (the subparsers of ``build_parser``)."""
    p = sub.add_parser("simulate", help="seeded random walks: bigger configurations than a BFS can exhaust",
                       epilog="exit codes: 0 no walk found a violation (which proves nothing), 1 a violation, "
                              "2 bad input, 130 interrupted (the walks done are reported)")
    add_model_options(p)
    g = p.add_argument_group("walks")
    g.add_argument("--runs", type=positive_int, default=1000, metavar="N", help="walks (default 1000)")
    g.add_argument("--depth", type=positive_int, default=100, metavar="K",
                   help="states per walk, the initial one included (default 100)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="the walks' random seed (default 0)")
    g.add_argument("--drain", type=int, default=0, metavar="N",
                   help="after each walk, take up to N fair steps and report a liveness P that met no Q "
                        "(a hint, not a proof; default 0: liveness not checked)")
    g.add_argument("--max-seconds", type=positive_float, metavar="S", help="stop starting walks after S seconds")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    add_output_options(p, "the result (and traces)")
    p.set_defaults(func=cmd_simulate)
    return p


def cmd_simulate(args, out: Console, err: Console) -> int:
    if args.drain < 0:
        raise UsageError(f"--drain must be at least 0, got {args.drain}")
    target = target_from_args(args)
    live, update = _progress_display(err, args.quiet)
    options = dict(runs=args.runs, depth=args.depth, seed=args.seed, deadlock=not args.no_deadlock,
                   drain_steps=args.drain, max_seconds=args.max_seconds, progress=update)
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


def simulation_panel(result: SimulationResult, title: str) -> Panel:
    rate = result.steps / result.elapsed if result.elapsed > 0 else 0.0
    rows = [
        ("search", "random walks (a sample: no violation found proves nothing)"
         + (" [yellow]interrupted[/]" if result.interrupted else "")),
        ("runs", f"{result.runs:,} of depth ≤ {result.depth} (seed {result.seed})"),
        ("steps taken", f"{result.steps:,} ({rate:,.0f}/s)"),
        ("distinct states", f"{result.distinct:,}"),
        ("time", f"{result.elapsed:.2f} s"),
    ]
    grid = key_value_grid(rows)
    verdicts = Table(show_header=True, header_style="bold", box=None)
    for column in ("property", "verdict", "shortest trace"):
        verdicts.add_column(column)
    for name in result.checked:
        v = result.violations.get(name)
        if v is None:
            verdicts.add_row(Text(name), Text("not violated", style="green"), "")
        else:
            verdicts.add_row(Text(name), Text("violated", style="bold red"), f"{len(v.trace)} states")
    for name in result.skipped:
        verdicts.add_row(Text(name), Text("not checked by walks", style="dim"), "")
    return Panel(Group(grid, Text(""), verdicts), title=title, expand=False)


def print_simulation(console: Console, model, result: SimulationResult, title: str, full: bool = False,
                     properties=()) -> None:
    console.print(simulation_panel(result, f"simulation: {title}"))
    for v in result.violations.values():
        table = trace_table(model, v.trace, f"shortest trace found: {v.name}", full=full,
                            roles=roles_or_none(model, properties, v))
        if v.message:
            table.caption = " ".join(filter(None, (table.caption, v.message)))
        console.print(table)


def simulation_to_json(model, result: SimulationResult, context: dict | None = None) -> dict:
    return {
        "model": context or {},
        "runs": result.runs,
        "depth": result.depth,
        "seed": result.seed,
        "steps": result.steps,
        "distinct_states": result.distinct,
        "seconds": round(result.elapsed, 3),
        "interrupted": result.interrupted,
        "properties": {
            **{name: {"verdict": "not violated", "trace": None} for name in result.checked},
            # a liveness trace that is no lasso is the drain's hint ("exhausted"), not a counterexample
            **{v.name: {"kind": v.kind, "verdict": "violated", "message": v.message,
                        "hint": v.kind == "liveness" and not v.trace.is_lasso,
                        "trace": trace_to_json(model, v.trace)} for v in result.violations.values()},
            **{name: {"verdict": "not checked", "trace": None} for name in result.skipped},
        },
    }

