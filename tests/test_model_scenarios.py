"""Every scenario under tests/scenarios replays and its expectations hold, in every variant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import ACTIONS
from model.config import KNOBS
from model.scenario import check, load_scenario

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_holds(path):
    assert check(load_scenario(path)) == []


def test_every_action_appears_in_some_scenario():
    used = {step["action"] for path in SCENARIOS for step in json.loads(path.read_text())["steps"]}
    assert sorted(set(ACTIONS) - used) == []


def test_every_knob_has_a_variant_that_changes_it():
    changed = set()
    for path in SCENARIOS:
        data = json.loads(path.read_text())
        for variant in data.get("variants", ()):
            changed |= set(variant.get("config", {})) & set(KNOBS)
            if "preset" in variant:
                changed.add("preset")
    assert sorted(set(KNOBS) - changed) == []


def test_a_wrong_expectation_is_reported():
    scenario = load_scenario(
        json.dumps({"steps": [{"action": "dml_fail", "d": "d1"}], "expect": {"dm": {"reported": {"d1": 2}}}})
    )
    assert check(scenario) == ["base: dm.reported.d1: expected 2, got 1"]
