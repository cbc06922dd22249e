"""The ``recover-check`` command line: the parser and the commands. With
:mod:`explorer.cli_shared` (what the commands share) and :mod:`explorer.simulate_cli` (the
``simulate`` command) it is the one place that wires the engine, the model and the properties
together (the engine itself knows neither).

Exit codes: 0 every property holds, 1 a violation, 2 bad input (one line, no traceback),
3 incomplete (a bound cut the search), 130 interrupted, 141 stdout's reader went away (a pipe
into ``head``: quiet, as Unix tools are). ``diff``, ``replay``, ``verify-trace`` and ``trace``
read 0 and 1 their own way; each command's ``--help`` says how.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Sequence

import attrs
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from .batched import is_vectorised
from .checker import ENGINES, explore
from .cli_shared import (EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_CODES, EXIT_INCOMPLETE, EXIT_INTERRUPTED,
                         QUIET_HELP, Parser, Target, UsageError, add_config_options, add_model_options,
                         add_output_options, config_overrides, every_property, example_target, live_line,
                         pick_properties, positive_float, positive_int, preset_names, recover_target,
                         target_from_args, target_from_context)
from .evidence import evidence
from .examples import EXAMPLES
from .explain import MAX_NODES
from .export import write_dot, write_graphml
from .properties import DEADLOCK
from .report import print_result, result_to_json, trace_table
from .result import INCOMPLETE, Result
from .simulate_cli import add_simulate_parser
from .symmetry import SymmetricModel, check_symmetry_safe
from .trace import TraceError, replay_trace, trace_rows, trace_to_json


def _add_bounds(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("bounds (a cut search reports 'incomplete', never 'holds')")
    g.add_argument("--max-states", type=positive_int, metavar="N", help="stop after N distinct states")
    g.add_argument("--max-depth", type=positive_int, metavar="N",
                   help="explore N levels (the initial states are level 1)")
    g.add_argument("--max-seconds", type=positive_float, metavar="S", help="stop after S seconds")
    g.add_argument("--max-memory", type=positive_float, metavar="MB", help="stop when the RSS grew by MB")
    g.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="search on N processes (same results): batched, the visited set split by "
                        "fingerprint, over a vectorised model without liveness; else one state at a time, "
                        "the graph kept for liveness (then checked on N processes too) (default 1)")
    g.add_argument("--engine", choices=ENGINES, default="auto",
                   help="states: one at a time (liveness, graphs); batched: fingerprint mode "
                        "(least memory; vectorised where the model is); auto (default): batched for a "
                        "vectorised model without liveness or graph export, else states")


def _add_symmetry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--symmetry", action="store_true",
                   help="treat dispatchers as interchangeable (safety only; needs --set resend_order=any)")


def _search_line(stats: dict) -> str:
    rate = stats["distinct"] / stats["elapsed"] if stats["elapsed"] else 0.0
    return (f"states {stats['distinct']:,} ({rate:,.0f}/s)  generated {stats['generated']:,}"
            f"  queue {stats['queue']:,}  depth {stats['depth']}  {stats['elapsed']:.0f} s")


def _progress_display(console: Console, quiet: bool):
    """A live line of search statistics on a terminal; nothing otherwise."""
    return live_line(console, quiet, "exploring…", _search_line)


# -- files -------------------------------------------------------------------------------------
def check_writable(path: str | None, option: str) -> None:
    """Fail before a long run, not after it, when an output file cannot be written. The file
    is opened for appending (nothing written) and removed again if it did not exist."""
    if path is None:
        return
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a directory")
    existed = os.path.exists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from None
    if not existed:
        os.remove(path)


def write_output(path: str, option: str, write: Callable[[str], None]) -> None:
    try:
        write(path)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from None


def read_text(path: str) -> str:
    from model import ScenarioError
    from model.scenario import read_file  # the one reader of a JSON file with one-line errors

    try:
        return read_file(path)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None


def load_json(path: str) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise UsageError(f"{path} is not JSON this tool reads: nested too deeply") from None


# -- explore and check -----------------------------------------------------------------------
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
    check_writable(args.graphml, "--graphml")
    check_writable(args.dot, "--dot")
    result = run_search(target, args, err)
    if args.graphml:
        write_output(args.graphml, "--graphml", lambda path: write_graphml(target.model, result, path))
    if args.dot:
        write_output(args.dot, "--dot", lambda path: write_dot(target.model, result, path))
    if args.json:
        print(json.dumps(result_to_json(target.model, result, target.context), indent=2))
    else:
        print_result(out, target.model, result, target.title, full=args.full, properties=target.properties)
    return EXIT_INTERRUPTED if result.interrupted else result.exit_code


def cmd_check(args, out: Console, err: Console) -> int:
    target = target_from_args(args)
    target = attrs.evolve(target, properties=pick_properties(target, [args.property]))
    target = with_symmetry(target, args)
    args.no_deadlock = True
    return cmd_explore_target(target, args, out, err)


# -- verify-trace and replay -------------------------------------------------------------------
def is_scenario(data: Any) -> bool:
    """A scenario file (docs/protocol.md, "Scenarios"), as opposed to a result with traces."""
    return isinstance(data, dict) and "steps" in data and "properties" not in data


def cmd_verify_trace(args, out: Console, err: Console) -> int:
    data = load_json(args.file)
    if is_scenario(data):
        return run_scenario(args.file, json.dumps(data), out, out, show=None)
    target = target_from_context(data.get("model") if isinstance(data, dict) else None)
    entries = data.get("properties")
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        raise UsageError(f"{args.file}: 'properties' must be an object of property name: {{verdict, trace}}")
    traced = {name: entry for name, entry in entries.items() if entry.get("trace")}
    if not traced:
        raise UsageError(f"{args.file} holds no trace to verify")
    known = every_property(target)
    for name, entry in traced.items():
        prop = DEADLOCK if name == DEADLOCK else known.get(name)
        if prop is None:
            raise UsageError(f"{name}: {target.title} has no such property (it has: {', '.join(known)})")
        try:
            rebuilt = replay_trace(target.model, entry["trace"])
            shows = evidence(target.model, prop, rebuilt, hint=entry.get("hint") is True)
        except TraceError as exc:
            raise UsageError(f"{name}: {exc}") from None
        lasso = f", lasso back to step {rebuilt.loop + 1}" if rebuilt.is_lasso else ""
        out.print(f"[green]ok[/] {escape(name)}: {len(rebuilt)} steps replay on {escape(target.title)}{lasso}; {shows}",
                  soft_wrap=True)
    return 0


def cmd_replay(args, out: Console, err: Console) -> int:
    return run_scenario(args.file, read_text(args.file), out, err if args.json else out,
                        show="trace" if args.trace else "observation", as_json=args.json)


def run_scenario(path: str, text: str, out: Console, report: Console, *, show: str | None,
                 as_json: bool = False) -> int:
    """Replay a scenario (a step that matches no enabled transition: exit 2), show the
    observation after the last step or every step (``show``), then check its expectations and
    variants on ``report``: exit 1, naming each path that differs with its expected and actual
    value, unless all hold."""
    from model import RecoverModel, ScenarioError
    from model.scenario import check, parse_scenario, replay

    from .result import Step, Trace

    try:
        scenario = parse_scenario(text)
        steps = replay(scenario)
    except ScenarioError as exc:
        raise UsageError(f"{path}: {exc}") from None
    model = RecoverModel(scenario.config)
    observation = model.observe(steps[-1][1])
    trace = Trace(tuple(Step(a, s) for a, s in steps))
    if show is not None and as_json:
        shown = {"steps": trace_rows(model, trace), "observation": observation} if show == "trace" else observation
        print(json.dumps(shown, indent=2, default=str))
    elif show == "trace":
        out.print(trace_table(model, trace, f"replay of {path}"))
    elif show == "observation":
        out.print_json(json.dumps(observation, default=str))
    failures = check(scenario)
    for failure in failures:
        report.print(f"[bold red]expectation failed[/] {escape(failure)}", highlight=False, soft_wrap=True)
    if not failures:
        variants = len(scenario.variants)
        report.print(f"[green]ok[/] {escape(path)}: {len(steps) - 1} steps replay, every expectation of the "
                     f"scenario and its {variants} variant{'' if variants == 1 else 's'} holds",
                     highlight=False, soft_wrap=True)
    return 1 if failures else 0


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


def _sweep_line(stats: dict) -> str:
    """The sweep's progress: points done and left, the point being searched, its states per second."""
    return (f"points {stats['done']:,} done, {stats['left']:,} left  {stats['point']}  "
            f"{stats['states']:,} states ({stats['rate']:,.0f}/s)")


