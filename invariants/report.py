"""The reviewers' report: findings x presets, each with the command that reproduces it, the
verdict beside what the documents claim, and the counterexample as a step table and a Mermaid
sequence diagram. Builds data and text; printing is the command line's job."""

from __future__ import annotations

from typing import Any

from explorer.sweep import SweepSummary, compact, point_label
from explorer.report import explanation_markdown, explanation_to_json, markdown_cell
from explorer.trace import mermaid_sequence, trace_rows, trace_to_json

from .catalog import CLAIM_SCOPE, PRESET_ORDER, CheckOutcome, Finding, FindingVerdict, grid_checks
from .explain import FRAMING, on_preset_itself
from .grid import GRIDS


def reproduce_command(verdict_or_outcome, preset: str | None = None) -> str:
    """The command line that re-runs one check."""
    outcome = verdict_or_outcome
    return check_command(outcome.check, preset or outcome.preset)


def check_command(check, preset: str) -> str:
    """``recover-check check`` of ``check``'s property and config on ``preset``."""
    parts = ["recover-check", "check", "--preset", preset, "--property", check.prop]
    for key, value in check.config.items():
        shown = ",".join(value) if isinstance(value, (tuple, list)) else str(value).lower() if isinstance(value, bool) else value
        parts += ["--set", f"{key}={shown}"]
    return " ".join(str(p) for p in parts)


def step_rows(model, trace) -> list[dict[str, Any]]:
    """Trace rows with the acting actor and the Go function of each step."""
    rows = trace_rows(model, trace)
    for row, step in zip(rows, trace.steps):
        row["actor"] = model.actor(step.action) if step.action is not None else ""
        row["go"] = model.go_function(step.action) if step.action is not None else ""
    return rows


def grid_line(v: FindingVerdict) -> str:
    """The cell's verdict and the points behind it, in one line: ``holds on 24/24 points,
    largest 1.2M states (dispatchers=2)``; a boundary adds the assumption-dropped sweep."""
    if not v.reached:
        return "incomplete: not reached (interrupted)"
    line = v.sweep.text()
    dropped = v.dropped_sweep
    if dropped is not None and dropped.planned > dropped.not_widened:  # it ran
        line += f"; without the assumption {dropped.text()}"
    return (f"{v.status}: " if v.status != v.sweep.status else "") + line


def sweep_to_json(summary: SweepSummary | None) -> dict | None:
    if summary is None:
        return None
    largest, smallest = summary.largest, summary.smallest_violation
    return {
        "status": summary.status, "points": summary.planned, "held": summary.held, "violated": summary.violated,
        "cut": summary.cut, "not_reached": summary.not_reached, "not_widened": summary.not_widened,
        "largest": None if largest is None else {"point": point_label(largest[0]), "config": largest[1].check.config,
                                                 "property": largest[1].property_name, "states": largest[1].states},
        "smallest_violation": None if smallest is None else {
            "point": point_label(smallest[0]), "config": smallest[1].check.config,
            "property": smallest[1].property_name, "trace_length": len(smallest[1].trace),
            "command": reproduce_command(smallest[1])},
    }


def _outcome_json(o: CheckOutcome) -> dict:
    return {"property": o.property_name, "point": o.label, "config": o.check.config, "verdict": o.status,
            "states": o.states, "cut": o.cut, "shared": o.shared, "command": reproduce_command(o)}


