"""The ``recover-check`` command line: the one module that wires the engine, the model and the
properties together (the engine itself knows neither).

Exit codes: 0 every property holds, 1 a violation, 2 bad input (one line, no traceback),
3 incomplete (a bound cut the search), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

import attrs
from rich.console import Console
from rich.live import Live
from rich.text import Text

from .batched import is_vectorised
from .examples import EXAMPLES
from .export import write_dot, write_graphml
from .report import print_result, result_to_json, trace_table
from .result import Result
from .search import ENGINES, explore
from .symmetry import SymmetricModel, check_symmetry_safe
from .trace import TraceError, replay_trace, trace_rows

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(message)


@attrs.frozen
class Target:
    """What to explore: a model, its properties, and how to rebuild it (for JSON round trips)."""

    model: Any
    properties: list
    context: dict[str, Any]
    title: str


# -- targets ---------------------------------------------------------------------------------
def _parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} takes key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def example_target(name: str, params: dict[str, Any]) -> Target:
    factory = EXAMPLES.get(name)
    if factory is None:
        raise UsageError(f"unknown example {name!r} (known: {', '.join(sorted(EXAMPLES))})")
    try:
        model = factory(**{k: int(v) for k, v in params.items()})
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad parameter for example {name}: {exc}") from None
    return Target(model, model.properties(), {"example": name, "params": dict(params)},
                  f"{name} {' '.join(f'{k}={v}' for k, v in params.items())}".strip())


def recover_target(preset: str, overrides: dict[str, Any]) -> Target:
    from model import ConfigError, RecoverModel, make_config

    try:
        config = make_config(preset, overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    model = RecoverModel(config)
    return Target(model, _recover_properties(config), {"preset": preset, "config": dict(overrides)},
                  f"recover model, preset {preset}")


def _recover_properties(config) -> list:
    try:
        from invariants import properties_for
    except ImportError:  # the properties arrive with the findings catalog
        return []
    return properties_for(config)


def target_from_context(context: dict[str, Any]) -> Target:
    if not isinstance(context, dict):
        raise UsageError("the JSON has no 'model' object to rebuild the model from")
    if "example" in context:
        return example_target(context["example"], context.get("params") or {})
    if "preset" in context:
        return recover_target(context["preset"], context.get("config") or {})
    raise UsageError("the JSON's 'model' names neither an example nor a preset")


BOUND_FLAGS = {  # flag -> config key of the recover model
    "dispatchers": "dispatchers",
    "messages_per_instance": "messages_per_instance",
    "maintainer_moves": "maintainer_moves",
    "other_operators": "other_operators",
    "channel_capacity": "channel_capacity",
    "lossy": "lossy",
    "duplicating": "duplicating",
    "restart_budget": "restart_budget",
}


def target_from_args(args) -> Target:
    if args.preset is not None:
        overrides: dict[str, Any] = _parse_pairs(args.set, "--set")
        for flag, key in BOUND_FLAGS.items():
            value = getattr(args, flag, None)
            if value is not None:
                overrides[key] = value
        return recover_target(args.preset, overrides)
    return example_target(args.example or "two_phase_commit", _parse_pairs(args.param, "--param"))


# -- commands --------------------------------------------------------------------------------
def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to explore")
    g.add_argument("--example", help=f"a bundled example model ({', '.join(sorted(EXAMPLES))})")
    g.add_argument("--param", action="append", metavar="K=V", help="an example's parameter, e.g. rms=5")
    g.add_argument("--preset", help="the recover model with a preset: pr4139, design, proposed")
    g.add_argument("--set", action="append", metavar="KNOB=VALUE", help="override a knob or bound")
    for flag in BOUND_FLAGS:
        g.add_argument("--" + flag.replace("_", "-"), dest=flag, metavar="VALUE")


def _add_bounds(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("bounds (a cut search reports 'incomplete', never 'holds')")
    g.add_argument("--max-states", type=_positive_int, metavar="N")
    g.add_argument("--max-depth", type=_positive_int, metavar="N")
    g.add_argument("--max-seconds", type=_positive_float, metavar="S")
    g.add_argument("--max-memory", type=_positive_float, metavar="MB", help="RSS growth allowed")
    g.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="search on N processes (safety properties only; same results): batched, the "
                        "visited set split by fingerprint, over a vectorised model; else one state at a time")
    g.add_argument("--engine", choices=ENGINES, default="auto",
                   help="states: one at a time (liveness, graphs); batched: fingerprint mode "
                        "(least memory; vectorised where the model is); auto: batched for a "
                        "vectorised model without liveness or graph export, else states")


def _add_symmetry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--symmetry", action="store_true",
                   help="treat dispatchers as interchangeable (safety only; needs --set resend_order=any)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _progress_display(console: Console, quiet: bool):
    """A live line of search statistics on a terminal; nothing otherwise."""
    if quiet or not console.is_terminal:
        return None, None
    live = Live(Text("exploring…"), console=console, transient=True, refresh_per_second=4)

    def update(stats: dict) -> None:
        rate = stats["distinct"] / stats["elapsed"] if stats["elapsed"] else 0.0
        live.update(Text(f"states {stats['distinct']:,} ({rate:,.0f}/s)  generated {stats['generated']:,}"
                         f"  queue {stats['queue']:,}  depth {stats['depth']}  {stats['elapsed']:.0f} s"))

    return live, update


def with_symmetry(target: Target, args) -> Target:
    """``--symmetry``: search up to renaming of dispatchers (explorer/symmetry.py). ``explore``
    leaves the liveness properties out (and says so in its title); ``check`` refuses one."""
    if not getattr(args, "symmetry", False):
        return target
    if getattr(args, "graphml", None) or getattr(args, "dot", None):
        raise UsageError("--symmetry explores orbits, not states: no --graphml/--dot with it")
    properties = target.properties
    if args.command == "explore":
        properties = [p for p in properties if p.kind != "liveness"]
    try:
        check_symmetry_safe(properties)
        model = SymmetricModel(target.model)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return attrs.evolve(target, model=model, properties=properties,
                        title=f"{target.title}, safety only, up to dispatcher symmetry")


def run_search(target: Target, args, err: Console) -> Result:
    live, update = _progress_display(err, getattr(args, "quiet", False))
    options = dict(max_states=args.max_states, max_depth=args.max_depth,
                   max_seconds=args.max_seconds, max_memory_mb=args.max_memory,
                   stop_at_first=getattr(args, "stop_at_first", False),
                   deadlock=not getattr(args, "no_deadlock", False),
                   keep_graph=bool(getattr(args, "graphml", None) or getattr(args, "dot", None)),
                   progress=update, workers=getattr(args, "workers", 1),
                   engine=getattr(args, "engine", "auto"))
    needs_graph = options["keep_graph"] or any(p.kind == "liveness" for p in target.properties)
    if options["workers"] > 1 and needs_graph:
        raise UsageError("liveness properties and --graphml/--dot need the whole graph in one process: "
                         "use --workers 1")
    if options["engine"] == "batched":
        if needs_graph:
            raise UsageError("--engine batched cannot check liveness or export the graph: use --engine states")
        if options["workers"] > 1 and not is_vectorised(target.model):
            raise UsageError("--engine batched runs on several workers only over a vectorised model; "
                             "this one is searched one state at a time on several (--engine states)")
    if live is None:
        return explore(target.model, target.properties, **options)
    with live:
        return explore(target.model, target.properties, **options)


def cmd_explore(args, out: Console, err: Console) -> int:
    return cmd_explore_target(with_symmetry(target_from_args(args), args), args, out, err)


def cmd_explore_target(target: Target, args, out: Console, err: Console) -> int:
    result = run_search(target, args, err)
    if args.graphml:
        write_graphml(target.model, result, args.graphml)
    if args.dot:
        write_dot(target.model, result, args.dot)
    if args.json:
        print(json.dumps(result_to_json(target.model, result, target.context), indent=2))
    else:
        print_result(out, target.model, result, target.title, full=args.full)
    return EXIT_INTERRUPTED if result.interrupted else result.exit_code


def cmd_verify_trace(args, out: Console, err: Console) -> int:
    data = _load_json(args.file)
    target = target_from_context(data.get("model") if isinstance(data, dict) else None)
    traces = {name: prop.get("trace") for name, prop in (data.get("properties") or {}).items()
              if isinstance(prop, dict) and prop.get("trace")}
    if not traces:
        raise UsageError(f"{args.file} holds no trace to verify")
    for name, trace in traces.items():
        try:
            rebuilt = replay_trace(target.model, trace)
        except TraceError as exc:
            raise UsageError(f"{name}: {exc}") from None
        out.print(f"[green]ok[/] {name}: {len(rebuilt)} steps replay on {target.title}"
                  + (f", lasso back to step {rebuilt.loop + 1}" if rebuilt.is_lasso else ""))
    return 0


def _load_json(path: str) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None


def cmd_replay(args, out: Console, err: Console) -> int:
    from model import RecoverModel, ScenarioError
    from model.scenario import load_scenario, replay

    try:
        scenario = load_scenario(args.file)
        steps = replay(scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    model = RecoverModel(scenario.config)
    final = steps[-1][1]
    if args.trace:
        from .result import Step, Trace

        trace = Trace(tuple(Step(a, s) for a, s in steps))
        if args.json:
            rows = trace_rows(model, trace)
            print(json.dumps({"steps": rows, "observation": model.observe(final)}, indent=2, default=str))
            return 0
        out.print(trace_table(model, trace, f"replay of {args.file}"))
    if args.json:
        print(json.dumps(model.observe(final), indent=2, default=str))
    elif not args.trace:
        out.print_json(json.dumps(model.observe(final), default=str))
    return 0


# -- the findings catalog, traces, single checks and preset diffs --------------------------
def _catalog():
    from invariants import findings

    return findings


def _selected_findings(ids: Sequence[str] | None):
    catalog = _catalog()
    if not ids:
        return list(catalog.FINDINGS)
    unknown = [i for i in ids if i not in catalog.BY_ID]
    if unknown:
        raise UsageError(f"unknown finding {unknown[0]!r} (known: {', '.join(catalog.BY_ID)})")
    return [catalog.BY_ID[i] for i in ids]


def _presets(names: Sequence[str] | None) -> list[str]:
    from invariants.catalog import PRESET_ORDER
    from model import PRESETS

    chosen = list(names) if names else list(PRESET_ORDER)
    for name in chosen:
        if name not in PRESETS:
            raise UsageError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return chosen


def cmd_findings(args, out: Console, err: Console) -> int:
    from rich.progress import Progress

    from invariants.catalog import decide
    from invariants.report import markdown_report, verdict_to_json

    pins = _catalog().PINNED
    jobs = [(f, p) for f in _selected_findings(args.id) for p in _presets(args.preset)]
    verdicts = []
    show = not args.quiet and err.is_terminal
    with Progress(console=err, transient=True, disable=not show) as progress:
        task = progress.add_task("checking findings", total=len(jobs))
        for finding, preset in jobs:
            progress.update(task, description=f"{finding.id} on {preset}")
            verdicts.append(decide(finding, preset))
            progress.advance(task)
    mismatches = [v for v in verdicts if pins.get((v.finding.id, v.preset)) not in (None, v.status)]
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_report(verdicts, pins))
    if args.json:
        print(json.dumps([verdict_to_json(v, pins.get((v.finding.id, v.preset))) for v in verdicts], indent=2))
    else:
        out.print(_findings_table(verdicts, pins))
        total = sum(v.seconds for v in verdicts)
        out.print(f"{len(verdicts)} verdicts, {sum(v.states for v in verdicts):,} states explored in {total:.1f} s"
                  + (f"; report written to {args.markdown}" if args.markdown else ""))
        for v in mismatches:
            out.print(f"[bold red]{v.finding.id} on {v.preset}: the model says {v.status}, "
                      f"the tests pin {pins[(v.finding.id, v.preset)]}[/]")
    return 1 if mismatches else 0


def _findings_table(verdicts, pins):
    from rich.table import Table

    from .report import VERDICT_STYLE

    table = Table(title="findings x presets", header_style="bold", show_lines=False)
    for column in ("finding", "preset", "documents claim", "model says", "states", "time", "trace"):
        table.add_column(column, justify="right" if column in ("states", "time", "trace") else "left")
    for v in verdicts:
        style = VERDICT_STYLE.get(v.status, "magenta")
        claimed = v.finding.claimed if v.preset != "pr4139" else None
        disagree = claimed is not None and claimed != v.status
        said = Text(v.status + (" ≠ claim" if disagree else ""), style=style + (" reverse" if disagree else ""))
        pin = pins.get((v.finding.id, v.preset))
        if pin is not None and pin != v.status:
            said.append(f" (pinned {pin})", style="bold red")
        shown = v.counterexample
        table.add_row(v.finding.id, v.preset, v.finding.claimed or "—", said, f"{v.states:,}",
                      f"{v.seconds:.2f}s", str(len(shown.trace)) if shown and shown.trace else "")
    return table


def cmd_trace(args, out: Console, err: Console) -> int:
    from invariants.catalog import decide
    from invariants.report import reproduce_command, step_rows

    finding = _selected_findings([args.id])[0]
    verdict = decide(finding, _presets([args.preset])[0])
    shown = verdict.counterexample
    if shown is None or shown.trace is None:
        out.print(f"{finding.id} on {args.preset}: {verdict.status}; no counterexample")
        return 0 if verdict.status != "incomplete" else 3
    if args.format == "json":
        from .trace import trace_to_json

        print(json.dumps({"finding": finding.id, "preset": args.preset, "verdict": verdict.status,
                          "property": shown.property_name, "command": reproduce_command(shown),
                          "trace": trace_to_json(shown.model, shown.trace),
                          "steps": step_rows(shown.model, shown.trace)}, indent=2, default=str))
    elif args.format == "mermaid":
        from .trace import mermaid_sequence

        print(mermaid_sequence(shown.model, shown.trace))
    else:
        out.print(f"{finding.id} on {args.preset}: [bold]{verdict.status}[/]; reproduce: {reproduce_command(shown)}")
        out.print(trace_table(shown.model, shown.trace, f"counterexample: {shown.property_name}", full=args.full))
    return 1


def cmd_check(args, out: Console, err: Console) -> int:
    from invariants import PROPERTY_NAMES, properties_for

    if args.preset is None:
        raise UsageError("check needs --preset (pr4139, design or proposed)")
    if args.property not in PROPERTY_NAMES:
        raise UsageError(f"unknown property {args.property!r} (known: {', '.join(PROPERTY_NAMES)})")
    target = target_from_args(args)
    target = attrs.evolve(target, properties=properties_for(target.model.config, [args.property]))
    target = with_symmetry(target, args)
    args.no_deadlock = True
    return cmd_explore_target(target, args, out, err)


def cmd_diff(args, out: Console, err: Console) -> int:
    from invariants import properties_for
    from rich.table import Table

    sides = []
    for preset in (args.a, args.b):
        args.preset = preset
        target = target_from_args(args)
        target = attrs.evolve(target, properties=properties_for(target.model.config, args.property or None))
        sides.append((preset, target, run_search(target, args, err)))
    (a, ta, ra), (b, tb, rb) = sides
    table = Table(title=f"{a} -> {b}: property verdicts", header_style="bold")
    for column in ("property", a, b, "changed"):
        table.add_column(column)
    changed = []
    for name in dict.fromkeys(list(ra.verdicts) + list(rb.verdicts)):
        va, vb = ra.verdicts.get(name), rb.verdicts.get(name)
        sa, sb = (va.status if va else "-"), (vb.status if vb else "-")
        table.add_row(name, sa, sb, "yes" if sa != sb else "")
        if sa != sb:
            changed.append((name, va, vb))
    out.print(table)
    out.print(f"states: {a} {ra.distinct:,}, {b} {rb.distinct:,}")
    fired_a = {c.name for c in ra.coverage if c.fired}
    fired_b = {c.name for c in rb.coverage if c.fired}
    for label, names in (("actions enabled only in " + b, fired_b - fired_a), ("actions enabled only in " + a, fired_a - fired_b)):
        out.print(f"{label}: {', '.join(sorted(names)) or 'none'}")
    for name, va, vb in changed:
        if vb is not None and vb.trace is not None:
            out.print(trace_table(tb.model, vb.trace, f"newly reachable in {b}: {name}"))
        if va is not None and va.trace is not None:
            out.print(trace_table(ta.model, va.trace, f"no longer reachable in {b} (shown on {a}): {name}"))
    if not changed:
        out.print("no property changed verdict")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="recover-check", description="Model checker for TiCDC's recover-dispatcher protocol.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("explore", help="explore every reachable state and check the properties")
    _add_model_options(p)
    _add_bounds(p)
    p.add_argument("--stop-at-first", action="store_true", help="stop at the first violation")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    p.add_argument("--json", action="store_true", help="print the result (and traces) as JSON")
    p.add_argument("--full", action="store_true", help="show every field in traces, not only changes")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--graphml", metavar="FILE", help="write the explored graph as GraphML")
    p.add_argument("--dot", metavar="FILE", help="write the explored graph as Graphviz DOT")
    _add_symmetry(p)
    p.set_defaults(func=cmd_explore)

    p = sub.add_parser("findings", help="verdict of every finding on every preset (the main job)")
    p.add_argument("--id", action="append", help="only this finding (repeatable)")
    p.add_argument("--preset", action="append", help="only this preset (repeatable)")
    p.add_argument("--json", action="store_true", help="the reviewer report as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the reviewer report as Markdown")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_findings)

    p = sub.add_parser("trace", help="the counterexample of one finding on one preset")
    p.add_argument("id")
    p.add_argument("--preset", required=True)
    p.add_argument("--format", choices=("table", "json", "mermaid"), default="table")
    p.add_argument("--full", action="store_true", help="show every field, not only changes")
    p.set_defaults(func=cmd_trace)

    for name, helptext in (("check", "check one property exhaustively on any configuration"),
                           ("diff", "compare two presets on the same configuration")):
        p = sub.add_parser(name, help=helptext)
        if name == "check":
            p.add_argument("--property", required=True)
            _add_symmetry(p)
        else:
            p.add_argument("a", help="the preset before")
            p.add_argument("b", help="the preset after")
            p.add_argument("--property", action="append", help="only these properties")
        _add_model_options(p)
        _add_bounds(p)
        p.add_argument("--json", action="store_true")
        p.add_argument("--full", action="store_true")
        p.add_argument("--quiet", action="store_true")
        p.set_defaults(func=cmd_check if name == "check" else cmd_diff, graphml=None, dot=None,
                       stop_at_first=False)

    from .simulate_cli import add_simulate_parser  # it builds on this module's helpers

    add_simulate_parser(sub)

    p = sub.add_parser("verify-trace", help="replay the traces of an explore --json output")
    p.add_argument("file")
    p.set_defaults(func=cmd_verify_trace)

    p = sub.add_parser("replay", help="run a scenario file of the recover model")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the observation as JSON")
    p.add_argument("--trace", action="store_true", help="print every step and the fields it changed")
    p.set_defaults(func=cmd_replay)
    return parser


def default_args(parser: argparse.ArgumentParser) -> list[str]:
    """What ``recover-check`` with no arguments runs: the findings report."""
    return ["findings"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = Console(), Console(stderr=True)
    parser = build_parser()
    try:
        args = parser.parse_args(argv or default_args(parser))
        if args.command is None:
            raise UsageError("name a command (see --help)")
        return args.func(args, out, err)
    except UsageError as exc:
        print(f"recover-check: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("recover-check: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
