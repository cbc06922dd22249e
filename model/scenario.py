"""Scenario files (docs/protocol.md, "Scenarios"): parse, replay, check.

A scenario is a JSON object::

    {"preset": "pr4139",                        # optional, default "pr4139"
     "config": {"dispatchers": 1},              # optional overrides (config keys)
     "description": "...",                      # optional, free text
     "steps": [{"action": "dml_fail", "d": "d1", "lifecycle": 1}, {"action": "dm_take_event"}],
     "expect": {"dm": {"pending": {}}},         # optional, see below
     "expect_enabled": [{"action": "dm_timeout_tick"}],      # optional
     "expect_disabled": [{"action": "dm_resend_tick"}],      # optional
     "variants": [{"name": "design", "preset": "design", "config": {...}, "expect": {...}}]}

Replay bounds. The bounds that exist only to keep an exhaustive search small would make a
scenario transcribed from a Go test fail ("matches no enabled transition"), so a scenario
starts from Go's values instead (``REPLAY_BOUNDS``): ``slow_ticks`` off (Go's resend ticker
fires every 5 s, request in flight or not), ``channel_capacity`` and ``events_capacity`` 1024
(Go's channels), ``restart_budget`` 6 (Go's ``recoverableMaxAttempts``). A scenario (or
variant) that sets one of them in ``config`` keeps its own value.

Each step names an action and, optionally, some of its arguments (names of docs/protocol.md,
"Actions": ``d``, ``lifecycle``, ``de``, ``m``, ``from``, ``to``, ``kind``, ``channel``,
``order``); it must match
exactly one enabled transition (values compare as text, so ``1`` and ``"1"`` match), else
replay stops with :class:`model.ScenarioError`, one line naming the step number (1-based), the
step and the enabled labels.

Checks after the last step:

``expect``           a subset of the observation, compared recursively: every key given must be
                     present with a matching value (dicts: subset; lists: same length, items
                     matched in order; anything else: equal). ``{}`` matches only an empty dict.
``expect_enabled``   step objects that must each match at least one enabled transition;
``expect_disabled``  step objects that must match none.

``variants`` replay the same steps under other configs: each variant may give ``preset``
(default: the scenario's), ``config`` (merged over the scenario's), its own ``expect``,
``expect_enabled``, ``expect_disabled`` (default: none) and ``expect_error`` (a substring of the
ScenarioError the replay must stop with, for a knob that disables a step). ``check(scenario)``
runs the scenario and every variant and returns the list of failures (empty: all hold).
"""

from __future__ import annotations

import json
import os

import attrs

from . import ScenarioError
from .actions import ACTIONS, Action
from .config import GO_CHANNEL_CAPACITY, GO_RESTART_BUDGET, Config, ConfigError, make_config
from .model import RecoverModel

# Go's values for the bounds that only keep a search small (see the module docstring)
REPLAY_BOUNDS = {
    "slow_ticks": False,
    "bootstrap_copies": 3,  # Go re-sends every 500 ms until answered: no bound but time
    "channel_capacity": GO_CHANNEL_CAPACITY,
    "events_capacity": GO_CHANNEL_CAPACITY,
    "restart_budget": GO_RESTART_BUDGET,
}

_TOP_KEYS = {"preset", "config", "description", "steps", "expect", "expect_enabled", "expect_disabled", "variants"}
_VARIANT_KEYS = {"name", "preset", "config", "expect", "expect_enabled", "expect_disabled", "expect_error"}


@attrs.frozen
class Scenario:
    config: Config
    steps: tuple  # of dicts {"action": name, arg: value, ...}
    expect: dict | None = None
    expect_enabled: tuple = ()
    expect_disabled: tuple = ()
    expect_error: str | None = None
    name: str = ""
    variants: tuple = ()  # of Scenario (their own variants empty)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _step_text(step: dict) -> str:
    return json.dumps(step, sort_keys=False)


