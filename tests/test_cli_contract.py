"""The command line's contract, tried as a new user would (issue 15): one line and exit 2 for
bad input, 1 for a violation, 3 for incomplete, 130 for an interrupt, never a traceback. One
test per defect the issue lists, each through the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_helpers import ROOT, interrupt_at_terminal, run_closed_stdout
from explorer import cli
from explorer.cli import main

GO_STEPS = [{"action": "dml_fail", "d": "d1", "lifecycle": 1}, {"action": "dm_take_event"},
            {"action": "dm_add_pending"}]


def write(tmp_path, name, content) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def one_line_error(capsys, fragment: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err, err
    return err


# -- 1. replay checks the scenario's expect and variants ------------------------------------------
def test_1_replay_checks_expectations_and_variants(tmp_path, capsys):
    false_expect = write(tmp_path, "false.json", {"steps": GO_STEPS, "expect": {"dm": {"reported": {"d1": 7}}}})
    assert main(["replay", false_expect]) == 1
    assert "dm.reported.d1: expected 7, got 1" in capsys.readouterr().out
    assert main(["replay", false_expect, "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["dm"]["reported"] == {"d1": 1}  # stdout stays the observation
    assert "dm.reported.d1: expected 7, got 1" in captured.err

    bad_variant = write(tmp_path, "variant.json", {"steps": GO_STEPS, "expect": {"dm": {"reported": {"d1": 1}}},
                                                   "variants": [{"name": "on design", "preset": "design",
                                                                 "expect": {"dm": {"pending": {}}}}]})
    assert main(["replay", bad_variant]) == 1
    out = capsys.readouterr().out
    assert "on design: dm.pending: expected {}, got {" in out and "base" not in out

    holds = write(tmp_path, "holds.json", {"steps": GO_STEPS, "expect": {"dm": {"reported": {"d1": 1}}},
                                           "variants": [{"preset": "design", "expect": {"dm": {"reported": {"d1": 1}}}}]})
    assert main(["replay", holds]) == 0
    assert "every expectation of the scenario and its 1 variant holds" in capsys.readouterr().out


# -- 2. replay starts from Go's values for the search-only bounds ---------------------------------
def test_2_replay_uses_go_bounds_unless_the_scenario_sets_them(tmp_path, capsys):
    # the resend ticker fires with a request in flight, and a second request queues behind the first
    tick = write(tmp_path, "tick.json", {"steps": GO_STEPS + [{"action": "dm_resend_tick"}],
                                         "expect": {"channels": {"requests": [{"target": "A"}, {"target": "A"}]}}})
    two = write(tmp_path, "two.json", {"config": {"dispatchers": 2}, "steps": GO_STEPS + [
        {"action": "dml_fail", "d": "d2"}, {"action": "dm_take_event"}, {"action": "dm_add_pending"}]})
    assert main(["replay", tick]) == 0
    assert main(["replay", two]) == 0
    assert main(["verify-trace", tick]) == 0  # a scenario given to verify-trace replays the same way
    capsys.readouterr()
    # a scenario that sets a bound keeps it
    slow = write(tmp_path, "slow.json", {"config": {"slow_ticks": True}, "steps": GO_STEPS + [{"action": "dm_resend_tick"}]})
    assert main(["replay", slow]) == 2
    one_line_error(capsys, "dm_resend_tick matches no enabled transition")
    narrow = write(tmp_path, "narrow.json", {"config": {"dispatchers": 2, "channel_capacity": 1},
                                             "steps": json.loads(Path(two).read_text())["steps"]})
    assert main(["replay", narrow]) == 2
    one_line_error(capsys, "step 5")
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # the help is wrapped to the terminal's width
    assert "slow_ticks=off, bootstrap_copies=3, channel_capacity=1024, events_capacity=1024, restart_budget=6" in help_text


# -- 3. Ctrl-C stops every long command at once: what is done is printed, exit 130 ---------------
BIG = ["--dispatchers", "2", "--set", "maintainer_moves=1", "--lossy", "requests,responses"]


@pytest.mark.parametrize("args, started, shown", [
    (["findings"], r"on (pr4139|design|proposed)", "verdicts not reached (incomplete)"),
    (["diff", "pr4139", "design", *BIG], r"states [1-9]", "design not run"),
    (["explore", "--preset", "pr4139", *BIG], r"states [1-9]", "cut short: interrupted"),
    (["check", "--preset", "pr4139", "--property", "stale_response_harmless", "--workers", "2", *BIG],
     r"states [1-9]", "interrupted"),
], ids=["findings", "diff", "explore", "check-workers"])
def test_3_ctrl_c_stops_the_run(args, started, shown):
    code, output = interrupt_at_terminal(args, started)
    assert code == 130 and shown in output and "Traceback" not in output, output[-2000:]
    if args[0] == "findings":  # the rest of the catalog did not run on
        assert "incomplete (interrupted)" in output
        assert re.search(r"(\d+) of \d+ verdicts not reached", output)


def test_3_an_interrupted_check_is_not_a_verdict(monkeypatch):
    """The search catches Ctrl-C to hand back what it had; a finding's verdict needs the whole
    search, so the catalog raises the interrupt on instead of calling the cell incomplete."""
    from invariants import catalog
    from invariants.findings import BY_ID

    real = catalog.explore

    def interrupted(*args, **kwargs):
        import attrs

        return attrs.evolve(real(*args, **kwargs), interrupted=True, truncated="interrupted")

    monkeypatch.setattr(catalog, "explore", interrupted)
    with pytest.raises(KeyboardInterrupt):
        catalog.decide(BY_ID["A5"], "pr4139")


# -- 4. no traceback: output files checked first, unreadable files, unknown names, pipes ---------
def test_4_output_files_are_checked_before_the_run(tmp_path, monkeypatch, capsys):
    import invariants.catalog

    def never(*args, **kwargs):
        raise AssertionError("the run started before the output file was checked")

    monkeypatch.setattr(invariants.catalog, "decide", never)
    monkeypatch.setattr(cli, "explore", never)
    for argv, fragment in (
        (["findings", "--markdown", str(tmp_path / "missing" / "r.md")], "--markdown"),
        (["findings", "--markdown", str(tmp_path)], "is a directory"),
        (["explore", "--example", "water_jug", "--graphml", str(tmp_path / "missing" / "g.graphml")], "--graphml"),
        (["explore", "--example", "water_jug", "--dot", str(tmp_path / "missing" / "g.dot")], "--dot"),
    ):
        assert main(argv) == 2
        one_line_error(capsys, fragment)
    assert list(tmp_path.iterdir()) == []  # checking left nothing behind


@pytest.mark.parametrize("command", ["replay", "verify-trace"])
@pytest.mark.parametrize("content", [bytes(range(256)) * 4, '{"steps": [], "description": "caf\xe9"}'.encode("latin-1")],
                         ids=["binary", "latin-1"])
def test_4_binary_or_non_utf8_files(tmp_path, capsys, command, content):
    assert main([command, write(tmp_path, "x.json", content)]) == 2
    one_line_error(capsys, "is not UTF-8 text")


def test_4_unknown_property_in_diff(capsys):
    assert main(["diff", "pr4139", "design", "--property", "nosuchprop"]) == 2
    one_line_error(capsys, "unknown property 'nosuchprop'")


@pytest.mark.parametrize("args", [
    ["explore", "--example", "two_phase_commit", "--json"],  # print()
    ["findings", "--json", "--id", "A5", "--preset", "design"],
    ["trace", "A5", "--preset", "pr4139"],  # rich
], ids=["explore-json", "findings-json", "trace-rich"])
def test_4_a_closed_pipe_exits_quietly(args):
    code, err = run_closed_stdout(*args)
    assert (code, err) == (cli.EXIT_BROKEN_PIPE, "")


# -- 5. a missing file is "no such file" ----------------------------------------------------------
@pytest.mark.parametrize("command", ["replay", "verify-trace"])
def test_5_missing_file(tmp_path, capsys, command):
    assert main([command, str(tmp_path / "nope.json")]) == 2
    one_line_error(capsys, "nope.json: no such file")


# -- 6. options neither ignored nor contradicted --------------------------------------------------
def test_6_diff_json_and_exit_codes(capsys):
    small = ["--set", "failures=1", "--set", "maintainer_moves=1", "--property", "stale_response_harmless"]
    assert main(["diff", "pr4139", "design", *small, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    row = data["properties"][0]
    assert (row["property"], row["a"], row["b"], row["changed"]) == ("stale_response_harmless", "violated", "holds", True)
    assert row["trace_a"]["steps"] and row["trace_b"] is None
    assert main(["diff", "design", "design", *small, "--json"]) == 0
    assert not any(r["changed"] for r in json.loads(capsys.readouterr().out)["properties"])
    assert main(["diff", "pr4139", "design", *small, "--max-states", "5"]) == 3  # nothing decided
    assert "undecided" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    assert "1 some property changed verdict" in capsys.readouterr().out


@pytest.mark.parametrize("argv, fragment", [
    (["explore"], "explore needs --preset"),
    (["explore", "--preset", "pr4139", "--example", "water_jug"], "--preset and --example"),
    (["explore", "--example", "water_jug", "--set", "failures=1"], "config options apply to --preset"),
    (["explore", "--preset", "pr4139", "--param", "rms=3"], "--param applies to --example"),
    (["explore", "--preset", "pr4139", "--dispatchers", "1", "--dispatchers", "2"], "--dispatchers given twice"),
    (["explore", "--preset", "pr4139", "--set", "dispatchers=2", "--dispatchers", "1"], "dispatchers given twice"),
    (["explore", "--preset", "pr4139", "--set", "failures=1", "--set", "failures=2"], "failures given twice"),
    (["explore", "--preset", "pr4139", "--preset", "design"], "--preset given twice"),
    (["trace", "A3", "--preset", "pr4139", "--preset", "design"], "--preset given twice"),
    (["check", "--example", "water_jug", "--property", "consistent"], "unknown property 'consistent'"),
    (["simulate", "--preset", "pr4139", "--max-seconds", "-1"], "must be positive"),
])
def test_6_contradicting_or_ignored_options_are_refused(argv, fragment, capsys):
    assert main(argv) == 2
    one_line_error(capsys, fragment)


def test_6_check_takes_an_example(capsys):
    assert main(["check", "--example", "water_jug", "--property", "big_not_4", "--json"]) == 1
    assert list(json.loads(capsys.readouterr().out)["properties"]) == ["big_not_4"]
    assert main(["check", "--example", "two_phase_commit", "--property", "consistent"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("config", [[], [["dispatchers", 2]], "dispatchers=2", 3])
def test_6_a_scenario_config_must_be_an_object(tmp_path, capsys, config):
    for scenario in ({"config": config, "steps": []},
                     {"steps": [], "variants": [{"config": config}]}):
        assert main(["replay", write(tmp_path, "s.json", scenario)]) == 2
        one_line_error(capsys, '"config" must be an object')


def test_6_readme_synopsis_matches_the_parser():
    """Every command line of the README's synopsis parses (no `--dispatchers N ...`)."""
    text = (ROOT / "README.md").read_text()
    synopsis = text.split("## The command line", 1)[1].split("```", 2)[1]
    parser = cli.build_parser()
    assert "N ...]" not in synopsis  # a single value is not written as a repeatable one
    for line in filter(None, map(str.strip, synopsis.splitlines())):
        words = line.split()[1:]
        sub = next(a for a in parser._actions if a.dest == "command").choices[words[0]]
        known = {o for a in sub._actions for o in a.option_strings}
        for word in re.findall(r"--[a-z-]+", line):
            assert word in known, (line, word)


