"""Presenting a result: rich panels and tables for people, JSON for programs."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .result import HOLDS, INCOMPLETE, VIOLATED, Result, Trace
from .trace import jsonable, trace_rows, trace_to_json

VERDICT_STYLE = {HOLDS: "green", VIOLATED: "bold red", INCOMPLETE: "yellow"}


def key_value_grid(rows) -> Table:
    """A two-column grid of (name, value) rows, names in bold."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for name, value in rows:
        grid.add_row(name, value)
    return grid


def summary_panel(result: Result, title: str = "exploration") -> Panel:
    search = "exhaustive" if result.complete else f"[yellow]cut short: {result.truncated}[/]"
    rows = [
        ("search", search),
        ("engine", result.engine),
        ("distinct states", f"{result.distinct:,}"),
        ("states generated", f"{result.generated:,}"),
        ("depth", str(result.depth)),
        ("time", f"{result.elapsed:.2f} s"),
        ("speed", f"{result.states_per_second:,.0f} distinct/s, {result.generated_per_second:,.0f} generated/s"),
        ("memory", f"{result.bytes_per_state:,.0f} bytes/state (peak RSS growth)"),
        ("fingerprint collision", f"{result.collision_probability:.1e} (optimistic estimate)"),
    ]
    grid = key_value_grid(rows)
    verdicts = Table(show_header=True, header_style="bold", box=None)
    verdicts.add_column("property")
    verdicts.add_column("kind")
    verdicts.add_column("verdict")
    verdicts.add_column("trace")
    for v in result.verdicts.values():
        length = "" if v.trace is None else (f"lasso of {len(v.trace)}" if v.trace.is_lasso else f"{len(v.trace)} states")
        verdicts.add_row(escape(v.name), v.kind, Text(v.status, style=VERDICT_STYLE[v.status]), length)
    return Panel(Group(grid, Text(""), verdicts), title=escape(title), expand=False)


def coverage_table(result: Result) -> Table:
    table = Table(title="action coverage", header_style="bold")
    table.add_column("action")
    table.add_column("fired", justify="right")
    table.add_column("new states", justify="right")
    table.add_column("note")
    for cov in result.coverage:
        if cov.fired:
            note = Text("")
        elif cov.scope_note:
            note = Text(f"out of scope: {cov.scope_note}", style="dim")
        else:
            note = Text("never taken", style="bold red")
        table.add_row(cov.name, f"{cov.fired:,}", f"{cov.new_states:,}", note)
    return table


def trace_table(model, trace: Trace, title: str, full: bool = False) -> Table:
    table = Table(title=escape(title), header_style="bold", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("action")
    table.add_column("full state" if full else "changed fields")
    for row in trace_rows(model, trace, full=full):
        marker = " ⟲ loop" if row["loop"] else ""
        action = row["action"] or "(initial state)"
        fields = "\n".join(f"{k} = {_short(v)}" for k, v in row["fields"].items()) or "(no change)"
        table.add_row(f"{row['index']}{marker}", escape(action), escape(fields))
    if trace.is_lasso:
        tail = "stays here forever (stuttering)" if trace.stutter else f"back to step {trace.loop + 1}, forever"
        table.caption = f"lasso: {tail}"
    return table


def print_result(console: Console, model, result: Result, title: str, full: bool = False) -> None:
    console.print(summary_panel(result, title))
    console.print(coverage_table(result))
    for v in result.violated:
        if v.trace is not None:
            console.print(trace_table(model, v.trace, f"counterexample: {v.name}", full=full))


def result_to_json(model, result: Result, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "model": context or {},
        "complete": result.complete,
        "truncated": result.truncated,
        "engine": result.engine,
        "distinct_states": result.distinct,
        "states_generated": result.generated,
        "depth": result.depth,
        "seconds": round(result.elapsed, 3),
        "bytes_per_state": round(result.bytes_per_state, 1),
        "collision_probability": result.collision_probability,
        "properties": {
            v.name: {"kind": v.kind, "verdict": v.status, "message": v.message,
                     "trace": None if v.trace is None else trace_to_json(model, v.trace)}
            for v in result.verdicts.values()
        },
        "coverage": [
            {"action": c.name, "fired": c.fired, "new_states": c.new_states, "out_of_scope": c.scope_note}
            for c in result.coverage
        ],
    }


def _short(value, limit: int = 120) -> str:
    import json

    text = json.dumps(jsonable(value), sort_keys=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