def decide_all(jobs, grid: str, *, workers: int = 1, max_seconds: float | None = None,
               progress=None) -> tuple[list, bool]:
    """Every (finding, preset) verdict on ``grid``; on Ctrl-C the cells not finished are
    incomplete (verdicts without outcomes) and the second value is True."""
    from invariants.catalog import decide_cells

    return decide_cells(jobs, grid, workers=workers, max_seconds=max_seconds, progress=progress)


FINDINGS_EXIT_CODES = ("exit codes: 0 every verdict matches the one the tests pin, 1 a verdict differs from its "
                       "pin, 2 bad input, 3 a verdict is incomplete (a point cut by its bound, or left by "
                       "--max-seconds) and every other matches its pin, 130 interrupted (the verdicts reached are "
                       "printed, the rest marked incomplete)")


def findings_exit_code(verdicts, pins, interrupted: bool) -> int:
    if interrupted:
        return EXIT_INTERRUPTED
    if _pin_mismatches(verdicts, pins):
        return 1
    return EXIT_INCOMPLETE if any(v.status == INCOMPLETE for v in verdicts) else 0


def _pin_mismatches(verdicts, pins) -> list:
    """Decided verdicts that differ from their pin (an incomplete one is not decided)."""
    return [v for v in verdicts
            if v.status != INCOMPLETE and pins.get((v.finding.id, v.preset)) not in (None, v.status)]


