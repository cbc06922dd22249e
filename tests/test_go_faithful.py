"""The model follows the Go code where the verdicts depend on it: each fix of the proposed preset
is needed, no verdict rests on a hypothetical or on a slow-timer step alone, the liveness goal is
what a user means by "recovered", and the documentation names every action and knob.
(The behaviour of each Go-faithful action is shown by a scenario under tests/scenarios.)"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from explorer import explore, leads_to
from invariants import properties_for
from invariants.catalog import PRESET_ORDER, checks_on, decide, run_check, with_one_more_move
from invariants.findings import BY_ID, FINDINGS, NOT_NEEDED, PINNED, PROPOSED_FIXES
from invariants.properties import FAIRNESS, blocked
from model import ACTIONS, PRESETS, RecoverModel, make_config
from model.config import KNOBS
from model.state import CMD_REMOVE

DOCS = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def knob_of(fix: str) -> str:
    return fix.split("=")[0]


@pytest.mark.parametrize("fix", sorted(PROPOSED_FIXES))
def test_every_fix_of_proposed_is_needed(fix, monkeypatch):
    """Without any one of its knobs (set back to design's value), some check of the catalog fails
    on what is left of proposed: no knob is there for nothing."""
    knob = knob_of(fix)
    monkeypatch.setitem(PRESETS, "proposed", dict(PRESETS["proposed"], **{knob: PRESETS["design"][knob]}))
    closes = PROPOSED_FIXES[fix][0].split(", ")
    ordered = sorted(FINDINGS, key=lambda f: f.id not in closes)  # the findings it closes first
    checks = (c for f in ordered for c in checks_on(f, "proposed") if knob not in c.config)
    assert any(run_check(c, "proposed").status == "violated" for c in checks), f"{fix}: proposed holds without it"


@pytest.mark.parametrize("fix", sorted(NOT_NEEDED))
def test_dropped_fixes_are_off_in_proposed(fix):
    knob, value = fix.split("=")
    assert PRESETS["proposed"][knob] == PRESETS["design"][knob] and value == "on"


def test_the_epoch_bump_is_only_a_hypothetical():
    """A3 is decided on moves that keep the epoch; the bump (Go never does it) is reported, not
    counted: on design it breaks the rebind, yet the verdict stays."""
    finding = BY_ID["A3"]
    assert all(not c.config.get("switch_changes_epoch") for c in finding.checks)
    verdict = decide(finding, "design")
    assert verdict.status == PINNED[("A3", "design")] == "holds"
    assert [o.status for o in verdict.hypothetical] == ["violated"]
    assert PRESETS["pr4139"]["switch_changes_epoch"] is False and PRESETS["proposed"]["maintainer_overlap"] is False


def test_proposed_checks_run_with_one_more_move():
    for finding in FINDINGS:
        checks = checks_on(finding, "proposed")
        moved = [with_one_more_move(c) for c in finding.checks]
        assert all(c in checks for c in moved if c is not None)
        assert checks_on(finding, "design") == finding.checks


def _no_resend_while_removing(monkeypatch):
    """Forbid re-sending a Remove while its instance is still removing: in Go that needs a close
    slower than the 10 s send throttle."""
    import model.maintainer as maintainer

    enabled = maintainer.operator_send_args

    def quick_close(s, cfg):
        for m, d in enabled(s, cfg):
            incarnation = s.maintainers[m].incarnation
            command = maintainer.operator_command(s.maintainers[m].operators[d], d, incarnation)
            if not (command.op == CMD_REMOVE and s.instances[d] and s.instances[d].removing):
                yield m, d

    monkeypatch.setattr(maintainer, "operator_send_args", quick_close)


@pytest.mark.parametrize("preset", ("pr4139", "design"))
def test_no_verdict_rests_on_a_slow_close(preset, monkeypatch):
    _no_resend_while_removing(monkeypatch)
    for finding in FINDINGS:
        assert decide(finding, preset).status == PINNED[(finding.id, preset)], finding.id


def test_a_lost_dispatcher_is_not_served():
    """N9 on design: the blocked instance is closed, so the old goal "a blocked instance is
    eventually removed" holds; the dispatcher never comes back, which no_silent_stall (served:
    a healthy instance here, or the span owned elsewhere) reports."""
    config = make_config("design", {"failures": 1, "maintainer_moves": 1})
    old = leads_to("blocked_ends", lambda s: blocked(s, 0), lambda s: bool(s.fallback) or not blocked(s, 0),
                   FAIRNESS)
    result = explore(RecoverModel(config), [old, *properties_for(config, ["no_silent_stall"])], deadlock=False)
    assert result.verdicts["blocked_ends"].status == "holds"
    violated = result.verdicts["no_silent_stall[d1]"]
    assert violated.status == "violated"
    last = violated.trace.steps[-1].state
    assert not last.instances[0] and last.spans[0] == 0 and not last.dm.pending[0] and not last.fallback


@pytest.mark.parametrize("spec", ACTIONS.values(), ids=lambda spec: spec.name)
def test_every_action_names_its_go_function_and_file(spec):
    transition = getattr(spec.module, spec.name)
    assert spec.go and (re.search(r"\w+\.go\b", spec.go) or spec.go.startswith("(network"))
    doc = inspect.getdoc(transition) or ""
    assert re.search(r"\(``\w", doc) or "no Go function" in doc, f"{spec.name}'s docstring cites no Go function"


def test_the_protocol_document_names_every_action_knob_and_property():
    text = DOCS.read_text()
    from invariants import PROPERTY_NAMES

    missing = [name for name in (*ACTIONS, *KNOBS, *PROPERTY_NAMES) if f"`{name}" not in text]
    assert missing == []


def test_every_cell_is_pinned_for_every_preset():
    assert {(f.id, p) for f in FINDINGS for p in PRESET_ORDER} == set(PINNED)


def test_a_lossy_schedule_channel_cannot_lose_every_re_send_before_it_is_offered():
    """Wire order holds a Remove behind the RUNNING answer sent before it. When it could also
    be lost while held, the fair search took 'every re-send lost before the DM could read it' as
    a fair stall, and A6 on proposed looked violated at lossy=schedule (deep sweep, 2026-11-30).
    Only the head of a node's stream is lost, so delivery stays fair: the same point holds."""
    config = make_config("proposed", {"failures": 1, "other_operators": "move,split,merge_source",
                                      "timeout_fuse": False, "lossy": "schedule"})
    props = properties_for(config, ["recovers_without_fuse"])
    result = explore(RecoverModel(config), props, deadlock=False)
    assert all(v.status == "holds" for v in result.verdicts.values())
