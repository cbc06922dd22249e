"""Fuzzing the command line's contract (issue 15): random bytes and random JSON fed to
``replay`` and ``verify-trace``, random argument lists to every subcommand. Whatever comes in,
no exception escapes ``main`` (what a user would see as a traceback), nothing on stderr looks
like one, and the exit code is one of 0, 1, 2, 3. Runs stay small: the argument pool's values
are small and every searching command gets a state bound (findings a time bound) unless the draw
gave one."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import build_parser, main
from model import ACTIONS

CONTRACT = {0, 1, 2, 3}
SCENARIOS = Path(__file__).parent / "scenarios"
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)


def run(argv) -> tuple[int, str]:
    """``main(argv)`` in this process: its exit code and stderr. An exception escapes."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as done:  # --help and argparse's own exits
            code = 0 if done.code is None else done.code
    return code, err.getvalue()


def assert_contract(argv) -> None:
    code, err = run(argv)
    assert code in CONTRACT and "Traceback" not in err, (argv, code, err)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as path:
        yield Path(path)


@pytest.fixture(scope="module", autouse=True)
def inside_workdir(workdir):
    """A drawn output path (``--markdown x``) is relative to the working directory: write it in
    the temporary one, not in the checkout (a report named ``big_not_4`` was once committed)."""
    with contextlib.chdir(workdir):
        yield


@functools.cache
def real_results() -> list[dict]:
    """JSON results a user would pass to verify-trace: an example's and the recover model's."""
    results = []
    for args in (["--example", "water_jug"], ["--preset", "design", "--set", "failures=1"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["explore", *args, "--json", "--max-states", "400"])
        results.append(json.loads(out.getvalue()))
    return results


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**12) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
names = st.sampled_from(["d1", "d2", "d9", "A", "B", "1", "requests", "move", "x"]) | json_values
steps = st.fixed_dictionaries(
    {"action": st.sampled_from(list(ACTIONS)) | json_values},
    optional={"d": names, "m": names, "from": names, "to": names, "lifecycle": names, "channel": names,
              "kind": names, "order": names},
)
configs = st.dictionaries(st.sampled_from(["dispatchers", "failures", "slow_ticks", "channel_capacity",
                                           "lossy", "maintainer_moves", "nope"]),
                          st.sampled_from([1, 2, 0, -1, "on", "requests", [], True]) | json_values, max_size=3)
scenarios = st.fixed_dictionaries(
    {"steps": st.lists(steps, max_size=8) | json_values},
    optional={"preset": st.sampled_from(["pr4139", "design", "proposed", "nope"]) | json_values,
              "config": configs | json_values, "expect": json_values,
              "expect_enabled": st.lists(steps, max_size=2) | json_values,
              "expect_disabled": st.lists(steps, max_size=2),
              "variants": st.lists(st.fixed_dictionaries({}, optional={
                  "name": json_values, "preset": st.sampled_from(["design", "x"]), "config": configs | json_values,
                  "expect": json_values, "expect_error": json_values}), max_size=2) | json_values},
)


@st.composite
def mutated_results(draw):
    """A real result with a few random edits: a step dropped or changed, a loop point moved, a
    property renamed, a model context replaced."""
    data = json.loads(json.dumps(draw(st.sampled_from(real_results()))))
    for _ in range(draw(st.integers(1, 3))):
        properties = data.get("properties") if isinstance(data.get("properties"), dict) else {}
        traced = [p for p in properties.values() if isinstance(p, dict) and isinstance(p.get("trace"), dict)]
        edit = draw(st.sampled_from(["drop", "field", "loop", "action", "rename", "model", "value"]))
        if edit == "model":
            data["model"] = draw(json_values | st.fixed_dictionaries({"preset": json_values}))
        elif edit == "rename" and properties:
            name = draw(st.sampled_from(sorted(data["properties"])))
            data["properties"][draw(st.text(max_size=6))] = data["properties"].pop(name)
        elif edit == "value":
            data[draw(st.sampled_from(["properties", "model"]))] = draw(json_values)
        elif traced:
            trace = draw(st.sampled_from(traced))["trace"]
            stepped = trace["steps"]
            if edit == "drop" and stepped:
                del stepped[draw(st.integers(0, len(stepped) - 1))]
            elif edit == "loop":
                trace["loop"] = draw(st.none() | st.integers(-2, len(stepped) + 2) | json_values)
            elif stepped:
                step = stepped[draw(st.integers(0, len(stepped) - 1))]
                if edit == "action":
                    step["action"] = draw(json_values)
                elif isinstance(step.get("fields"), dict) and step["fields"]:
                    step["fields"][draw(st.sampled_from(sorted(step["fields"])))] = draw(json_values)
    return data