def explain_all(verdicts, progress) -> tuple[dict, bool]:
    """The explanation of each verdict's counterexample, by (finding ID, preset); on Ctrl-C the
    ones reached and True."""
    from invariants.explain import explain_outcome

    shown = [v for v in verdicts if v.counterexample is not None and v.counterexample.trace is not None]
    task = progress.add_task("explaining counterexamples", total=len(shown))
    explanations = {}
    try:
        for v in shown:
            progress.update(task, description=f"explaining {v.finding.id} on {v.preset}")
            explanations[(v.finding.id, v.preset)] = explain_outcome(v.counterexample)
            progress.advance(task)
    except KeyboardInterrupt:
        return explanations, True
    return explanations, False


def cmd_findings(args, out: Console, err: Console) -> int:
    import time

    from invariants.catalog import CLAIM_SCOPE
    from invariants.grid import DEEP, QUICK
    from rich.progress import Progress

    from invariants.report import grid_line, markdown_report, shared_points, verdict_table, verdict_to_json

    pins = _catalog().PINNED
    jobs = [(f, p) for f in _selected_findings(args.id) for p in _presets(args.preset)]
    grid = DEEP if args.deep else QUICK
    check_writable(args.markdown, "--markdown")
    live, update = live_line(err, args.quiet, "checking findings…", _sweep_line)
    started = time.monotonic()
    if live is None:
        verdicts, interrupted = decide_all(jobs, grid, workers=args.workers, max_seconds=args.max_seconds)
    else:
        with live:
            verdicts, interrupted = decide_all(jobs, grid, workers=args.workers, max_seconds=args.max_seconds,
                                               progress=update)
    wall = time.monotonic() - started
    cpu = _cpu_seconds()
    if args.table_only:
        text = verdict_table(verdicts)
        if args.markdown:
            write_output(args.markdown, "--markdown", lambda path: open(path, "w").write(text))
        else:
            print(text, end="")
        return findings_exit_code(verdicts, pins, interrupted)
    explanations: dict = {}
    unexplained = False  # Ctrl-C while explaining: the report goes out with the explanations reached
    if (args.markdown or args.json) and not interrupted:  # only these outputs show them
        with Progress(console=err, transient=True, disable=args.quiet or not err.is_terminal) as progress:
            explanations, unexplained = explain_all(verdicts, progress)
    if args.markdown:
        run = {"command": _findings_command(args), "seconds": wall, "cpu_seconds": cpu, "workers": args.workers,
               "grid": grid}
        text = markdown_report(verdicts, pins, interrupted=interrupted, run=run, explanations=explanations)
        write_output(args.markdown, "--markdown", lambda path: open(path, "w").write(text))
    if args.json:
        print(json.dumps([verdict_to_json(v, pins.get((v.finding.id, v.preset)),
                                          explanations.get((v.finding.id, v.preset))) for v in verdicts], indent=2))
    else:
        out.print(_findings_table(verdicts, pins, grid))
        for v in verdicts:  # the points behind each cell: the largest completed, the smallest violating
            out.print(f"{v.finding.id} on {v.preset}: {grid_line(v)}", highlight=False, soft_wrap=True)
        out.print(f"[dim]{CLAIM_SCOPE}[/]")
        points = sum(v.sweep.planned - v.sweep.not_widened for v in verdicts)
        shared = shared_points(verdicts)
        out.print(f"{len(verdicts)} verdicts on the {grid} grid, {points:,} points"
                  + (f" ({shared:,} answered by a search another point started)" if shared else "")
                  + f", {sum(v.states for v in verdicts):,} states behind them, in {wall:.1f} s"
                  + (f" on {args.workers} processes" if args.workers > 1 else "")
                  + (f"; report written to {args.markdown}" if args.markdown else ""))
        for v in _pin_mismatches(verdicts, pins):
            if v.reached:  # an interrupted cell was not decided: it differs from no pin
                out.print(f"[bold red]{v.finding.id} on {v.preset}: the model says {v.status}, "
                          f"the tests pin {pins[(v.finding.id, v.preset)]}[/]")
    if interrupted:
        undone = sum(1 for v in verdicts if not v.reached)
        err.print(f"recover-check: interrupted; {undone} of {len(verdicts)} verdicts not reached (incomplete)")
    if unexplained:
        shown = sum(1 for v in verdicts if v.counterexample is not None and v.counterexample.trace is not None)
        err.print(f"recover-check: interrupted; {len(explanations)} of {shown} counterexamples explained")
        return EXIT_INTERRUPTED
    return findings_exit_code(verdicts, pins, interrupted)


