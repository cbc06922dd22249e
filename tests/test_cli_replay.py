"""Every scenario file through the public command `recover-check replay`, and its errors."""

import json
from pathlib import Path

import pytest

from explorer.cli import main
from model.scenario import load_scenario, subset_mismatch

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_replay_prints_the_expected_observation(path, capsys):
    assert main(["replay", str(path), "--json"]) == 0
    observation = json.loads(capsys.readouterr().out)
    expect = load_scenario(str(path)).expect
    if expect is not None:
        assert subset_mismatch(expect, observation) is None


def test_replay_trace_shows_each_step(capsys):
    path = Path(__file__).parent / "scenarios" / "first_request.json"
    assert main(["replay", str(path), "--trace"]) == 0
    out = capsys.readouterr().out
    assert "dml_fail(d=d1, lifecycle=1, de=1)" in out and "dm_take_event" in out


@pytest.mark.parametrize("text, fragment", [
    ("{not json", "not JSON"),
    ('{"steps": [{"action": "teleport"}]}', "teleport"),
    ('{"steps": [{"action": "dm_take_event"}]}', "step 1"),
    ('{"config": {"dispatchers": 2}, "steps": [{"action": "dml_fail"}]}', "step 1"),
    ('{"preset": "nope", "steps": []}', "nope"),
])
def test_malformed_scenarios_fail_in_one_line(tmp_path, capsys, text, fragment):
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err