# -- 7. verify-trace: a counterexample must still end in its violation (or its lasso) ------------
def explored(capsys, *args) -> dict:
    main(["explore", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_7_a_cut_counterexample_is_refused(tmp_path, capsys):
    data = explored(capsys, "--example", "water_jug")
    data["properties"]["big_not_4"]["trace"]["steps"].pop()
    assert main(["verify-trace", write(tmp_path, "cut.json", data)]) == 2
    one_line_error(capsys, "big_not_4: it no longer ends in a violation")

    data = explored(capsys, "--preset", "pr4139", "--set", "failures=1", "--no-deadlock")
    steps = data["properties"]["no_spurious_restart"]["trace"]["steps"]
    assert main(["verify-trace", write(tmp_path, "whole.json", data)]) == 0
    assert "no_spurious_restart: %d steps replay" % len(steps) in capsys.readouterr().out
    steps.pop()
    assert main(["verify-trace", write(tmp_path, "cut_step.json", data)]) == 2
    one_line_error(capsys, "no_spurious_restart: it no longer ends in a violation")


def test_7_a_lasso_must_stay_a_fair_violation(tmp_path, capsys):
    data = explored(capsys, "--preset", "design", "--set", "failures=2")
    name, lasso = next((n, p["trace"]) for n, p in data["properties"].items()
                       if p["trace"] and p["trace"]["loop"] is not None)
    assert main(["verify-trace", write(tmp_path, "lasso.json", data)]) == 0
    assert "a fair lasso that violates it" in capsys.readouterr().out
    lasso["loop"], lasso["stutter"] = None, False  # no loop point: no behaviour, no violation
    assert main(["verify-trace", write(tmp_path, "no_loop.json", data)]) == 2
    one_line_error(capsys, f"{name}: it is no lasso")
    # stutter at the first state instead: the DM's weakly fair steps are enabled there
    lasso["steps"], lasso["loop"], lasso["stutter"] = lasso["steps"][:2], 1, True
    assert main(["verify-trace", write(tmp_path, "unfair.json", data)]) == 2
    one_line_error(capsys, f"{name}: its cycle is not fair")


def test_7_a_simulation_hint_is_verified_as_a_hint(tmp_path, capsys):
    # a drain of one step closes no cycle: what it finds without Q is a hint (with more walks or
    # steps a real lasso replaces it)
    main(["simulate", "--preset", "design", "--set", "failures=2", "--runs", "20", "--depth", "30",
          "--drain", "1", "--json"])
    data = json.loads(capsys.readouterr().out)
    hints = [n for n, p in data["properties"].items() if p.get("hint")]
    assert hints and all(data["properties"][n]["trace"]["loop"] is None for n in hints)
    assert main(["verify-trace", write(tmp_path, "sim.json", data)]) == 0
    assert f"{hints[0]}: " in (out := capsys.readouterr().out) and "a hint, not a lasso" in out


def test_7_a_deadlock_trace_must_end_in_a_deadlock(tmp_path, capsys):
    from explorer.examples import TwoPhaseCommit
    from explorer.result import Step, Trace
    from explorer.trace import trace_to_json

    model = TwoPhaseCommit(1)  # its initial state has successors
    initial = trace_to_json(model, Trace((Step(None, model.init_states()[0]),)))
    data = {"model": {"example": "two_phase_commit", "params": {"rms": "1"}},
            "properties": {"deadlock": {"kind": "deadlock", "verdict": "violated", "trace": initial}}}
    assert main(["verify-trace", write(tmp_path, "dead.json", data)]) == 2
    one_line_error(capsys, "deadlock: it no longer ends in a deadlock")


# -- 8. one definition of "disagrees with the documents", shown everywhere -----------------------
def test_8_findings_outputs_flag_the_same_cells(tmp_path, capsys):
    from invariants.catalog import CLAIM_SCOPE, CLAIMS_DESCRIBE

    report = tmp_path / "r.md"
    presets = ["--preset", "pr4139", "--preset", CLAIMS_DESCRIBE]  # proposed is compared with nothing
    assert main(["findings", "--json", "--quiet", *presets]) == 0
    rows = json.loads(capsys.readouterr().out)
    flagged_json = {(r["finding"], r["preset"]) for r in rows if r["disagrees_with_documents"]}
    compared = {(r["finding"], r["preset"]) for r in rows if r["disagrees_with_documents"] is not None}
    assert flagged_json and {p for _, p in compared} == {CLAIMS_DESCRIBE}
    for r in rows:  # the field is the documents' verdict against the model's, where compared
        if r["disagrees_with_documents"] is not None:
            assert r["disagrees_with_documents"] == (r["verdict"] != r["documents_claimed_verdict"])

    assert main(["findings", "--markdown", str(report), "--quiet", *presets]) == 0
    terminal = capsys.readouterr().out
    flagged_terminal = set(re.findall(r"│ (\w\d)\s+│ (\w+)\s+│[^│]*│ \w+ ≠", terminal))
    markdown = report.read_text()
    flagged_markdown = set(re.findall(r"^\| (\w\d) \| (\w+) \|.*≠ documents", markdown, re.M))
    assert flagged_terminal == flagged_markdown == flagged_json
    assert CLAIM_SCOPE in markdown and " ".join(CLAIM_SCOPE.split()) in " ".join(terminal.split())


# -- 9. help texts --------------------------------------------------------------------------------
def help_of(capsys, *args) -> str:
    with pytest.raises(SystemExit):
        main([*args, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_9_every_config_key_has_a_meaning_for_the_help():
    """A key added to model/config.py without a line in MEANING would break every --help."""
    from model.config import _SPEC, MEANING

    assert sorted(MEANING) == sorted(_SPEC)


def test_9_help_lists_names_ranges_defaults_and_exit_codes(capsys):
    from invariants import PROPERTY_NAMES
    from invariants.findings import BY_ID
    from model import PRESETS
    from model.config import BOUNDS, KNOBS

    for command in ("explore", "findings", "trace", "explain", "check", "diff", "simulate", "verify-trace", "replay"):
        text = help_of(capsys, command)
        assert "exit codes: 0" in text, command
        if command in ("explore", "findings", "explain", "check", "diff", "simulate"):
            assert "--quiet hide the live progress display on stderr" in text, command
        if command in ("findings", "trace", "explain"):
            assert all(i in text for i in BY_ID), command
        if command in ("explore", "findings", "trace", "explain", "check", "diff", "simulate"):
            assert all(p in text for p in PRESETS), command
        if command in ("check", "diff", "explain"):
            assert all(p in text for p in PROPERTY_NAMES), command
        if command in ("explore", "explain", "check", "diff", "simulate"):
            for key in KNOBS + BOUNDS:
                row = re.search(rf"\b{key} (.*?); default", text)
                assert row and re.search(r"\.\.|\||on\|off|channels|kinds", row.group(1)), (command, key)
            assert "--dispatchers VALUE the same as --set dispatchers=VALUE: dispatchers d1..dN on the DM's node; " \
                   "1..3; default 1" in text
    assert "130 interrupted" in help_of(capsys, "explore") and "141" in help_of(capsys)


# -- 10. Mermaid: the bootstrap comes from the new maintainer; a dropped request is lost ----------
def test_10_mermaid_names_the_bootstrap_sender_and_draws_a_drop_as_lost(capsys):
    assert main(["trace", "A5", "--preset", "pr4139", "--format", "mermaid"]) == 1
    diagram = capsys.readouterr().out
    assert re.search(r"maintainer_B->>orchestrator: \d+\. dm_recv_bootstrap", diagram)
    assert "participant maintainer as" not in diagram

    from explorer.result import Step, Trace
    from explorer.trace import mermaid_sequence
    from model import RecoverModel
    from model.scenario import load_scenario, replay

    scenario = load_scenario(ROOT / "tests" / "scenarios" / "collector_drops_to_stopped.json")
    steps = replay(scenario)
    diagram = mermaid_sequence(RecoverModel(scenario.config), Trace(tuple(Step(a, s) for a, s in steps)))
    assert re.search(r"collector-xmaintainer_A: \d+\. hbc_send \(lost\)", diagram)
    assert "dm->>collector" not in diagram  # the one request sent is the one dropped


# -- 11. the README's setup ----------------------------------------------------------------------
def test_11_readme_makes_a_virtual_environment_and_says_how_long_the_tests_take():
    setup = (ROOT / "README.md").read_text().split("## Two commands", 1)[1].split("## ", 1)[0]
    assert "python3 -m venv" in setup and ". .venv/bin/activate" in setup
    assert re.search(r"test suite[^.]*takes about \d", setup)