def _cpu_seconds() -> float:
    """CPU time of this process and of the pool's finished processes: what the sweep cost, however
    busy the machine was."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))


def _findings_command(args) -> str:
    """The command line that reproduces a findings report."""
    parts = ["recover-check", "findings"]
    parts += [f"--id {i}" for i in args.id or ()] + [f"--preset {p}" for p in args.preset or ()]
    parts += ["--deep"] if args.deep else []
    parts += [f"--workers {args.workers}"] if args.workers > 1 else []
    parts += [f"--max-seconds {args.max_seconds:g}"] if args.max_seconds else []
    return " ".join(parts + [f"--markdown {args.markdown}"])


def _findings_table(verdicts, pins, grid: str):
    from rich.table import Table

    from .report import VERDICT_STYLE
    from .sweep import compact

    table = Table(title=f"findings x presets ({grid} grid)", header_style="bold", show_lines=False)
    for column in ("finding", "preset", "documents claim", "model says", "points, largest", "time", "trace"):
        table.add_column(column, justify="left" if column in ("finding", "preset", "documents claim", "model says")
                         else "right")
    for v in verdicts:
        style = VERDICT_STYLE.get(v.status, "magenta")
        disagree = v.disagrees_with_documents
        said = Text(v.status + (" ≠ documents" if disagree else ""), style=style + (" reverse" if disagree else ""))
        if not v.reached:
            said.append(" (interrupted)", style="yellow")
        pin = pins.get((v.finding.id, v.preset))
        if pin is not None and pin != v.status and v.reached:
            said.append(f" (pinned {pin})", style="bold red")
        shown = v.counterexample
        if shown is not None and shown.point is not None and shown.point.changed:
            said.append(f" at {shown.label}")
        sweep = v.sweep
        points = Text(f"{sweep.planned - sweep.not_widened - sweep.not_reached}/{sweep.planned}")
        for n, what in ((sweep.cut, "cut"), (sweep.not_reached, "not reached")):
            if n:
                points.append(f", {n} {what}", style="yellow")
        if sweep.largest:
            points.append(f", {compact(sweep.largest[1].states)}")
        claimed = v.finding.claimed if disagree is not None else None
        table.add_row(v.finding.id, v.preset, claimed or "—", said, points, f"{v.seconds:.2f}s",
                      str(len(shown.trace)) if shown and shown.trace else "")
    return table


def finding_counterexample(finding_id: str, preset: str, out: Console):
    """A finding's verdict on ``preset`` and the check outcome whose counterexample it shows;
    with none, the verdict is said on ``out`` and the outcome is None."""
    from invariants.catalog import decide

    finding = _selected_findings([finding_id])[0]
    verdict = decide(finding, _presets([preset])[0])
    shown = verdict.counterexample
    if shown is None or shown.trace is None:
        out.print(f"{finding.id} on {preset}: {verdict.status}; no counterexample")
        return verdict, None
    return verdict, shown


def no_counterexample_code(status: str) -> int:
    return EXIT_INCOMPLETE if status == INCOMPLETE else 0


def cmd_trace(args, out: Console, err: Console) -> int:
    from invariants.explain import explain_outcome
    from invariants.report import reproduce_command, step_rows

    from .report import explanation_to_json

    verdict, shown = finding_counterexample(args.id, args.preset, out)
    if shown is None:
        return no_counterexample_code(verdict.status)
    if args.format == "json":
        print(json.dumps({"finding": verdict.finding.id, "preset": args.preset, "verdict": verdict.status,
                          "property": shown.property_name, "command": reproduce_command(shown),
                          "trace": trace_to_json(shown.model, shown.trace),
                          "steps": step_rows(shown.model, shown.trace),
                          "explanation": explanation_to_json(shown.model, shown.trace, explain_outcome(shown))},
                         indent=2, default=str))
    elif args.format == "mermaid":
        from .trace import mermaid_sequence

        print(mermaid_sequence(shown.model, shown.trace))
    else:
        out.print(f"{verdict.finding.id} on {args.preset}: [bold]{verdict.status}[/]; reproduce: {reproduce_command(shown)}")
        print_compact_explanation(out, shown.model, shown.trace, explain_outcome(shown), full=args.full,
                                  more=f"recover-check explain {verdict.finding.id} --preset {args.preset}")
    return 1


def print_compact_explanation(out: Console, model, trace, expl, full: bool, more: str) -> None:
    """The trace table with its step roles, the violated clause, the nearest run and the changes
    that block it, each in one line."""
    from .report import nearest_summary

    out.print(Text.assemble(("violated: ", "bold red"), expl.clause.text()))
    out.print(trace_table(model, trace, f"counterexample: {expl.property}", full=full, roles=expl.roles))
    out.print(Text(nearest_summary(trace, expl.nearest)))
    blocking = ", ".join(f"{v.name} ({'impossible' if v.status == 'impossible' else 'no longer violates'} at step "
                         f"{v.step})" for v in expl.blocking)
    out.print(Text(f"blocked by: {blocking}" if blocking else "no change tried blocks this trace"))
    out.print(f"[dim]the whole explanation: {escape(more)}[/]")


# -- explain -------------------------------------------------------------------------------------
BOUND_OPTIONS = ("max_states", "max_depth", "max_seconds", "max_memory")


def cmd_explain(args, out: Console, err: Console) -> int:
    from .report import explanation_renderables, explanation_to_json

    if (args.id is None) == (args.property is None):
        raise UsageError("explain takes a finding ID or --property NAME: give one of them")
    if args.id is not None:
        found = _explain_finding(args, out)
    else:
        found = _explain_check(args, out, err)
    if isinstance(found, int):
        return found
    context, model, trace, expl = found
    if args.json:
        print(json.dumps({**context, "property": expl.property, "trace": trace_to_json(model, trace),
                          "explanation": explanation_to_json(model, trace, expl)}, indent=2, default=str))
    else:
        for renderable in explanation_renderables(model, trace, expl, full=args.full):
            out.print(renderable)
    return 1


def _explain_finding(args, out: Console):
    """``explain ID --preset P``: the finding's counterexample, explained."""
    from invariants.explain import explain_outcome
    from invariants.report import reproduce_command

    given = [f"--{k.replace('_', '-')}" for k in ("example", "param", *BOUND_OPTIONS) if getattr(args, k, None)]
    if given or config_overrides(args):
        raise UsageError(f"explain {args.id} runs the finding's own checks: {', '.join(given) or 'config options'} "
                         f"apply to explain --property")
    if args.preset is None:
        raise UsageError(f"explain {args.id} needs --preset ({', '.join(preset_names())})")
    verdict, shown = finding_counterexample(args.id, args.preset, out)
    if shown is None:
        return no_counterexample_code(verdict.status)
    if not args.json:
        out.print(f"{verdict.finding.id} on {args.preset}: [bold]{verdict.status}[/]; reproduce: {reproduce_command(shown)}")
    context = {"finding": verdict.finding.id, "preset": args.preset, "verdict": verdict.status,
               "command": reproduce_command(shown)}
    return context, shown.model, shown.trace, explain_outcome(shown, args.max_pairs)


