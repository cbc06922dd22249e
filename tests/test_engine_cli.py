"""The command line: exit codes, one-line errors, JSON round trips, graph export, determinism."""

import json
import os
import subprocess
import sys

import pytest

from explorer.cli import main

STRING_STATE_MODEL = '''
from explorer import Invariant, explore
from explorer.report import result_to_json
import json

class Rooms:
    """States hold strings and None: the default fingerprint must not depend on the hash seed."""
    def init_states(self):
        return [("hall", None, frozenset({"key"}))]
    def successors(self, state):
        room, held, items = state
        out = [("walk(to=%s)" % r, (r, held, items)) for r in ("hall", "attic", "cellar") if r != room]
        for item in sorted(items):
            out.append(("take(item=%s)" % item, (room, item, items - {item})))
        if held is not None:
            out.append(("drop", (room, None, items | {held})))
        return out

model = Rooms()
result = explore(model, [Invariant("no_key_in_attic", lambda s: not (s[0] == "attic" and s[1] == "key"))])
data = result_to_json(model, result)
for k in ("seconds", "bytes_per_state"):
    data.pop(k)
print(json.dumps(data, sort_keys=True))
'''


def run(*args, env_seed=None):
    env = dict(os.environ)
    if env_seed is not None:
        env["PYTHONHASHSEED"] = str(env_seed)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_same_output_whatever_the_hash_seed():
    outputs = {run("-c", STRING_STATE_MODEL, env_seed=seed).stdout for seed in (1, 2, 12345)}
    assert len(outputs) == 1
    data = json.loads(outputs.pop())
    assert data["distinct_states"] == 6 and data["properties"]["no_key_in_attic"]["verdict"] == "violated"
    cli = {run("-m", "explorer.cli", "explore", "--example", "two_phase_commit", "--json", *workers,
               env_seed=seed).stdout for seed in (1, 2) for workers in ((), ("--workers", "2"))}
    cli = {json.dumps({k: v for k, v in json.loads(o).items() if k not in ("seconds", "bytes_per_state", "engine")})
           for o in cli}
    assert len(cli) == 1


def test_json_round_trip_replays_and_tampering_is_caught(tmp_path, capsys):
    out = tmp_path / "jug.json"
    assert main(["explore", "--example", "water_jug", "--json"]) == 1
    out.write_text(capsys.readouterr().out)
    assert main(["verify-trace", str(out)]) == 0
    assert "7 steps replay" in capsys.readouterr().out
    data = json.loads(out.read_text())
    data["properties"]["big_not_4"]["trace"]["steps"][3]["fields"]["big"] = 99
    out.write_text(json.dumps(data))
    assert main(["verify-trace", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "step 4" in err


@pytest.mark.parametrize("argv, fragment", [
    (["explore", "--example", "nope"], "unknown example 'nope'"),
    (["explore", "--max-states", "0"], "--max-states"),
    (["explore", "--max-depth", "x"], "not a whole number"),
    (["explore", "--example", "two_phase_commit", "--param", "rms=99"], "rms must be"),
    (["explore", "--param", "rms"], "key=value"),
    (["frobnicate"], "invalid choice"),
    (["verify-trace", "/nonexistent.json"], "no such file"),
    (["explore", "--example", "water_jug", "--engine", "batched", "--workers", "2"], "vectorised model"),
])
def test_bad_input_is_one_line_and_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_not_json_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["verify-trace", str(bad)]) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_exit_codes_hold_violated_incomplete(capsys):
    assert main(["explore", "--example", "two_phase_commit", "--param", "rms=3"]) == 0
    assert main(["explore", "--example", "water_jug"]) == 1
    assert main(["explore", "--example", "two_phase_commit", "--max-states", "10"]) == 3
    capsys.readouterr()


def test_graph_export(tmp_path, capsys):
    dot, graphml = tmp_path / "g.dot", tmp_path / "g.graphml"
    main(["explore", "--example", "water_jug", "--dot", str(dot), "--graphml", str(graphml), "--quiet"])
    capsys.readouterr()
    text = dot.read_text()
    assert text.count("->") == 96 and text.count("[label=\"small=") == 16
    import networkx as nx

    g = nx.read_graphml(graphml)
    assert g.number_of_nodes() == 16 and g.number_of_edges() == 96


def test_rich_output_shows_trace_with_changed_fields_only(capsys):
    main(["explore", "--example", "water_jug"])
    out = capsys.readouterr().out
    assert "counterexample: big_not_4" in out and "FillBig" in out
    assert "big = 4" in out


def test_workers_over_a_vectorised_example_run_the_batched_search_on_processes(capsys):
    args = ["explore", "--example", "two_phase_commit", "--param", "rms=4", "--json"]
    assert main(args) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(args + ["--workers", "2"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert two["engine"] == "batched, vectorised model, 2 processes" and one["engine"] == "batched, vectorised model"
    for key in ("distinct_states", "states_generated", "depth", "properties", "coverage"):
        assert two[key] == one[key]


@pytest.mark.parametrize("preset", ["pr4139", "design", "proposed"])
def test_workers_check_every_preset_liveness_included(preset, capsys):
    """--workers 2 on a preset (each has liveness properties): the same JSON as one process
    but for the time, the memory and the engine's name."""
    outputs = []
    for workers in ("1", "2"):
        code = main(["explore", "--preset", preset, "--json", "--workers", workers])
        data = json.loads(capsys.readouterr().out)
        assert any(entry.get("kind") == "liveness" for entry in data["properties"].values())
        outputs.append((code, {k: v for k, v in data.items() if k not in ("seconds", "bytes_per_state", "engine")}))
    assert outputs[0] == outputs[1]