def verdict_to_json(v: FindingVerdict, pinned: str | None, explanation=None) -> dict[str, Any]:
    """A verdict as JSON; ``explanation`` (:func:`invariants.explain.explain_outcome` of its
    counterexample) goes with the counterexample."""
    shown = v.counterexample
    return {
        "finding": v.finding.id,
        "preset": v.preset,
        "verdict": v.status,
        "pinned": pinned,
        "matches_pin": pinned is None or pinned == v.status or not v.reached,
        "documents_claim": v.finding.claim,
        "documents_claimed_verdict": v.finding.claimed,
        "disagrees_with_documents": v.disagrees_with_documents,  # null: not compared (see CLAIM_SCOPE)
        "reached": v.reached,  # false: interrupted before this verdict was computed
        "states": v.states,
        "seconds": round(v.seconds, 3),
        "grid": {"name": v.grid, "axes": list(GRIDS[v.finding.id].of(v.grid).keys), "summary": grid_line(v),
                 "deciding": sweep_to_json(v.sweep), "assumption_dropped": sweep_to_json(v.dropped_sweep)},
        "checks": [_outcome_json(o) for o in v.outcomes + v.dropped_outcomes],
        "hypothetical": [_outcome_json(o) for o in v.hypothetical],
        "counterexample": None if shown is None or shown.trace is None else {
            "property": shown.property_name,
            "point": shown.label,
            "command": reproduce_command(shown),
            "trace": trace_to_json(shown.model, shown.trace),
            "on_preset_itself": _on_preset_json(v, shown),
            "mermaid": mermaid_sequence(shown.model, shown.trace),
            "explanation": None if explanation is None else explanation_to_json(shown.model, shown.trace, explanation),
        },
    }


def shown_on_preset(v: FindingVerdict, shown: CheckOutcome):
    """Whether the cell's counterexample is a run of its preset itself (:func:`on_preset_itself`),
    the finding's dropped assumption counted as its question, not as an isolation."""
    return on_preset_itself(shown, FRAMING + v.finding.assumption_knobs)


def _on_preset_json(v: FindingVerdict, shown: CheckOutcome) -> dict:
    seen = shown_on_preset(v, shown)
    return {"isolation": seen.isolation, "framing": seen.framing, "replays": seen.replays, "shows": seen.shows,
            "failure": seen.failure}


def table_cell(v: FindingVerdict) -> str:
    """A verdict in the README's table: the verdict, its counterexample's length and point, and
    the points behind it; bold where it differs from the documents."""
    sweep = v.sweep
    shown = v.counterexample
    said = v.status
    if shown is not None and shown.trace is not None:
        at = f" at {shown.label}" if shown.point is not None and shown.point.changed else ""
        said += f" ({len(shown.trace)}{at})"
    if v.disagrees_with_documents:
        said = f"**{said}**"
    if sweep.status == "violated":
        return f"{said}, {sweep.planned - sweep.not_widened}/{sweep.planned} points"
    largest = f", largest {compact(sweep.largest[1].states)} states" if sweep.largest else ""
    cut = f", {sweep.cut + sweep.not_reached} incomplete" if sweep.cut + sweep.not_reached else ""
    return f"{said}, {sweep.held}/{sweep.planned} points{cut}{largest}"


def verdict_table(verdicts: list[FindingVerdict]) -> str:
    """The README's verdict table: one row per finding, one column per preset (Markdown)."""
    by_cell = {(v.finding.id, v.preset): v for v in verdicts}
    findings = list({v.finding.id: v.finding for v in verdicts}.values())
    presets = [p for p in PRESET_ORDER if any(v.preset == p for v in verdicts)]
    lines = ["| finding | title | documents claim | " + " | ".join(f"`{p}`" for p in presets) + " | decided by |",
             "|---|---|---|" + "---|" * len(presets) + "---|"]
    for f in findings:
        cells = [table_cell(by_cell[(f.id, p)]) if (f.id, p) in by_cell else "" for p in presets]
        lines.append(f"| {f.id} | {markdown_cell(f.title)} | {markdown_cell(f.claim)} | "
                     + " | ".join(markdown_cell(c) for c in cells) + f" | {decided_by(f)} |")
    return "\n".join(lines) + "\n"


def decided_by(finding: Finding) -> str:
    """The properties a finding's checks decide it by, the assumption-dropped check's, and the
    other findings' fixes its checks switch on on every preset (its isolation)."""
    said = ", ".join(f"`{prop}`" for prop in dict.fromkeys(c.prop for c in finding.checks))
    if finding.dropped is not None:
        said += f"; without the assumption `{finding.dropped.prop}`"
    isolated = isolation_of(finding)
    if isolated:
        said += "; on every preset with " + ", ".join(f"`{fix}` ({closes})" for fix, closes in isolated.items())
    return said