def _explain_check(args, out: Console, err: Console):
    """``explain --property NAME`` on any configuration: its shortest counterexample, explained."""
    target = target_from_args(args)
    target = attrs.evolve(target, properties=pick_properties(target, [args.property]))
    args.no_deadlock = True
    result = run_search(target, args, err)
    if result.interrupted:
        err.print("recover-check: interrupted")
        return EXIT_INTERRUPTED
    violated = [v for v in result.violated if v.trace is not None]
    if not violated:
        status = "holds" if result.complete else "incomplete"
        out.print(f"{args.property} on {target.title}: {status}; no counterexample")
        return no_counterexample_code(INCOMPLETE if not result.complete else status)
    verdict = min(violated, key=lambda v: (len(v.trace), v.name))
    prop = next(p for p in target.properties if p.name == verdict.name)
    if not args.json:
        out.print(f"{verdict.name} on {target.title}: [bold]violated[/] ({len(verdict.trace)} steps)")
    return {"model": target.context}, target.model, verdict.trace, explain_target(target, args, prop, verdict.trace)


def explain_target(target: Target, args, prop, trace):
    """The explanation of a counterexample of a check: on the recover model with its knob
    changes as the candidate fixes, on an example with its declared knobs (``KNOBS``)."""
    if "preset" in target.context:
        from invariants.explain import explain_trace

        return explain_trace(target.context["preset"], config_overrides(args), args.property, target.model,
                             prop, trace, args.max_pairs, args.max_states)
    from .explain import explain

    return explain(target.model, prop, trace, example_variants(target, prop), max_nodes=args.max_pairs,
                   max_states=args.max_states)


