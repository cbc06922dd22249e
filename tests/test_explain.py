"""Explained counterexamples (explorer/explain.py, invariants/explain.py, ``recover-check
explain``): small models whose answers are known by hand, then the recover model's findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from explorer import Invariant, explore, leads_to
from explorer.cli import main
from explorer.examples import TwoPhaseCommit, WaterJug
from explorer.examples.explicit import ExplicitGraph
from explorer.explain import (CAUSE, ENABLER, IRRELEVANT, ONLY_RUN, explain, nearest_passing_run, read_values,
                              step_roles, violated_clause)
from explorer.properties import Failed, clauses
from explorer.result import Step, Trace
from explorer.trace import StepNotEnabled, replay_actions

from cli_helpers import ROOT


def trace_of(model, labels) -> Trace:
    start = model.init_states()[0]
    return Trace((Step(None, start), *replay_actions(model, start, labels)))


def labels(trace) -> list[str]:
    return [str(s.action) for s in trace.steps[1:]]


# -- the violated clause -----------------------------------------------------------------------
BIG_NOT_FULL = Invariant("big_not_full", clauses(
    ("small in range", lambda s: 0 <= s[0] <= 3),
    ("big below its capacity", lambda s: s[1] < 5 or Failed(f"big = {s[1]}, its capacity"))))


def test_a_named_clause_fails_with_its_reason_and_the_values_it_read():
    jug = WaterJug()
    clause = violated_clause(jug, BIG_NOT_FULL, trace_of(jug, ["FillBig"]))
    assert (clause.clause, clause.reason, clause.step) == ("big below its capacity", "big = 5, its capacity", 2)
    assert clause.reads == (("state[0]", 0), ("state[1]", 5))
    assert "big below its capacity" in clause.text() and "big = 5" in clause.text()


def test_a_plain_predicate_still_works_and_reads_are_recorded():
    jug = WaterJug()
    (prop,) = jug.properties()
    result = explore(jug, [prop, BIG_NOT_FULL], deadlock=False)
    assert result.verdicts["big_not_4"].status == result.verdicts["big_not_full"].status == "violated"
    clause = violated_clause(jug, prop, result.verdicts["big_not_4"].trace)
    assert (clause.clause, clause.reason) == ("", "") and clause.reads == (("state[1]", 4),)


def test_reads_follow_attributes_items_and_emptiness():
    from typing import NamedTuple

    class Entry(NamedTuple):
        handled: bool

    class State(NamedTuple):
        pending: tuple
        queue: tuple

    verdict, reads = read_values(lambda s: not (s.pending[0] and s.pending[0].handled and not s.queue),
                                 [("state", State((Entry(True),), ()))])
    assert verdict is False
    assert reads == (("state.pending[0].handled", True), ("state.queue", ()))


# -- essential steps ---------------------------------------------------------------------------
def test_water_jug_variant_with_exactly_one_essential_step():
    """A walk that fills and empties the small jug, then fills the big one: only FillBig matters
    to "the big jug is never full"; no run ends with FillBig and passes."""
    jug = WaterJug()
    trace = trace_of(jug, ["FillSmall", "EmptySmall", "FillBig"])
    roles = step_roles(jug, BIG_NOT_FULL, trace)
    assert [(r.step, r.role) for r in roles] == [(2, IRRELEVANT), (3, IRRELEVANT), (4, CAUSE)]
    expl = explain(jug, BIG_NOT_FULL, trace)
    assert expl.essential == (4,)
    nearest = expl.nearest
    assert nearest.trace is None and nearest.complete and nearest.searched > 0


def test_a_step_whose_consequences_do_not_matter_is_irrelevant():
    """Two independent parts, a = 0 -x-> 1 -y-> 2 and b = 0 -bad-> 1, state 10a + b; the
    invariant "b is 0". Without x, y cannot run: but leaving out both, bad still violates, so
    neither matters; bad is the cause."""
    edges = [(10 * a + b, label, 10 * (a + 1) + b) for a, label in ((0, "x"), (1, "y")) for b in (0, 1)]
    edges += [(10 * a, "bad", 10 * a + 1) for a in (0, 1, 2)]
    model = ExplicitGraph([0], edges)
    prop = Invariant("b_is_0", lambda s: s % 10 == 0)
    roles = step_roles(model, prop, trace_of(model, ["x", "y", "bad"]))
    assert [(r.step, r.role) for r in roles] == [(2, IRRELEVANT), (3, IRRELEVANT), (4, CAUSE)]
    assert "cannot run: step 3" in roles[0].removed and "skipping the 1 step" in roles[0].removed
    # in the other order, y is what x enabled and the trace needs: an enabler
    trace = trace_of(model, ["x", "y"])
    needs_y = Invariant("not_a_2", lambda s: s // 10 != 2)
    assert [(r.role, r.enables) for r in step_roles(model, needs_y, trace)] == [(ENABLER, 3), (CAUSE, None)]


def test_a_shortest_counterexample_has_no_irrelevant_step_and_its_nearest_run_is_known():
    """BFS gives the shortest trace, so removing any step leaves no violation. The nearest
    passing run that ends with BigToSmall: inserting EmptySmall before the last step (one edit;
    deleting the second FillBig is one edit too, but differs in two fields, not one)."""
    jug = WaterJug()
    (prop,) = jug.properties()
    trace = explore(jug, [prop], deadlock=False).verdicts["big_not_4"].trace
    assert labels(trace) == ["FillBig", "BigToSmall", "EmptySmall", "BigToSmall", "FillBig", "BigToSmall"]
    assert all(r.essential for r in step_roles(jug, prop, trace))
    nearest = nearest_passing_run(jug, prop, trace)
    assert nearest.distance == 1 and nearest.field_differences == 1
    assert labels(nearest.trace) == ["FillBig", "BigToSmall", "EmptySmall", "BigToSmall", "FillBig", "EmptySmall",
                                     "BigToSmall"]
    assert nearest.first_divergence.op == ONLY_RUN and nearest.first_divergence.run == 7
    assert all(s.state[1] != 4 for s in nearest.trace.steps)


def test_the_nearest_run_search_reports_its_cap():
    jug = WaterJug()
    trace = trace_of(jug, ["FillSmall", "EmptySmall", "FillBig"])
    nearest = nearest_passing_run(jug, BIG_NOT_FULL, trace, max_nodes=5)
    assert nearest.trace is None and not nearest.complete and "capped at 5" in nearest.note
    assert nearest_passing_run(jug, BIG_NOT_FULL, trace, max_states=3).note == "search capped at 3 states"


def test_replay_names_the_step_that_is_not_enabled():
    model = ExplicitGraph([0], [(0, "a", 1), (1, "b", 2)])
    with pytest.raises(StepNotEnabled) as raised:
        replay_actions(model, 0, ["a", "a"])
    assert raised.value.step == 3 and "step 3: a is not enabled" in str(raised.value)


# -- a two-phase-commit bug blocked by exactly one knob ----------------------------------------
def test_two_phase_commit_bug_is_blocked_by_exactly_one_knob(capsys):
    argv = ["explain", "--example", "two_phase_commit", "--param", "prepared_abort=1", "--property", "consistent",
            "--json"]
    assert main(argv) == 1
    data = json.loads(capsys.readouterr().out)
    expl = data["explanation"]
    assert expl["blocking"] == ["prepared_abort=0"]
    (blocked,) = [v for v in expl["variants"] if v["change"] == "prepared_abort=0"]
    step = blocked["step"]
    assert blocked["outcome"] == "impossible" and data["trace"]["steps"][step - 1]["action"].startswith("RMChooseToAbort")
    # the blocked step is where a prepared RM aborts: its removal makes the trace pass
    assert next(s for s in expl["steps"] if s["step"] == step)["role"] == "cause"
    assert [v["outcome"] for v in expl["variants"] if v["change"] == "tm_abort=0"] == ["violates"]
    # the knob's default is TwoPhase.tla: nothing to explain
    assert main(["explain", "--example", "two_phase_commit", "--property", "consistent"]) == 0


def test_two_phase_commit_knobs_keep_the_engines_in_agreement():
    from engine_helpers import outcome

    model = TwoPhaseCommit(3, prepared_abort=1, tm_abort=0)
    states = explore(model, model.properties(), engine="states", deadlock=False)
    batched = explore(model, model.properties(), engine="batched", deadlock=False)
    assert outcome(states) == outcome(batched) and states.verdicts["consistent"].status == "violated"


# -- a liveness lasso --------------------------------------------------------------------------
def lasso_model():
    """0 -req-> 1 (P), then 1 -tick-> 3 -tock-> 1 forever (weakly fair), or 1 -serve-> 2 (Q)."""
    model = ExplicitGraph([0], [(0, "req", 1), (1, "tick", 3), (3, "tock", 1), (1, "serve", 2), (2, "done", 0)])
    prop = leads_to("served", lambda s: s == 1, lambda s: s == 2, {"tick": "weak", "tock": "weak"})
    return model, prop


def test_liveness_lasso_explained():
    model, prop = lasso_model()
    trace = explore(model, [prop], deadlock=False).verdicts["served"].trace
    assert labels(trace) == ["req", "tick", "tock"] and trace.loop == 1
    expl = explain(model, prop, trace)
    assert (expl.clause.pending_from, expl.clause.step, expl.clause.kind) == (2, 2, "liveness")
    # the nearest fair run that reaches Q: the same steps, then serve (one insertion)
    assert labels(expl.nearest.trace) == ["req", "tick", "tock", "serve"] and expl.nearest.distance == 1
    # req enables tick, tick enables tock; without tock the cycle no longer closes
    assert [(r.role, r.enables) for r in expl.roles] == [(ENABLER, 3), (ENABLER, 4), (ENABLER, None)]
    assert "no longer returns to step 2" in expl.roles[2].removed


def test_a_fair_serve_leaves_nothing_to_explain():
    model, prop = lasso_model()
    fair = leads_to("served", prop.p, prop.q, {"tick": "weak", "tock": "weak", "serve": "strong"})
    assert explore(model, [fair], deadlock=False).verdicts["served"].status == "holds"


# -- the recover model -------------------------------------------------------------------------
def test_explain_a_finding_names_the_knob_that_blocks_it(capsys):
    assert main(["explain", "N4", "--preset", "pr4139", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    expl = data["explanation"]
    assert data["finding"] == "N4" and expl["property"] == "no_spurious_restart"
    assert "a restart hits a healthy instance" in expl["violated"]["text"]
    dedup = next(v for v in expl["variants"] if v["change"] == "maintainer_dedup=on")
    assert dedup["outcome"] == "impossible" and '"SUPERSEDED" (was "ACCEPTED")' in dedup["detail"]
    assert "preset proposed" in expl["blocking"]
    assert expl["essential_steps"][-1] == data["trace"]["length"]


def test_explain_text_shows_every_part(capsys):
    assert main(["explain", "A5", "--preset", "pr4139"]) == 1
    out = " ".join(capsys.readouterr().out.split())  # rich wraps lines at the console's width
    for part in ("violated: stale_response_harmless", "values read:", "role", "Nearest passing run: edit distance",
                 "First divergence", "aligned", "changes that block this trace", "check_source=on",
                 "Still violating under:"):
        assert part in out, part


def test_explain_property_on_any_configuration(capsys):
    argv = ["explain", "--preset", "pr4139", "--property", "no_wrong_clear", "--set", "failures=2", "--json"]
    assert main(argv) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == {"preset": "pr4139", "config": {"failures": "2"}}
    assert "failures" not in {v["change"].split("=")[0] for v in data["explanation"]["variants"]}
    assert data["explanation"]["violated"]["clause"] == "pending cleared under a blocked instance"


@pytest.mark.parametrize("argv, fragment", [
    (["explain"], "a finding ID or --property NAME"),
    (["explain", "A5", "--property", "no_wrong_clear", "--preset", "pr4139"], "a finding ID or --property NAME"),
    (["explain", "A5"], "needs --preset"),
    (["explain", "A5", "--preset", "pr4139", "--set", "failures=1"], "apply to explain --property"),
    (["explain", "A5", "--preset", "pr4139", "--max-states", "10"], "--max-states"),
    (["explain", "Z9", "--preset", "pr4139"], "unknown finding 'Z9'"),
    (["explain", "--property", "nope", "--preset", "pr4139"], "unknown property 'nope'"),
    (["explain", "A5", "--preset", "pr4139", "--max-pairs", "0"], "must be at least 1"),
])
def test_explain_bad_input_is_one_line_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_explain_without_counterexample_exits_0(capsys):
    assert main(["explain", "A3", "--preset", "design"]) == 0
    assert "holds; no counterexample" in capsys.readouterr().out


def test_trace_table_shows_the_compact_explanation(capsys):
    assert main(["trace", "A3", "--preset", "pr4139"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "violated: recovers_without_fuse[d1]" in out and "enabler of" in out and "cause" in out
    assert "blocked by: rebind_on=maintainer_change (no longer violates at step" in out
    assert "recover-check explain A3 --preset pr4139" in out


def test_check_tables_carry_step_roles(capsys):
    assert main(["check", "--example", "water_jug", "--property", "big_not_4"]) == 1
    assert "role" in capsys.readouterr().out


def test_explanations_do_not_depend_on_the_hash_seed():
    outputs = set()
    for seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-m", "explorer.cli", "explain", "N3", "--preset", "design", "--json"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


# -- is a counterexample a run of its preset itself (the check's isolation knobs dropped)? -----
def _base_outcome(finding_id: str, preset: str, check: int = 0, dropped: bool = False):
    from invariants.catalog import run_check
    from invariants.findings import FINDINGS

    finding = next(f for f in FINDINGS if f.id == finding_id)
    outcome = run_check(finding.dropped if dropped else finding.checks[check], preset, max_states=200_000)
    assert outcome.trace is not None, f"{finding_id}'s check found no counterexample on {preset}"
    return finding, outcome


def test_a_trace_that_needs_its_isolation_is_not_a_run_of_its_preset():
    """A6's second check keeps N3 out with ``working_clears=never``; its trace handles a Working
    status after the failure, which on pr4139 itself (any Working clears) goes otherwise."""
    from invariants.explain import on_preset_itself

    _, outcome = _base_outcome("A6", "pr4139", check=1)
    seen = on_preset_itself(outcome)
    assert seen.isolation == {"working_clears": "never"} and seen.framing == {"timeout_fuse": False}
    assert not seen.replays and seen.failure.startswith("step ") and "dm_status" in seen.failure
    assert "**Not a run of `pr4139`" in seen.text() and "`working_clears=any`" in seen.text()


def test_a_trace_its_isolation_does_not_touch_is_a_run_of_its_preset():
    """A3's check switches six neighbours' fixes on; its trace never reaches a step they change."""
    from invariants.explain import on_preset_itself

    _, outcome = _base_outcome("A3", "pr4139")
    seen = on_preset_itself(outcome)
    assert len(seen.isolation) == 6 and seen.replays and seen.shows == "a fair lasso that violates it"


def test_a_dropped_assumption_is_the_question_not_an_isolation():
    from invariants.explain import FRAMING, on_preset_itself

    finding, outcome = _base_outcome("A2", "design", dropped=True)
    assert finding.assumption_knobs == ("epoch_policy",)
    seen = on_preset_itself(outcome, FRAMING + finding.assumption_knobs)
    assert seen.isolation == {} and seen.framing == {"epoch_policy": "per_instance"} and seen.replays
    assert on_preset_itself(outcome).isolation == {"epoch_policy": "per_instance"}  # were it not named