def write(workdir: Path, content) -> str:
    path = workdir / "input.json"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return str(path)


@FAST
@given(content=st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_random_bytes(workdir, content):
    path = write(workdir, content)
    assert_contract(["replay", path])
    assert_contract(["verify-trace", path])


@settings(FAST, max_examples=150)
@given(data=json_values | scenarios | mutated_results())
def test_random_json(workdir, data):
    path = write(workdir, data)
    assert_contract(["replay", path])
    assert_contract(["verify-trace", path])
    assert_contract(["replay", path, "--trace", "--json"])


def subcommand_options() -> dict[str, list[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {name: sorted({o for a in p._actions for o in a.option_strings}) for name, p in sub.choices.items()}


OPTIONS = subcommand_options()
SEARCHING = {"explore", "check", "diff", "explain"}


@pytest.fixture(scope="module")
def pools(workdir):
    """Values to draw arguments from, and per command the valid starts that random tokens
    follow half the time (so that the draws reach past the parser)."""
    scenario = str(next(SCENARIOS.glob("*.json")))
    result = workdir / "result.json"
    result.write_text(json.dumps(real_results()[0]))
    values = ["1", "2", "0", "-1", "x", "", "=", "nan", "pr4139", "design", "proposed", "nope", "A3", "A5", "N4",
              "Z9", "water_jug", "two_phase_commit", "dispatchers=2", "failures=1", "lossy=requests", "rms=2",
              "big=3", "x=1", "no_spurious_restart", "big_not_4", "consistent", "requests", "on", "table", "json",
              "mermaid", "states", "batched", scenario, str(result), str(workdir / "out.file"), "/nonexistent/x",
              str(workdir)]
    starts = {"explore": [["--preset", "pr4139"], ["--example", "water_jug"]],
              "check": [["--preset", "design", "--property", "no_spurious_restart"],
                        ["--example", "water_jug", "--property", "big_not_4"]],
              "diff": [["pr4139", "design"]], "simulate": [["--preset", "pr4139"], ["--example", "two_phase_commit"]],
              "findings": [["--preset", "design"]], "trace": [["A5", "--preset", "pr4139"]], "replay": [[scenario]],
              "explain": [["--preset", "design", "--property", "no_spurious_restart"],
                          ["--example", "two_phase_commit", "--param", "prepared_abort=1", "--property", "consistent"]],
              "verify-trace": [[str(result)]]}
    return values, starts


@settings(FAST, max_examples=120)
@given(data=st.data())
def test_random_argument_lists(pools, data):
    values, starts = pools
    command = data.draw(st.sampled_from(sorted(OPTIONS)))
    start = data.draw(st.sampled_from([[], *starts.get(command, [])]))
    tokens = start + data.draw(st.lists(st.sampled_from(OPTIONS[command]) | st.sampled_from(values), max_size=6))
    if command in SEARCHING and "--max-states" not in tokens:
        tokens += ["--max-states", "300"]
    if command == "simulate":
        tokens += [] if "--runs" in tokens else ["--runs", "3"]
        tokens += [] if "--depth" in tokens else ["--depth", "12"]
    if command == "findings" and "--id" not in tokens:
        tokens = ["--id", "A5", *tokens]
    if command == "findings" and "--max-seconds" not in tokens:
        tokens += ["--max-seconds", "2"]  # a drawn --deep sweeps A5's deep grid: minutes
    if command == "diff" and "--workers" in tokens:
        tokens.remove("--workers")  # two processes per side would only cost time
    assert_contract([command, *tokens])