def example_variants(target: Target, prop) -> list:
    """The example with each of its knobs (``KNOBS``: parameter -> values) changed, one at a time."""
    import inspect

    from .explain import Variant

    name, params = target.context["example"], dict(target.context["params"])
    factory = EXAMPLES[name]
    defaults = {k: p.default for k, p in inspect.signature(factory).parameters.items()}
    variants = []
    for knob, values in getattr(factory, "KNOBS", {}).items():
        current = int(params.get(knob, defaults[knob]))
        for value in values:
            if value != current:
                changed = example_target(name, {**params, knob: value})
                variants.append(Variant(f"{knob}={value}", changed.model,
                                        next(p for p in changed.properties if p.name == prop.name)))
    return variants


def cmd_diff(args, out: Console, err: Console) -> int:
    sides = []
    for preset in (args.a, args.b):
        target = recover_target(preset, config_overrides(args))
        if args.property:
            target = attrs.evolve(target, properties=pick_properties(target, args.property))
        sides.append((preset, target))
    results = []
    for _, target in sides:  # both configurations are checked before either search starts
        results.append(run_search(target, args, err))
        if results[-1].interrupted:
            break
    report = diff_report(sides, results)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_diff(out, report, sides, results, full=args.full)
    return diff_exit_code(report)


DIFF_EXIT_CODES = ("exit codes: 0 no property changed verdict, 1 some property changed verdict "
                   "(held on one preset, violated on the other), 2 bad input, 3 nothing changed "
                   "but a verdict is incomplete on a side (a bound cut its search), 130 interrupted")


def diff_report(sides, results) -> dict[str, Any]:
    """The comparison as data, for the table and for ``--json`` alike. A property *changed*
    when it is decided (holds or violated) on both sides, differently; *undecided* when a side
    is incomplete or was not run (interrupted)."""
    (a, ta), (b, tb) = sides
    ra = results[0]
    rb = results[1] if len(results) > 1 else None
    rows = []
    for name in dict.fromkeys(n for r in results for n in r.verdicts):
        va, vb = ra.verdicts.get(name), rb.verdicts.get(name) if rb else None
        sa, sb = (va.status if va else "not run"), (vb.status if vb else "not run")
        decided = {sa, sb} <= {"holds", "violated"}
        changed = decided and sa != sb
        rows.append({"property": name, "a": sa, "b": sb, "changed": changed, "undecided": not decided,
                     "trace_a": _trace_json(ta, va) if changed else None,
                     "trace_b": _trace_json(tb, vb) if changed else None})
    fired = [{c.name for c in r.coverage if c.fired} for r in results]
    return {
        "a": _side_json(a, ta, ra),
        "b": None if rb is None else _side_json(b, tb, rb),
        "interrupted": any(r.interrupted for r in results),
        "properties": rows,
        "actions_enabled_only_in_a": sorted(fired[0] - fired[1]) if rb else None,
        "actions_enabled_only_in_b": sorted(fired[1] - fired[0]) if rb else None,
    }


def _side_json(preset: str, target: Target, result: Result) -> dict[str, Any]:
    return {"preset": preset, "model": target.context, "distinct_states": result.distinct,
            "complete": result.complete, "truncated": result.truncated}


def _trace_json(target: Target, verdict) -> dict | None:
    if verdict is None or verdict.trace is None:
        return None
    return trace_to_json(target.model, verdict.trace)


def diff_exit_code(report: dict[str, Any]) -> int:
    if report["interrupted"]:
        return EXIT_INTERRUPTED
    if any(row["changed"] for row in report["properties"]):
        return 1
    if any(row["undecided"] for row in report["properties"]):
        return EXIT_INCOMPLETE
    return 0