def isolation_of(finding: Finding) -> dict[str, str]:
    """The proposed fixes of other findings that some check of ``finding`` switches on (fix ->
    the findings it closes): a verdict is about the finding's own mechanism only with them."""
    from model.config import value_text

    from .findings import PROPOSED_FIXES

    found = {}
    for check in (*finding.checks, *([finding.dropped] if finding.dropped else [])):
        for key, value in check.config.items():
            fix = f"{key}={value_text(value)}"
            if fix in PROPOSED_FIXES and finding.id not in PROPOSED_FIXES[fix][0].split(", "):
                found[fix] = PROPOSED_FIXES[fix][0]
    return found


def shared_points(verdicts: list[FindingVerdict]) -> int:
    """Points answered by a search another point started (explorer.sweep: the same run as their own)."""
    return sum(o.shared for v in verdicts for o in v.all_outcomes)


def _shared_text(verdicts: list[FindingVerdict]) -> str:
    shared = shared_points(verdicts)
    return (f"; {shared:,} points were answered by a search another point started (the states and trace of "
            f"a search of their own)") if shared else ""


def markdown_report(verdicts: list[FindingVerdict], pins: dict, interrupted: bool = False,
                    run: dict | None = None, explanations: dict | None = None) -> str:
    """The report; ``run`` says how it was produced (command, times, grid); ``explanations`` maps
    (finding ID, preset) to the explanation of that cell's counterexample: its step roles join the
    step table and an "Explanation" section follows."""
    explanations = explanations or {}
    lines = ["# recover-check findings report", ""]
    if run is not None:
        import datetime
        import os

        lines += [f"Produced by `{run['command']}` on {datetime.date.today().isoformat()}, on a machine with "
                  f"{os.cpu_count()} cores: the {run['grid']} grid (`invariants/grid.py`) in {run['seconds']:.0f} s "
                  f"of wall time" + (f" on {run['workers']} processes" if run["workers"] > 1 else "")
                  + f", {run['cpu_seconds']:.0f} s of CPU time" + _shared_text(verdicts) + ".", ""]
        lines += _unfinished(verdicts)
    lines += [f"{CLAIM_SCOPE} A verdict marked **≠ documents** differs from their claim.", ""]
    if interrupted:
        lines += ["**Interrupted:** the verdicts not reached are marked incomplete.", ""]
    lines += ["| finding | preset | documents claim | model says | pinned | points behind it | states "
              "| counterexample |", "|---|---|---|---|---|---|---|---|"]
    for v in verdicts:
        pin = pins.get((v.finding.id, v.preset))
        flag = "" if pin in (None, v.status) or not v.reached else " **(differs from pin)**"
        if v.disagrees_with_documents:
            flag += " **≠ documents**"
        shown = v.counterexample
        length = f"{len(shown.trace)} steps" + (f" at {shown.label}" if shown.point and shown.point.changed else "") \
            if shown and shown.trace else ""
        lines.append(f"| {v.finding.id} | {v.preset} | {markdown_cell(v.finding.claim)} | **{v.status}**{flag} "
                     f"| {pin or ''} | {markdown_cell(grid_line(v))} | {v.states:,} | {length} |")
    for v in verdicts:
        differs = f" (≠ documents, which claim {v.finding.claimed})" if v.disagrees_with_documents else ""
        grid = GRIDS[v.finding.id]
        lines += ["", f"## {v.finding.id} on `{v.preset}`: {v.status}{differs}", "",
                  f"*{v.finding.title}* ({v.finding.documents}). Documents claim: {v.finding.claim}",
                  f"Expected from reading the code: {v.finding.expected}", "",
                  f"Grid ({v.grid}): {', '.join(grid.of(v.grid).keys)}; what the question varies: {grid.needs}.",
                  f"**{markdown_cell(grid_line(v))}**", ""]
        if v.finding.assumption:
            lines.append(f"Boundary assumption: {v.finding.assumption}")
            lines.append("")
        lines += _points_table(v)
        shown = v.counterexample
        if shown is None or shown.trace is None:
            continue
        explanation = explanations.get((v.finding.id, v.preset))
        role_of = {r.step: r for r in explanation.roles} if explanation else {}
        legend = " Essential steps in bold, with their role." if explanation else ""
        lines += ["", f"Counterexample to `{shown.property_name}` at {shown.label} ({len(shown.trace)} steps"
                  + (", a lasso" if shown.trace.is_lasso else "") + f"): `{reproduce_command(shown)}`.{legend}", "",
                  shown_on_preset(v, shown).text(), "",
                  "| # | action | role | actor | Go function | changed fields |", "|---|---|---|---|---|---|"]
        for row in step_rows(shown.model, shown.trace):
            loop = " ⟲" if row["loop"] else ""
            fields = "<br>".join(f"{k} = {markdown_cell(str(val))}" for k, val in row["fields"].items())
            if row["index"] == 1:
                fields = "(initial state)"
            role = role_of.get(row["index"])
            bold = "**" if role and role.essential else ""
            lines.append(f"| {row['index']}{loop} | {bold}{row['action'] or ''}{bold} | {role.short if role else ''} "
                         f"| {row['actor']} | {markdown_cell(row['go'])} | {fields} |")
        if shown.trace.is_lasso:
            tail = "stays at the last state forever" if shown.trace.stutter else f"repeats from step {shown.trace.loop + 1}"
            lines.append(f"\nThe behaviour {tail}.")
        if explanation:
            lines += ["", "### Explanation", "", *explanation_markdown(shown.model, shown.trace, explanation, steps_table=False)]
        lines += ["", "```mermaid", mermaid_sequence(shown.model, shown.trace), "```"]
    return "\n".join(lines) + "\n"


