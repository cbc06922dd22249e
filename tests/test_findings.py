"""Every finding's verdict on every preset, pinned; every property shown to fail and to hold;
the reviewer-facing commands."""

import json
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.testing import assert_holds, assert_violated
from explorer.trace import replay_trace, trace_to_json
from invariants import PROPERTY_NAMES, properties_for
from invariants.catalog import PRESET_ORDER, Check, decide_cells
from invariants.findings import FINDINGS, PINNED
from invariants.report import check_command, verdict_table
from model import RecoverModel, make_config

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_BEGIN, TABLE_END = "<!-- verdicts:begin", "<!-- verdicts:end -->"


@pytest.fixture(scope="module")
def quick_verdicts():
    """Every cell on the quick grid (what ``recover-check`` runs), computed once for this module."""
    verdicts, interrupted = decide_cells([(f, p) for f in FINDINGS for p in PRESET_ORDER])
    assert not interrupted
    return verdicts


@pytest.mark.parametrize("fid, preset", [(f.id, p) for f in FINDINGS for p in PRESET_ORDER])
def test_verdict_is_pinned(fid, preset, quick_verdicts):
    verdict = next(v for v in quick_verdicts if (v.finding.id, v.preset) == (fid, preset))
    assert verdict.status == PINNED[(fid, preset)]
    assert verdict.sweep.planned >= 2 and verdict.sweep.cut == verdict.sweep.not_reached == 0
    shown = verdict.counterexample
    if verdict.status in ("violated", "boundary"):
        # a counterexample a reviewer can replay: every step a real transition of the model
        assert shown is not None and shown.status == "violated"
        replay_trace(shown.model, trace_to_json(shown.model, shown.trace))
    else:
        assert shown is None


def test_readme_verdict_table_is_the_generated_one(quick_verdicts):
    """The README's table is what ``recover-check findings --table-only`` prints, so that it
    cannot drift from what the tool computes."""
    text = README.read_text()
    start = text.index("\n", text.index(TABLE_BEGIN)) + 1
    assert text[start:text.index(TABLE_END)] == verdict_table(quick_verdicts), \
        "the README's verdict table is stale: paste `recover-check findings --table-only` between its markers"


def test_every_pin_names_a_finding_and_preset():
    assert set(PINNED) == {(f.id, p) for f in FINDINGS for p in PRESET_ORDER}


# property -> (preset and config where it is violated, preset and config where it holds)
FAILS_AND_HOLDS = {
    "stale_response_harmless": (("pr4139", {"failures": 1, "maintainer_moves": 1}),
                                ("design", {"failures": 1, "maintainer_moves": 1})),
    "identity_unique": (("pr4139", {"failures": 2, "restart_budget": 1}),
                        ("design", {"failures": 2, "restart_budget": 1})),
    "no_wrong_clear": (("pr4139", {"failures": 2}), ("proposed", {"failures": 2})),
    "no_spurious_restart": (("pr4139", {"failures": 1}), ("proposed", {"failures": 1})),
    "report_once_per_epoch": (("pr4139", {"messages_per_instance": 2, "initial_status": "initializing"}),
                              ("proposed", {"messages_per_instance": 2, "initial_status": "initializing"})),
    "handled_means_progress": (("pr4139", {"failures": 2}), ("proposed", {"failures": 2})),
    "restart_ends": (("design", {"failures": 2}), ("proposed", {"failures": 2})),
    "pending_resolves": (("design", {"failures": 2, "timeout_fuse": False}),
                         ("proposed", {"failures": 2, "timeout_fuse": False})),
    "no_silent_stall": (("design", {"failures": 2}), ("proposed", {"failures": 2})),
    "recovers_without_fuse": (("design", {"failures": 2, "timeout_fuse": False}),
                              ("proposed", {"failures": 2, "timeout_fuse": False})),
    "no_residual_pending": (("pr4139", {"messages_per_instance": 2, "other_operators": "move", "timeout_fuse": False}),
                            ("proposed", {"messages_per_instance": 2, "other_operators": "move", "timeout_fuse": False})),
}


def check_of(name, preset, overrides):
    """The model, the property (one per dispatcher) and the command that re-runs the check."""
    config = make_config(preset, overrides)
    return dict(model=RecoverModel(config), properties=properties_for(config, [name]),
                reproduce=check_command(Check(name, overrides), preset), deadlock=False)


@pytest.mark.parametrize("name", sorted(FAILS_AND_HOLDS))
def test_property_can_fail_and_can_hold(name):
    (bad_preset, bad), (good_preset, good) = FAILS_AND_HOLDS[name]
    assert_violated(**check_of(name, bad_preset, bad))
    assert_holds(**check_of(name, good_preset, good))


def test_single_pending_catches_a_loop_that_forgets_the_pending_filter(monkeypatch):
    """No preset violates single_pending (the reporter dedupes and the loop filters pending D);
    a mutant whose reporter forgets nothing and whose recover loop ignores pending entries does,
    so the property can fail."""
    import model.dm as dm
    import model.sink as sink

    assert_holds(**check_of("single_pending", "pr4139", {"failures": 2, "messages_per_instance": 2}))
    real = dm.dm_take_event

    def forgetful(s, cfg):
        blind = s._replace(dm=s.dm._replace(pending=((),) * len(s.dm.pending)))
        out = real(blind, cfg)
        return None if out is None else out._replace(dm=out.dm._replace(pending=s.dm.pending))

    monkeypatch.setattr(dm, "dm_take_event", forgetful)
    monkeypatch.setattr(sink, "candidates", lambda reported, batch: sink.normalize(batch))
    assert_violated(**check_of("single_pending", "pr4139", {"failures": 2, "messages_per_instance": 2}))


