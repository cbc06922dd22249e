"""Fingerprints: the built-in hash() by default, guarded; the stable fingerprint where hash()
cannot be trusted; the same counts, verdicts and traces either way and under any hash seed."""

import enum
import json
import os
import subprocess
import sys
from collections import namedtuple

import pytest

from engine_helpers import outcome
from explorer import explore
from explorer.examples import Chameneos, Klotski, TwoPhaseNaive
from explorer.fingerprint import HashGuard, UnfaithfulHash, stable_fingerprint

ENGINES = ({"engine": "states"}, {"engine": "batched"}, {"engine": "states", "workers": 2})


class Countdown:
    """Counts down from 0 to ``floor``: CPython's hash(-1) == hash(-2) must not merge states."""

    def __init__(self, floor=-5, wrap=tuple):
        self.floor, self.wrap = floor, wrap

    def init_states(self):
        return [self.wrap((0, "n"))]

    def successors(self, state):
        return [("down", self.wrap((state[0] - 1, "n")))] if state[0] > self.floor else []

    def is_terminal(self, state):
        return True


class WithFingerprint:
    """``model`` with ``fingerprint`` as its own."""

    def __init__(self, model, fingerprint):
        self.model, self.fingerprint = model, fingerprint

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)


@pytest.mark.parametrize("options", ENGINES, ids=lambda o: "-".join(map(str, o.values())))
def test_counting_down_past_minus_one_finds_every_state(options):
    result = explore(Countdown(), [], **options)
    assert result.distinct == 6
    assert "stable fingerprints: a state holds -1" in result.engine  # hash() was not trusted


def test_the_stable_fingerprint_keeps_minus_one_and_minus_two_apart():
    assert explore(WithFingerprint(Countdown(), stable_fingerprint), []).distinct == 6
    assert stable_fingerprint((-1, "n")) != stable_fingerprint((-2, "n"))
    assert stable_fingerprint(2**61 + 4) != stable_fingerprint(5)  # hash() takes ints modulo 2**61 - 1
    assert stable_fingerprint(0.5) != stable_fingerprint(2**60)  # hash(0.5) == hash(2**60)


@pytest.mark.parametrize("state", [
    (-1, "a"), (-2,), ("a", (2**61,)), frozenset({-(2**62)}), (1.5,), (float("nan"),), (object(),),
    (b"bytes",), ((enum.Enum("Colour", "RED").RED,),),
], ids=repr)
def test_the_guard_catches_what_hash_cannot_fingerprint(state):
    with pytest.raises(UnfaithfulHash, match="a state holds"):
        HashGuard().check(state)


def test_the_guard_passes_strings_small_ints_and_nested_tuples_and_frozensets():
    pair = namedtuple("Pair", "a b")
    guard = HashGuard()
    for state in [("a", 1, None, True, frozenset({("x", 2)})), frozenset({frozenset({(0, 1)})}),
                  (pair("a", 3), ("b", (4, (5,)))), 7, "s", (2**61 - 2, -(2**61 - 2), -3)]:
        guard.check(state)
        guard.check(state)  # known parts, as the second time round
    assert guard.verified  # it remembers what it checked


def test_an_identity_hashed_state_is_refused_with_a_clear_error():
    class Token:  # hashed by address: a freed one hands its address on
        pass

    class Tokens:
        def init_states(self):
            return [(Token(),)]

        def successors(self, state):
            return [("next", (Token(),))]

    with pytest.raises(TypeError, match="cannot fingerprint a .*Token: give the model a fingerprint"):
        explore(Tokens(), [], max_states=10)


def test_nan_and_floats_are_searched_with_the_stable_fingerprint():
    class Floats:
        def init_states(self):
            return [(float("nan"), 0.0)]

        def successors(self, state):
            return [("step", (float("nan"), min(state[1] + 0.5, 2.0)))]

    result = explore(Floats(), [], deadlock=False)
    assert result.distinct == 5 and "stable fingerprints: a state holds a float" in result.engine


@pytest.mark.parametrize("model", [TwoPhaseNaive(4), Chameneos(3, 2), Klotski()], ids=lambda m: type(m).__name__)
def test_hash_and_the_stable_fingerprint_give_the_same_search(model):
    stable = WithFingerprint(model, stable_fingerprint)
    properties = model.properties()
    fast = explore(model, properties, max_states=3000)
    assert outcome(fast) == outcome(explore(stable, properties, max_states=3000))
    assert fast.engine == "one state at a time"  # hash() was trusted throughout
    assert outcome(explore(model, properties, max_states=3000, workers=2)) == outcome(fast)
    safety = [p for p in properties if p.kind != "liveness"]  # the batched search keeps no graph
    assert outcome(explore(model, safety, max_states=3000, engine="batched")) == \
        outcome(explore(model, safety, max_states=3000))


SEARCHES = '''
import json
from explorer import explore
from explorer.examples import Chameneos, TwoPhaseNaive
from explorer.fingerprint import stable_fingerprint

def text(result):
    return {"counts": [result.distinct, result.generated, result.depth, result.truncated],
            "verdicts": {n: [v.status, None if v.trace is None else [str(s.action) for s in v.trace.steps],
                             None if v.trace is None else repr([s.state for s in v.trace.steps])]
                         for n, v in result.verdicts.items()},
            "coverage": [[c.name, c.fired, c.new_states] for c in result.coverage]}

out = []
for model in (TwoPhaseNaive(3), Chameneos(3, 2)):
    safety = [p for p in model.properties() if p.kind != "liveness"]
    for options in ({}, {"workers": 2}, {"stop_at_first": True}):
        out.append(text(explore(model, model.properties(), **options)))
    out.append(text(explore(model, safety, engine="batched")))
print(json.dumps(out))
'''


def test_same_counts_verdicts_and_traces_under_any_hash_seed():
    outputs = set()
    for seed in ("0", "1", "4242"):
        run = subprocess.run([sys.executable, "-c", SEARCHES], capture_output=True, text=True, timeout=300,
                             env=dict(os.environ, PYTHONHASHSEED=seed))
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == 8