def _unfinished(verdicts: list[FindingVerdict]) -> list[str]:
    """The points a bound cut or the time budget left: the cells they make incomplete."""
    cut = [(v, o) for v in verdicts for o in v.outcomes + v.dropped_outcomes
           if o.status == "incomplete"]
    if not cut:
        return ["Every point run was searched to the end: none was cut by its bound or left by the time budget.", ""]
    lines = [f"{len(cut)} points were not searched to the end (incomplete, never read as holds):", "",
             "| finding | preset | check | property | point | cut by | states |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {v.finding.id} | {v.preset} | {o.point.base + 1} | `{o.property_name}` | {markdown_cell(o.label)} | {o.cut} "
              f"| {o.states:,} |" for v, o in cut]
    return lines + [""]


def _points_table(v: FindingVerdict) -> list[str]:
    """The checks the grid widens, and every point run for the cell: which check, where, what
    it found."""
    if not v.all_outcomes:
        return []
    checks = {"": grid_checks(v.finding, v.preset, GRIDS[v.finding.id].of(v.grid)),
              "dropped ": (v.finding.dropped,), "hypothetical ": v.finding.hypothetical}
    rows = []
    for part, listed in checks.items():
        for k, check in enumerate(listed, 1):
            if check is not None:
                note = f": {check.why}" if check.why else ""
                rows.append(f"- {part}{k}. `{check_command(check, v.preset)}`{note}")
    rows += ["", "| check | point | property | verdict | states |", "|---|---|---|---|---|"]
    for part, outcomes in (("", v.outcomes), ("dropped ", v.dropped_outcomes), ("hypothetical ", v.hypothetical)):
        for o in outcomes:
            verdict = o.status + (f" ({o.cut})" if o.cut and o.status != "violated" else "")
            rows.append(f"| {part}{o.point.base + 1} | {markdown_cell(o.label)} | `{o.property_name}` | {verdict} "
                        f"| {o.states:,} |")
    return rows + ["", "A point reproduces as its check with `--set KEY=VALUE` for each value it lays over it."]
