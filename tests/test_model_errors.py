"""Bad scenarios and bad configs fail with one-line ScenarioError / ConfigError messages."""

from __future__ import annotations

import json

import pytest

from model import ConfigError, ScenarioError, make_config
from model.scenario import load_scenario, replay


def _replay(data) -> None:
    replay(load_scenario(data if isinstance(data, str) else json.dumps(data)))


@pytest.mark.parametrize(
    "data, fragment",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"steps": [{"action": "explode"}]}, "step 1: unknown action 'explode'"),
        ({"steps": [{"action": "dml_fail", "dd": "d1"}]}, "step 1: unknown argument 'dd' for dml_fail"),
        ({"steps": [{"action": "dm_take_event"}]}, "step 1: {\"action\": \"dm_take_event\"}: dm_take_event matches no enabled transition (enabled: "),
        ({"config": {"dispatchers": 2}, "steps": [{"action": "dml_fail"}]}, "step 1: {\"action\": \"dml_fail\"}: ambiguous, 2 transitions match"),
        ({"steps": [{"action": "dml_fail", "d": "d1"}, {"action": "dml_fail"}]}, "step 2:"),
        ({"config": {"dispatchers": 9}, "steps": []}, "bad config: dispatchers: 9 is out of range 1..3"),
        ({"preset": "nope", "steps": []}, "bad config: unknown preset 'nope'"),
        ({"steps": {}}, "needs \"steps\""),
        ({"steps": [], "colour": 1}, "unknown scenario key 'colour'"),
        ({"steps": ["dml_fail"]}, "step 1: expected an object"),
    ],
)
def test_bad_scenarios(data, fragment):
    with pytest.raises(ScenarioError) as error:
        _replay(data)
    message = str(error.value)
    assert fragment in message
    assert "\n" not in message


def test_a_scenario_file_path_is_read(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"steps": [{"action": "dml_fail", "d": "d1", "lifecycle": 1}]}))
    trace = replay(load_scenario(str(path)))
    assert [str(a) for a, _ in trace] == ["None", "dml_fail(d=d1, lifecycle=1, de=1)"]


@pytest.mark.parametrize(
    "preset, overrides, fragment",
    [
        ("nope", {}, "unknown preset 'nope'"),
        ("pr4139", {"colour": "red"}, "unknown config key 'colour'"),
        ("pr4139", {"dispatchers": 0}, "dispatchers: 0 is out of range 1..3"),
        ("pr4139", {"dispatchers": "two"}, "dispatchers: expected an integer"),
        ("pr4139", {"dispatchers": True}, "dispatchers: expected an integer"),
        ("pr4139", {"check_source": "maybe"}, "check_source: expected on/off"),
        ("pr4139", {"rebind_on": "sometimes"}, "rebind_on: expected one of never, epoch_change"),
        ("pr4139", {"lossy": "requests,pigeons"}, "lossy: unknown channel 'pigeons'"),
        ("pr4139", {"other_operators": ["restart"]}, "other_operators: unknown operator kind 'restart'"),
        ("pr4139", {"lossy": 3}, "lossy: expected a list of names"),
    ],
)
def test_bad_configs(preset, overrides, fragment):
    with pytest.raises(ConfigError) as error:
        make_config(preset, overrides)
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_strings_from_the_command_line_convert():
    cfg = make_config("design", {"check_source": "off", "dispatchers": "2", "lossy": "requests,responses", "timeout_fuse": "false"})
    assert (cfg.check_source, cfg.dispatchers, cfg.timeout_fuse) == (False, 2, False)
    assert cfg.lossy == ("requests", "responses.A", "responses.B")
    assert make_config("pr4139", {"duplicating": ["bootstrap", "events"]}).duplicating == ("events", "bootstrap")