def print_diff(out: Console, report, sides, results, full: bool = False) -> None:
    from rich.table import Table

    (a, ta), (b, tb) = sides
    table = Table(title=f"{a} -> {b}: property verdicts", header_style="bold")
    for column in ("property", a, b, "changed"):
        table.add_column(column)
    for row in report["properties"]:
        table.add_row(row["property"], row["a"], row["b"],
                      "yes" if row["changed"] else ("undecided" if row["undecided"] else ""))
    out.print(table)
    if report["b"] is None:
        out.print(f"interrupted during {a}: {b} not run")
        return
    out.print(f"states: {a} {report['a']['distinct_states']:,}, {b} {report['b']['distinct_states']:,}")
    for side, preset in (("b", b), ("a", a)):
        out.print(f"actions enabled only in {preset}: {', '.join(report['actions_enabled_only_in_' + side]) or 'none'}")
    changed = [row["property"] for row in report["properties"] if row["changed"]]
    for name in changed:
        va, vb = results[0].verdicts[name], results[1].verdicts[name]
        if vb.trace is not None:
            out.print(trace_table(tb.model, vb.trace, f"newly reachable in {b}: {name}", full=full))
        if va.trace is not None:
            out.print(trace_table(ta.model, va.trace, f"no longer reachable in {b} (shown on {a}): {name}", full=full))
    if not changed:
        out.print("no property changed verdict")


