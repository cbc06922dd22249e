"""The reviewers' report: findings x presets, each with the command that reproduces it, the
verdict beside what the documents claim, and the counterexample as a step table and a Mermaid
sequence diagram. Builds data and text; printing is the command line's job."""

from __future__ import annotations

from typing import Any

from explorer.report import explanation_markdown, explanation_to_json, markdown_cell
from explorer.trace import mermaid_sequence, trace_rows, trace_to_json

from .catalog import CLAIM_SCOPE, FindingVerdict


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


def verdict_to_json(v: FindingVerdict, pinned: str | None, explanation=None) -> dict[str, Any]:
    """A verdict as JSON; ``explanation`` (:func:`invariants.explain.explain_outcome` of its
    counterexample) goes with the counterexample."""
    shown = v.counterexample
    return {
        "finding": v.finding.id,
        "preset": v.preset,
        "verdict": v.status,
        "pinned": pinned,
        "matches_pin": pinned is None or pinned == v.status,
        "documents_claim": v.finding.claim,
        "documents_claimed_verdict": v.finding.claimed,
        "disagrees_with_documents": v.disagrees_with_documents,  # null: not compared (see CLAIM_SCOPE)
        "reached": bool(v.outcomes),  # false: interrupted before this verdict was computed
        "states": v.states,
        "seconds": round(v.seconds, 3),
        "checks": [
            {"property": o.property_name, "config": o.check.config, "verdict": o.status,
             "states": o.states, "command": reproduce_command(o), "hypothetical": o in v.hypothetical}
            for o in v.all_outcomes
        ],
        "counterexample": None if shown is None or shown.trace is None else {
            "property": shown.property_name,
            "command": reproduce_command(shown),
            "trace": trace_to_json(shown.model, shown.trace),
            "mermaid": mermaid_sequence(shown.model, shown.trace),
            "explanation": None if explanation is None else explanation_to_json(shown.model, shown.trace, explanation),
        },
    }


def markdown_report(verdicts: list[FindingVerdict], pins: dict, interrupted: bool = False,
                    explanations: dict | None = None) -> str:
    """The report; ``explanations`` maps (finding ID, preset) to the explanation of that cell's
    counterexample: its step roles join the step table and an "Explanation" section follows."""
    explanations = explanations or {}
    lines = ["# recover-check findings report", "",
             f"{CLAIM_SCOPE} A verdict marked **≠ documents** differs from their claim.", ""]
    if interrupted:
        lines += ["**Interrupted:** the verdicts not reached are marked incomplete.", ""]
    lines += ["| finding | preset | documents claim | model says | pinned | states | counterexample |",
              "|---|---|---|---|---|---|---|"]
    for v in verdicts:
        pin = pins.get((v.finding.id, v.preset))
        flag = "" if pin in (None, v.status) or not v.outcomes else " **(differs from pin)**"
        if v.disagrees_with_documents:
            flag += " **≠ documents**"
        shown = v.counterexample
        length = f"{len(shown.trace)} steps" if shown and shown.trace else ""
        lines.append(f"| {v.finding.id} | {v.preset} | {markdown_cell(v.finding.claim)} | **{v.status}**{flag} "
                     f"| {pin or ''} | {v.states:,} | {length} |")
    for v in verdicts:
        differs = f" (≠ documents, which claim {v.finding.claimed})" if v.disagrees_with_documents else ""
        lines += ["", f"## {v.finding.id} on `{v.preset}`: {v.status}{differs}", "",
                  f"*{v.finding.title}* ({v.finding.documents}). Documents claim: {v.finding.claim}",
                  f"Expected from reading the code: {v.finding.expected}", ""]
        if v.finding.assumption:
            lines.append(f"Boundary assumption: {v.finding.assumption}")
            lines.append("")
        for o in v.all_outcomes:
            note = f" ({o.check.why})" if o.check.why else ""
            label = "hypothetical, not counted: " if o in v.hypothetical else ""
            lines.append(f"- {label}`{o.property_name}`: **{o.status}**, {o.states:,} states{note}  ")
            lines.append(f"  `{reproduce_command(o)}`")
        shown = v.counterexample
        if shown is None or shown.trace is None:
            continue
        explanation = explanations.get((v.finding.id, v.preset))
        role_of = {r.step: r for r in explanation.roles} if explanation else {}
        legend = " Essential steps in bold, with their role." if explanation else ""
        lines += ["", f"Counterexample to `{shown.property_name}` ({len(shown.trace)} steps"
                  + (", a lasso" if shown.trace.is_lasso else "") + f"):{legend}", "",
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
