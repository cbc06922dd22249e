"""Presenting a result: rich panels and tables for people, JSON for programs."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .properties import DEADLOCK
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


ROLES_LEGEND = ("bold: essential (cause: without it the rest runs and the property holds; order: after the "
                "next step instead, it holds; enabler of k: step k cannot run without it, and leaving out both "
                "loses the violation); dim: irrelevant (the violation stays without it and what it enabled)")


def trace_table(model, trace: Trace, title: str, full: bool = False, roles=None) -> Table:
    """A trace, one row per step. With ``roles`` (:func:`explorer.explain.step_roles`) the
    compact explained form: a role column, essential steps in bold, the rest dimmed."""
    table = Table(title=escape(title), header_style="bold", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("action")
    role_of = {r.step: r for r in roles or ()}
    if roles is not None:
        table.add_column("role")
    table.add_column("full state" if full else "changed fields")
    for row in trace_rows(model, trace, full=full):
        marker = " ⟲ loop" if row["loop"] else ""
        action = row["action"] or "(initial state)"
        fields = "\n".join(f"{k} = {_short(v)}" for k, v in row["fields"].items()) or "(no change)"
        cells = [f"{row['index']}{marker}", escape(action), escape(fields)]
        role = role_of.get(row["index"])
        if roles is not None:
            cells.insert(2, "" if role is None else role.short)
        style = "" if role is None else ("bold" if role.essential else "dim")
        table.add_row(*cells, style=style)
    captions = []
    if trace.is_lasso:
        tail = "stays here forever (stuttering)" if trace.stutter else f"back to step {trace.loop + 1}, forever"
        captions.append(f"lasso: {tail}")
    if roles is not None:
        captions.append(ROLES_LEGEND)
    table.caption = "\n".join(captions) or None
    return table


# -- explanations (explorer.explain) -----------------------------------------------------------
def explanation_to_json(model, trace: Trace, expl) -> dict[str, Any]:
    from .explain import divergence_text

    clause, nearest = expl.clause, expl.nearest
    steps = trace.steps
    return {
        "property": expl.property,
        "violated": {"text": clause.text(), "clause": clause.clause, "reason": clause.reason, "step": clause.step,
                     "pending_from": clause.pending_from,
                     "reads": [{"path": path, "value": jsonable(value)} for path, value in clause.reads]},
        "essential_steps": list(expl.essential),
        "steps": [{"step": r.step, "action": r.action, "role": r.role, "essential": r.essential,
                   "enables": r.enables, "removed": r.removed, "swapped_with_next": r.swapped, "why": r.why()}
                  for r in expl.roles],
        "nearest_passing_run": {
            "found": nearest.trace is not None, "distance": nearest.distance, "goal": nearest.goal,
            "first_divergence": divergence_text(trace, nearest) if nearest.trace else None,
            "field_differences": nearest.field_differences, "searched_pairs": nearest.searched,
            "complete": nearest.complete, "searched_distance": nearest.searched_distance, "note": nearest.note,
            "alignment": [{"op": a.op, "counterexample_step": a.counterexample, "run_step": a.run,
                           "counterexample_action": None if a.counterexample is None else str(steps[a.counterexample - 1].action),
                           "run_action": None if a.run is None else str(nearest.trace.steps[a.run - 1].action)}
                          for a in nearest.alignment],
            "trace": None if nearest.trace is None else trace_to_json(model, nearest.trace),
        },
        "blocking": [v.name for v in expl.blocking],
        "variants": [{"change": v.name, "outcome": v.status, "step": v.step, "detail": v.detail} for v in expl.variants],
        "variants_note": expl.variants_note,
    }


ALIGN_MARK = {"same": "=", "changed": "≠", "only in the counterexample": "−", "only in the run": "+"}


def nearest_summary(trace: Trace, nearest) -> str:
    """One paragraph on the nearest passing run: its distance, goal and first divergence, or why
    there is none."""
    from .explain import divergence_text

    if nearest.trace is None:
        if not nearest.goal:
            return f"Nearest passing run: {nearest.note}"
        if nearest.complete:
            return (f"Nearest passing run (a run that {nearest.goal}): none exists, {nearest.note} "
                    f"({nearest.searched:,} (state, position) pairs searched)")
        return (f"Nearest passing run (a run that {nearest.goal}): none within edit distance "
                f"{nearest.searched_distance}; {nearest.note}")
    return (f"Nearest passing run: edit distance {nearest.distance} over action labels (a run that {nearest.goal}; "
            f"{nearest.field_differences} field differences over the aligned steps; {nearest.searched:,} (state, "
            f"position) pairs searched). First divergence: {divergence_text(trace, nearest)}.")


def _alignment_rows(trace: Trace, nearest):
    for a in nearest.alignment:
        yield (str(a.counterexample or ""), "" if a.counterexample is None else str(trace.steps[a.counterexample - 1].action),
               ALIGN_MARK[a.op], str(a.run or ""), "" if a.run is None else str(nearest.trace.steps[a.run - 1].action), a.op)


def variants_summary(expl) -> str:
    still = [v.name for v in expl.variants if not v.blocks]
    note = f" ({expl.variants_note})" if expl.variants_note else ""
    if not expl.variants:
        return "No alternative configuration tried" + note + "."
    return (f"Still violating under: {', '.join(still)}{note}." if still else f"Every change tried blocks it{note}.")


def explanation_markdown(model, trace: Trace, expl, steps_table: bool = True) -> list[str]:
    """The explanation as Markdown lines; ``steps_table`` False when the caller's own trace table
    already shows the roles."""
    clause = expl.clause
    lines = [f"**Violated:** {markdown_cell(clause.text())}"]
    if clause.reads:
        lines += ["", "Values read: " + markdown_cell(", ".join(f"`{path} = {value!r}`" for path, value in clause.reads[:12]))
                  + (f" and {len(clause.reads) - 12} more" if len(clause.reads) > 12 else "")]
    lines += ["", f"**Essential steps:** {', '.join(map(str, expl.essential)) or 'none'}; causes: "
              f"{', '.join(str(r.step) for r in expl.roles if r.role in ('cause', 'order')) or 'none'}."]
    if steps_table:
        lines += ["", "| # | action | role | why |", "|---|---|---|---|"]
        for r in expl.roles:
            bold = "**" if r.essential else ""
            lines.append(f"| {bold}{r.step}{bold} | {bold}{markdown_cell(r.action)}{bold} | {r.short} | {markdown_cell(r.why())} |")
    lines += ["", markdown_cell(nearest_summary(trace, expl.nearest))]
    if expl.nearest.trace is not None:
        lines += ["", "| # | counterexample | | # | nearest passing run |", "|---|---|---|---|---|"]
        for ce_no, ce, mark, run_no, run, op in _alignment_rows(trace, expl.nearest):
            bold = "" if op == "same" else "**"
            lines.append(f"| {ce_no} | {markdown_cell(ce)} | {bold}{mark}{bold} | {run_no} | {markdown_cell(run)} |")
    blocking = expl.blocking
    lines += ["", "**What blocks it** (the same steps replayed under each change):" if blocking
              else "**What blocks it:** no change tried blocks this trace."]
    if blocking:
        lines += ["", "| change | outcome | at step | what differs |", "|---|---|---|---|"]
        for v in blocking:
            outcome = "impossible" if v.status == "impossible" else "no longer violates"
            lines.append(f"| `{v.name}` | {outcome} | {v.step or ''} | {markdown_cell(v.detail)} |")
    lines += ["", markdown_cell(variants_summary(expl))]
    return lines


def explanation_renderables(model, trace: Trace, expl, full: bool = False) -> list:
    """The explanation for a terminal: the violated clause, the trace with its roles, the nearest
    passing run side by side with the counterexample, and the changes that block the trace."""
    clause = expl.clause
    out: list = [Text.assemble(("violated: ", "bold red"), clause.text())]
    if clause.reads:
        out.append(Text(f"values read: {clause.reads_text()}", style="dim"))
    out.append(trace_table(model, trace, f"counterexample: {expl.property}", full=full, roles=expl.roles))
    out.append(Text(nearest_summary(trace, expl.nearest)))
    if expl.nearest.trace is not None:
        side = Table(title="counterexample and nearest passing run, aligned", header_style="bold")
        for column, justify in (("#", "right"), ("counterexample", "left"), ("", "center"), ("#", "right"),
                                ("nearest passing run", "left")):
            side.add_column(column, justify=justify)
        first = expl.nearest.first_divergence
        for k, (ce_no, ce, mark, run_no, run, op) in enumerate(_alignment_rows(trace, expl.nearest)):
            style = "bold yellow" if expl.nearest.alignment[k] is first else ("" if op == "same" else "yellow")
            side.add_row(ce_no, escape(ce), mark, run_no, escape(run), style=style)
        side.caption = "= same step, ≠ another step, − only in the counterexample, + only in the passing run"
        out.append(side)
    if expl.blocking:
        knobs = Table(title="changes that block this trace (the same steps replayed)", header_style="bold")
        for column in ("change", "outcome", "at step", "what differs"):
            knobs.add_column(column)
        for v in expl.blocking:
            outcome = "impossible" if v.status == "impossible" else "no longer violates"
            knobs.add_row(escape(v.name), outcome, str(v.step or ""), escape(v.detail))
        out.append(knobs)
    else:
        out.append(Text("no change tried blocks this trace", style="yellow"))
    out.append(Text(variants_summary(expl), style="dim"))
    return out


ROLES_MAX_STEPS = 60  # the roles replay a trace about twice per step: n² successor calls


def roles_or_none(model, properties, verdict):
    """The step roles of a violated verdict's trace (the compact explained form), or None for a
    trace too long to replay cheaply, a property not among ``properties``, or a liveness hint
    (a simulation's, not a lasso)."""
    from .explain import step_roles

    trace = verdict.trace
    prop = DEADLOCK if verdict.name == DEADLOCK else {p.name: p for p in properties}.get(verdict.name)
    if prop is None or len(trace) > ROLES_MAX_STEPS or (prop != DEADLOCK and prop.kind == "liveness"
                                                         and not trace.is_lasso):
        return None
    return step_roles(model, prop, trace)


def print_result(console: Console, model, result: Result, title: str, full: bool = False,
                 properties=()) -> None:
    """The summary, the coverage and each counterexample (with its step roles for the
    ``properties`` given)."""
    console.print(summary_panel(result, title))
    console.print(coverage_table(result))
    for v in result.violated:
        if v.trace is not None:
            console.print(trace_table(model, v.trace, f"counterexample: {v.name}", full=full,
                                      roles=roles_or_none(model, properties, v)))


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


def markdown_cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _short(value, limit: int = 120) -> str:
    import json

    text = json.dumps(jsonable(value), sort_keys=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