# -- the parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from invariants import PROPERTY_NAMES
    from invariants.findings import BY_ID
    from model import PRESETS

    presets, ids = ", ".join(PRESETS), ", ".join(BY_ID)
    example_props = "; ".join(f"{name}: {', '.join(p.name for p in factory().properties())}"
                              for name, factory in sorted(EXAMPLES.items()))
    parser = Parser(prog="recover-check", description="Model checker for TiCDC's recover-dispatcher protocol. "
                     "With no command it runs 'findings'.", epilog=EXIT_CODES + "; 141 stdout's reader went away "
                     "(a pipe into head).")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    p = sub.add_parser("explore", help="explore every reachable state and check the properties",
                       epilog=EXIT_CODES)
    add_model_options(p)
    _add_bounds(p)
    p.add_argument("--stop-at-first", action="store_true", help="stop at the first violation")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    add_output_options(p, "the result (and traces)")
    p.add_argument("--graphml", metavar="FILE", help="write the explored graph as GraphML (checked before the run)")
    p.add_argument("--dot", metavar="FILE", help="write the explored graph as Graphviz DOT (checked before the run)")
    _add_symmetry(p)
    p.set_defaults(func=cmd_explore)

    p = sub.add_parser("findings", help="verdict of every finding on every preset (the main job)",
                       description="Each finding's checks run on a grid of configurations around their own "
                                   "(invariants/grid.py): the quick grid by default, the deep one with --deep. A "
                                   "verdict combines every point; a point cut by its bound is incomplete, never "
                                   "holds.", epilog=FINDINGS_EXIT_CODES)
    p.add_argument("--id", action="append", metavar="ID", help=f"only this finding (repeatable): {ids}")
    p.add_argument("--preset", action="append", metavar="P", help=f"only this preset (repeatable): {presets}")
    p.add_argument("--json", action="store_true",
                   help="the reviewer report as JSON (each counterexample with its explanation, as explain)")
    p.add_argument("--markdown", metavar="FILE", help="write the reviewer report as Markdown, each counterexample "
                                                      "with its explanation (checked before the run)")
    p.add_argument("--table-only", action="store_true",
                   help="print only the verdict table as Markdown (the README's), or write it to --markdown FILE")
    p.add_argument("--deep", action="store_true",
                   help="sweep every finding's deep grid (minutes to tens of minutes) instead of the quick one")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="run grid points on N processes (default 1; the same verdicts)")
    p.add_argument("--max-seconds", type=positive_float, metavar="S",
                   help="stop the whole sweep after S seconds: the points not finished are incomplete")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.set_defaults(func=cmd_findings)

    p = sub.add_parser("trace", help="the counterexample of one finding on one preset",
                       epilog="exit codes: 0 no counterexample (the finding holds), 1 a counterexample is "
                              "shown (violated, or a boundary's with its assumption dropped), 2 bad input, "
                              "3 incomplete, 130 interrupted")
    p.add_argument("id", metavar="ID", help=f"a finding: {ids}")
    p.add_argument("--preset", required=True, metavar="P", help=f"one of {presets}")
    p.add_argument("--format", choices=("table", "json", "mermaid"), default="table",
                   help="table (default), json (with each step's actor and Go function) or a Mermaid "
                        "sequence diagram")
    p.add_argument("--full", action="store_true", help="show every field, not only changes")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("explain", help="explain a counterexample: the violated clause, its essential steps, the "
                                       "nearest passing run and the knob changes that block it",
                       description="Explain the counterexample of a finding on a preset (ID --preset P), or of one "
                                   "property on any configuration (--property NAME, as check). Shown: the clause "
                                   "that fails with the values it read; each step's role (cause, order, enabler or "
                                   "irrelevant: what removing it, or swapping it with the next, does); the passing "
                                   "run nearest by edit distance over action labels, aligned; and the same steps "
                                   "replayed under each single knob change to a value of proposed or of another "
                                   "preset, and under each other preset (for an example, under each of its knobs).",
                       epilog="exit codes: 0 no counterexample (it holds), 1 a counterexample is explained, 2 bad "
                              "input, 3 incomplete (a bound cut the search), 130 interrupted")
    p.add_argument("id", nargs="?", metavar="ID", help=f"a finding: {ids}")
    p.add_argument("--property", metavar="NAME",
                   help=f"instead of a finding, a property: of the recover model {', '.join(PROPERTY_NAMES)}; "
                        f"of an example {example_props}")
    add_model_options(p)
    _add_bounds(p)
    p.add_argument("--max-pairs", type=positive_int, default=MAX_NODES, metavar="N",
                   help=f"cap on the (state, position) pairs the nearest-run search expands (default {MAX_NODES:,}); "
                        "beyond it the report says within which edit distance no passing run exists")
    add_output_options(p, "the explanation")
    p.set_defaults(func=cmd_explain, graphml=None, dot=None, stop_at_first=False)

    p = sub.add_parser("check", help="check one property exhaustively on any configuration", epilog=EXIT_CODES)
    p.add_argument("--property", required=True, metavar="NAME",
                   help=f"the property: of the recover model {', '.join(PROPERTY_NAMES)}; of an example {example_props}")
    _add_symmetry(p)
    add_model_options(p)
    _add_bounds(p)
    add_output_options(p, "the result (and trace)")
    p.set_defaults(func=cmd_check, graphml=None, dot=None, stop_at_first=False)

    p = sub.add_parser("diff", help="compare two presets of the recover model on the same configuration",
                       epilog=DIFF_EXIT_CODES)
    p.add_argument("a", metavar="PRESET_A", help=f"the preset before: {presets}")
    p.add_argument("b", metavar="PRESET_B", help=f"the preset after: {presets}")
    p.add_argument("--property", action="append", metavar="NAME",
                   help=f"only these properties (repeatable): {', '.join(PROPERTY_NAMES)}")
    add_config_options(p)
    _add_bounds(p)
    add_output_options(p, "the comparison (and traces)")
    p.set_defaults(func=cmd_diff, graphml=None, dot=None, stop_at_first=False)

    add_simulate_parser(sub)

    p = sub.add_parser("verify-trace", help="replay the traces of an explore/check/simulate --json output, "
                                            "or a scenario file",
                       epilog="exit codes: 0 every trace replays and still shows what its verdict says (ends in "
                              "its violation, a fair lasso that violates it, or a witness); for a scenario file "
                              "as replay; 2 bad input: a step that does not replay, or a trace that no longer "
                              "shows its violation")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_verify_trace)

    from model.config import value_text
    from model.scenario import REPLAY_BOUNDS

    go_bounds = ", ".join(f"{k}={value_text(v)}" for k, v in REPLAY_BOUNDS.items())
    p = sub.add_parser("replay", help="run a scenario file of the recover model and check its expectations",
                       description=f"Replay a scenario file (docs/protocol.md, Scenarios). The bounds that only keep a search "
                                   f"small start at Go's values ({go_bounds}); a scenario's config that sets one "
                                   f"keeps its own.",
                       epilog="exit codes: 0 the steps replay and every expectation and variant holds, 1 an "
                              "expectation or variant fails (each path that differs is printed with its expected "
                              "and actual value), 2 bad input or a step that matches no enabled transition")
    p.add_argument("file", metavar="SCENARIO")
    p.add_argument("--json", action="store_true",
                   help="print the observation as JSON (the expectation report goes to stderr)")
    p.add_argument("--trace", action="store_true", help="print every step and the fields it changed")
    p.set_defaults(func=cmd_replay)
    return parser


def default_args(parser: argparse.ArgumentParser) -> list[str]:
    """What ``recover-check`` with no arguments runs: the findings report."""
    return ["findings"]


def _silence_stdout() -> None:
    """After a broken pipe: send what is still buffered nowhere, so that the interpreter's
    final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture)
        pass


class _Console(Console):
    def on_broken_pipe(self) -> None:  # rich would exit 1; one way for print() and rich alike
        raise BrokenPipeError


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out, err = _Console(), _Console(stderr=True)
    parser = build_parser()
    try:
        args = parser.parse_args(argv or default_args(parser))
        if args.command is None:
            raise UsageError("name a command (see --help)")
        code = args.func(args, out, err)
        sys.stdout.flush()
        return code
    except UsageError as exc:
        print(f"recover-check: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("recover-check: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    # run the imported module's main, not this __main__ copy's: one UsageError class for all
    from explorer.cli import main as _main

    sys.exit(_main())