def test_every_property_is_covered():
    assert set(PROPERTY_NAMES) == set(FAILS_AND_HOLDS) | {"single_pending"}


def test_findings_command_json_and_markdown(tmp_path, capsys):
    report = tmp_path / "report.md"
    assert main(["findings", "--json", "--markdown", str(report), "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == len(FINDINGS) * 3 and all(row["matches_pin"] for row in data)
    a5 = next(r for r in data if r["finding"] == "A5" and r["preset"] == "pr4139")
    assert a5["verdict"] == "violated" and a5["counterexample"]["command"].startswith("recover-check check")
    assert "sequenceDiagram" in a5["counterexample"]["mermaid"]
    grid = a5["grid"]
    assert grid["name"] == "quick" and grid["deciding"]["points"] >= 2 and grid["summary"].startswith("violated at")
    assert grid["deciding"]["smallest_violation"]["trace_length"] == len(a5["counterexample"]["trace"]["steps"])
    held = next(r for r in data if r["finding"] == "A5" and r["preset"] == "proposed")["grid"]["deciding"]
    assert held["held"] == held["points"] and held["largest"]["states"] > 0
    text = report.read_text()
    assert "## A5 on `pr4139`: violated" in text and "```mermaid" in text and "| # | action | role | actor | Go function" in text
    assert f"holds on {held['points']}/{held['points']} points, largest" in text
    assert_every_counterexample_explained(data, text)


def base_name(prop: str) -> str:
    return prop.split("[", 1)[0]


def assert_every_counterexample_explained(rows, markdown):
    """Every counterexample on pr4139 and design has a whole explanation: the violated clause
    with the values it read, its essential steps (the violating one among them), a nearest
    passing run or a statement that none exists, and the knob changes replayed. Where the same
    check holds on proposed, the replay under proposed must block the trace: a run that still
    violated there would be a counterexample that the exhaustive search of proposed missed."""
    holds_on_proposed = {(r["finding"], base_name(c["property"]), json.dumps(c["config"], sort_keys=True))
                         for r in rows if r["preset"] == "proposed" for c in r["checks"] if c["verdict"] == "holds"}
    shown = [r for r in rows if r["preset"] in ("pr4139", "design") and r["counterexample"]]
    assert shown
    for row in shown:
        cell, cex = (row["finding"], row["preset"]), row["counterexample"]
        expl = cex["explanation"]
        assert expl and expl["property"] == cex["property"], cell
        assert expl["violated"]["text"] and expl["violated"]["reads"], cell
        assert expl["violated"]["reason"], cell  # every recover property says why it fails
        assert cex["trace"]["length"] in expl["essential_steps"] or cex["trace"]["loop"] is not None, cell
        assert len(expl["steps"]) == cex["trace"]["length"] - 1, cell
        nearest = expl["nearest_passing_run"]
        assert nearest["found"] or nearest["note"], cell
        if nearest["found"]:
            assert nearest["distance"] >= 1 and nearest["first_divergence"] and nearest["trace"]["length"] > 1, cell
        assert {v["change"] for v in expl["variants"]} >= {"preset design", "preset proposed"} - {f"preset {row['preset']}"}
        check = next(c for c in row["checks"] if c["property"] == cex["property"] and c["verdict"] == "violated")
        if (row["finding"], base_name(cex["property"]), json.dumps(check["config"], sort_keys=True)) in holds_on_proposed:
            assert "preset proposed" in expl["blocking"], cell
        assert f"## {row['finding']} on `{row['preset']}`" in markdown
    assert markdown.count("### Explanation") == sum(1 for r in rows if r["counterexample"])


def test_findings_exit_1_when_a_pin_disagrees(monkeypatch, capsys):
    from invariants import findings

    monkeypatch.setitem(findings.PINNED, ("A3", "design"), "violated")
    assert main(["findings", "--id", "A3", "--preset", "design", "--quiet"]) == 1
    assert "the tests pin violated" in capsys.readouterr().out


def test_reproduce_command_reproduces(capsys):
    assert main(["findings", "--json", "--id", "N3", "--preset", "pr4139", "--quiet"]) == 0
    command = json.loads(capsys.readouterr().out)[0]["counterexample"]["command"].split()
    assert main(command[1:] + ["--quiet"]) == 1
    assert "no_silent_stall[d1]" in capsys.readouterr().out


def test_trace_formats(capsys):
    assert main(["trace", "A5", "--preset", "pr4139", "--format", "mermaid"]) == 1
    assert capsys.readouterr().out.startswith("sequenceDiagram")
    assert main(["trace", "A5", "--preset", "pr4139", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["steps"][-1]["go"] and data["steps"][-1]["actor"] == "dm"
    assert main(["trace", "A3", "--preset", "design"]) == 0
    assert "holds" in capsys.readouterr().out


def test_diff_reports_changed_verdicts(capsys):
    argv = ["diff", "pr4139", "design", "--set", "failures=1", "--set", "maintainer_moves=1",
            "--property", "stale_response_harmless", "--quiet"]
    assert main(argv) == 1  # a verdict changed
    out = capsys.readouterr().out
    assert "stale_response_harmless" in out and "newly reachable" not in out
    assert "no longer reachable in design" in out


@pytest.mark.parametrize("argv, fragment", [
    (["check", "--preset", "pr4139", "--property", "nope"], "unknown property"),
    (["check", "--property", "identity_unique"], "needs --preset"),
    (["findings", "--id", "Z9"], "unknown finding"),
    (["trace", "A2", "--preset", "nope"], "unknown preset"),
    (["explore", "--preset", "pr4139", "--set", "failures=99"], "out of range"),
    (["explore", "--preset", "nope"], "unknown preset"),
])
def test_bad_input_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err