def _check_step(index: int, step) -> dict:
    """``step`` validated against ``ACTIONS`` (name and argument names)."""
    where = f"step {index}"
    if not isinstance(step, dict):
        raise ScenarioError(f"{where}: expected an object, got {_one_line(json.dumps(step))}")
    name = step.get("action")
    if not isinstance(name, str):
        raise ScenarioError(f"{where}: missing \"action\" in {_step_text(step)}")
    if name not in ACTIONS:
        raise ScenarioError(f"{where}: unknown action {name!r} (actions: {', '.join(ACTIONS)})")
    params = [p for p, _ in ACTIONS[name].params]
    for key in step:
        if key != "action" and key not in params:
            expects = ", ".join(params) if params else "no arguments"
            raise ScenarioError(f"{where}: unknown argument {key!r} for {name} (expects {expects})")
    return step


def _overrides(where: str, overrides) -> dict:
    """A scenario's or variant's ``config``: an object (absent means none)."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise ScenarioError(f"{where}\"config\" must be an object, got {_one_line(json.dumps(overrides))}")
    return overrides


def _config(preset, overrides: dict, base: dict | None = None) -> Config:
    merged = {**REPLAY_BOUNDS, **(base or {}), **overrides}
    try:
        return make_config(preset, merged)
    except ConfigError as error:
        raise ScenarioError(f"bad config: {_one_line(error)}") from None


def _expect(where: str, value) -> dict | None:
    if value is not None and not isinstance(value, dict):
        raise ScenarioError(f"{where}\"expect\" must be an object (a subset of the observation)")
    return value


def _expect_error(i: int, value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"variant {i}: \"expect_error\" must be a string")
    return value


def _step_list(key: str, value) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScenarioError(f"\"{key}\" must be a list of steps")
    return tuple(_check_step(i, step) for i, step in enumerate(value, 1))


def _read(text_or_path) -> str:
    """The scenario's text: a string that starts like a JSON object or list is the text itself
    (a scenario is an object), anything else a path."""
    if isinstance(text_or_path, str) and text_or_path.lstrip().startswith(("{", "[")):
        return text_or_path
    if not isinstance(text_or_path, (str, os.PathLike)):
        raise ScenarioError(f"expected scenario text or a path, got {type(text_or_path).__name__}")
    return read_file(text_or_path)


def read_file(path) -> str:
    """The text of a JSON file, or a :class:`ScenarioError` naming in one line why not."""
    name = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise ScenarioError(f"{name}: no such file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{name} is not UTF-8 text (it should hold JSON)") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        raise ScenarioError(f"cannot read {name!r}: {_one_line(getattr(error, 'strerror', None) or error)}") from None


def load_scenario(text_or_path) -> Scenario:
    """Parse a scenario from JSON text or a file path."""
    return parse_scenario(_read(text_or_path))


def parse_scenario(text: str) -> Scenario:
    """Parse a scenario from JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(f"not JSON: {_one_line(error)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"a scenario must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ScenarioError(f"unknown scenario key {unknown[0]!r} (keys: {', '.join(sorted(_TOP_KEYS))})")
    if not isinstance(data.get("steps"), list):
        raise ScenarioError("a scenario needs \"steps\", a list of steps")
    preset = data.get("preset", "pr4139")
    overrides = _overrides("", data.get("config"))
    steps = _step_list("steps", data["steps"])
    expect = _expect("", data.get("expect"))
    variants = []
    variants_given = data.get("variants")
    if variants_given is not None and not isinstance(variants_given, list):
        raise ScenarioError("\"variants\" must be a list of objects")
    for i, variant in enumerate(variants_given or (), 1):
        if not isinstance(variant, dict):
            raise ScenarioError(f"variant {i}: expected an object")
        unknown = sorted(set(variant) - _VARIANT_KEYS)
        if unknown:
            raise ScenarioError(f"variant {i}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_VARIANT_KEYS))})")
        variants.append(
            Scenario(
                config=_config(variant.get("preset", preset), _overrides(f"variant {i}: ", variant.get("config")), overrides),
                steps=steps,
                expect=_expect(f"variant {i}: ", variant.get("expect")),
                expect_enabled=_step_list("expect_enabled", variant.get("expect_enabled")),
                expect_disabled=_step_list("expect_disabled", variant.get("expect_disabled")),
                expect_error=_expect_error(i, variant.get("expect_error")),
                name=str(variant.get("name", f"variant {i}")),
            )
        )
    return Scenario(
        config=_config(preset, overrides),
        steps=steps,
        expect=expect,
        expect_enabled=_step_list("expect_enabled", data.get("expect_enabled")),
        expect_disabled=_step_list("expect_disabled", data.get("expect_disabled")),
        name="base",
        variants=tuple(variants),
    )


def matches(action: Action, step: dict) -> bool:
    """Whether ``action`` has the step's name and every argument the step gives."""
    if action.name != step["action"]:
        return False
    given = dict(action.args)
    return all(str(given.get(key)) == str(value) for key, value in step.items() if key != "action")


def replay(scenario: Scenario, model: RecoverModel | None = None) -> list:
    """``[(None, init), (action, state), ...]``, one entry per step."""
    model = model or RecoverModel(scenario.config)
    state = model.init_states()[0]
    trace = [(None, state)]
    for index, step in enumerate(scenario.steps, 1):
        enabled = model.successors(state)
        chosen = [(a, s) for a, s in enabled if matches(a, step)]
        if len(chosen) != 1:
            labels = ", ".join(str(a) for a, _ in enabled) or "nothing"
            if not chosen:
                problem = f"{step['action']} matches no enabled transition"
            else:
                problem = f"ambiguous, {len(chosen)} transitions match ({', '.join(str(a) for a, _ in chosen)})"
            raise ScenarioError(f"step {index}: {_step_text(step)}: {problem} (enabled: {labels})")
        trace.append(chosen[0])
        state = chosen[0][1]
    return trace


def subset_mismatch(expected, actual, path: str = "") -> str | None:
    """Where ``expected`` is not a subset of ``actual`` (see the module docstring), or None."""
    here = path or "observation"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{here}: expected an object, got {json.dumps(actual)}"
        if not expected and actual:
            return f"{here}: expected {{}}, got {json.dumps(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{here}.{key}: missing (have {', '.join(map(str, actual)) or 'nothing'})"
            problem = subset_mismatch(value, actual[key], f"{path}.{key}" if path else key)
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{here}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = subset_mismatch(e, a, f"{here}[{i}]")
            if problem:
                return problem
        return None
    if expected != actual or type(expected) is bool and type(actual) is not bool:
        return f"{here}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
    return None


def _check_one(scenario: Scenario) -> list:
    model = RecoverModel(scenario.config)
    try:
        trace = replay(scenario, model)
    except ScenarioError as error:
        if scenario.expect_error is not None and scenario.expect_error in str(error):
            return []
        return [f"{scenario.name}: {error}"]
    if scenario.expect_error is not None:
        return [f"{scenario.name}: replay succeeded, expected an error containing {scenario.expect_error!r}"]
    state = trace[-1][1]
    failures = []
    if scenario.expect is not None:
        problem = subset_mismatch(scenario.expect, model.observe(state))
        if problem:
            failures.append(f"{scenario.name}: {problem}")
    enabled = [a for a, _ in model.successors(state)]
    for step in scenario.expect_enabled:
        if not any(matches(a, step) for a in enabled):
            failures.append(f"{scenario.name}: expected enabled: {_step_text(step)}")
    for step in scenario.expect_disabled:
        if any(matches(a, step) for a in enabled):
            failures.append(f"{scenario.name}: expected not enabled: {_step_text(step)}")
    return failures


def check(scenario: Scenario) -> list:
    """Replay the scenario and its variants; the list of failed checks (one line each)."""
    failures = _check_one(scenario)
    for variant in scenario.variants:
        failures.extend(_check_one(variant))
    return failures
