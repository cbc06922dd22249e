"""Fingerprints: the built-in hash() by default, guarded; the stable fingerprint where hash()
cannot be trusted; the same counts, verdicts and traces either way and under any hash seed."""

import enum
import json
import os
import subprocess
import sys
from collections import namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_helpers import outcome
from explorer import Invariant, explore
from explorer import fingerprint
from explorer.examples import Chameneos, Klotski, TwoPhaseNaive
from explorer.fingerprint import HashGuard, UnfaithfulHash, stable_fingerprint

try:
    from explorer._guard import step_passes as c_step_passes
except ImportError:  # the install found no C compiler: the pure-Python fast path runs alone
    c_step_passes = None

# each test that takes ``step_passes`` runs the guard's fast path in pure Python and in C
FAST_PATHS = pytest.mark.parametrize("step_passes", [
    pytest.param(fingerprint._step_passes, id="python"),
    pytest.param(c_step_passes, id="c", marks=pytest.mark.skipif(
        c_step_passes is None, reason="explorer._guard was not built (no C compiler at install)")),
])

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


Pair = namedtuple("Pair", "a b")
Ack, Nack = namedtuple("Ack", "n"), namedtuple("Nack", "n")
Level = enum.IntEnum("Level", "LOW HIGH")


class Name(str):
    pass


@pytest.mark.parametrize("state", [
    (-1, "a"), (-2,), ("a", (2**61,)), frozenset({-(2**62)}), (1.5,), (float("nan"),), (object(),),
    (b"bytes",), ((enum.Enum("Colour", "RED").RED,),), (Pair("a", 3),), Pair("a", 3), ((Ack(1),),),
    (Level.LOW,), (Name("a"),), frozenset({True, 2}), (frozenset({1.0}),),
], ids=repr)
def test_the_guard_catches_what_hash_cannot_fingerprint(state):
    with pytest.raises(UnfaithfulHash, match="a state holds"):
        HashGuard().check(state)


def test_the_guard_passes_strings_small_ints_and_nested_tuples_and_frozensets():
    guard = HashGuard()
    for state in [("a", 1, None, True, frozenset({("x", 2)})), frozenset({frozenset({(0, 1)})}),
                  (("a", 3), ("b", (4, (5,)))), 7, "s", (2**61 - 2, -(2**61 - 2), -3), ("b", 0, None, False)]:
        guard.check(state)
        guard.check(state)  # known parts, as the second time round
    assert guard.verified  # it remembers what it checked


# (a state the guard passes, then one equal to it, or to a part of it, but of other types)
TWINS = [
    ((1,), (1.0,)), ((1,), (Level.LOW,)), ((1,), (True,)), ((0, "a"), (False, "a")), (1, True), (((1,),), (Ack(1),)),
    ((("x", 1),), (("x", 1.0),)), ((("x", 1),), (("x", True),)), (((1,), "a"), (Ack(1), "a")),
    ((frozenset({1}),), (frozenset({1.0}),)), (frozenset({1}), frozenset({True})),
    (frozenset({(1, "a")}), frozenset({(True, "a")})), (("a",), (Name("a"),)),
    (frozenset({frozenset({1})}), frozenset({frozenset({1.0})})), (frozenset({("a", 1)}), frozenset({Pair("a", 1)})),
]


@pytest.mark.parametrize("first, twin", TWINS, ids=repr)
def test_the_guard_checks_types_before_trusting_an_equal_value(first, twin):
    """``hash`` merges equal values of other types, which the stable fingerprint keeps apart."""
    assert first == twin and hash(first) == hash(twin) and stable_fingerprint(first) != stable_fingerprint(twin)
    guard = HashGuard()
    guard.check(first)
    with pytest.raises(UnfaithfulHash, match="a state holds"):
        guard.check(twin)


# (a state the guard passes, a successor of it that shares its members but must be refused)
STEPS = [
    ((0, "a"), (-1, "a")), ((0, "a"), (True, "a")), ((0, "a"), (1.0, "a")), (("a", (0,)), ("a", (2**61,))),
    (("a", (0, 1)), ("a", (0, -2))), (("a", ("x", 1)), ("a", ("x", True))), ((("a", 3),), (Pair("a", 3),)),
    ((((1,),), "b"), ((Ack(1),), "b")), (((1,), "b"), ((Level.LOW,), "b")), (("a", 1), (Name("a"), 1)),
    ((frozenset({1}), "b"), (frozenset({1.0}), "b")), ((frozenset({"a"}),), (frozenset({Name("a")}),)),
    ((("x", 1), 2), (("x", 1), 2.0)), ((0,), (object(),)), ((("a", "b"), 0), (("a", Name("b")), 0)),
    ((frozenset({0}), "a"), (frozenset({-1}), "a")), ((frozenset({(0, "a")}),), (frozenset({(1.5, "a")}),)),
]


def _same(a, b) -> bool:
    """Equal and of the same types all the way down."""
    try:
        return stable_fingerprint(a) == stable_fingerprint(b)
    except TypeError:  # an object the stable fingerprint refuses: itself only
        return a is b


@FAST_PATHS
@pytest.mark.parametrize("parent, child", STEPS, ids=repr)
def test_a_successor_is_refused_where_it_differs_from_its_parent(parent, child, step_passes):
    """The fast path for a successor skips only the members it shares with its parent (the same objects)."""
    guard = HashGuard(step_passes)
    guard.check(parent)
    shared = tuple(p if _same(p, c) else c for p, c in zip(parent, child))  # the parent's objects where it can
    assert not _same(shared, parent)
    with pytest.raises(UnfaithfulHash, match="a state holds"):
        guard.check_step(shared, parent)


@FAST_PATHS
@pytest.mark.parametrize("first, twin", TWINS, ids=repr)
def test_a_successor_equal_to_a_passed_state_but_of_other_types_is_refused(first, twin, step_passes):
    guard = HashGuard(step_passes)
    guard.check(first)
    with pytest.raises(UnfaithfulHash, match="a state holds"):
        guard.check_step(twin, first)


LEAVES = st.sampled_from([0, 1, 2, 3, -1, -2, 2**61, True, False, None, "a", "b", 1.0, Level.LOW, Name("a"), b"a"])
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(tuple), st.frozensets(inner, max_size=3), st.builds(Pair, inner, inner)),
    max_leaves=8)


def _successor(parent, keep: list, fresh: list):
    """``parent`` with some members kept (the same objects) and the others replaced, one level down too."""
    if type(parent) is not tuple:
        return fresh[0]
    out = []
    for i, part in enumerate(parent):
        if keep[i % len(keep)]:
            out.append(part)
        elif type(part) is tuple and part and keep[(i + 1) % len(keep)]:  # a tuple changed at one place
            out.append(part[:-1] + (fresh[i % len(fresh)],))
        else:
            out.append(fresh[i % len(fresh)])
    return tuple(out)


def _verdict(check, state) -> str | None:
    try:
        check(state)
    except UnfaithfulHash as exc:
        return str(exc)
    return None


STATES = st.one_of(st.lists(VALUES, min_size=1, max_size=4).map(tuple), st.frozensets(VALUES, max_size=4))


@FAST_PATHS
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(STATES, st.lists(st.booleans(), min_size=1, max_size=4),
                          st.lists(VALUES, min_size=1, max_size=4)), min_size=1, max_size=4))
def test_the_fast_paths_agree_with_the_full_check(step_passes, steps):
    """Two guards see the same states, each a successor of the last passed one (sharing some of
    its members) or a state of its own: one checks as the search does (``check_step``, which
    falls back on ``check``, which has a fast path of its own), the other by ``_parts`` alone,
    member by member. They refuse the same states."""
    fast, full = HashGuard(step_passes), HashGuard()
    parent = None
    for state, keep, fresh in steps:
        if parent is not None and type(parent) is tuple:
            state = _successor(parent, keep, fresh)
        verdict = _verdict(fast.check if parent is None else lambda s: fast.check_step(s, parent), state)
        whole = state if type(state) in (tuple, frozenset) else (state,)
        assert verdict == _verdict(lambda s: full._parts(s, remember=False), whole)
        if verdict is not None:
            return
        parent = state


def _members_two_levels_down(state) -> set:
    parts = set(state) if type(state) in (tuple, frozenset) else {state}
    return parts | {m for p in parts if type(p) in (tuple, frozenset) for m in p}


@pytest.mark.skipif(c_step_passes is None, reason="explorer._guard was not built (no C compiler at install)")
@settings(max_examples=400, deadline=None)
@given(STATES, st.lists(st.booleans(), min_size=1, max_size=4), st.lists(VALUES, min_size=1, max_size=4),
       st.lists(st.booleans(), max_size=12), st.lists(VALUES, max_size=4),
       st.sets(st.sampled_from([int, bool, str, float, tuple, frozenset, type(None), bytes, Pair])))
def test_the_c_fast_path_answers_as_the_python_one(parent, keep, fresh, known, others, set_members):
    """``explorer/_guard.c`` against ``_step_passes`` on a successor of a random state, with
    ``verified`` some of the values the two hold (two levels down) and some others."""
    state = _successor(parent, keep, fresh) if type(parent) is tuple else fresh[0]
    values = sorted(_members_two_levels_down(state) | _members_two_levels_down(parent), key=repr)
    verified = {v for v, k in zip(values, known) if k} | set(others)
    assert c_step_passes(verified, set_members, state, parent) is \
        fingerprint._step_passes(verified, set_members, state, parent)


def test_a_bool_and_an_int_at_one_place_clash_across_guards():
    """Workers check their states with guards of their own: the coordinator holds the shapes together."""
    coordinator, worker, other = HashGuard(), HashGuard(), HashGuard()
    coordinator.check((1, "a"))
    other.check((2, "b", frozenset({"c"})))
    coordinator.absorb(other.drain())
    worker.check((True, "b"))
    with pytest.raises(UnfaithfulHash, match="a bool where another holds an int"):
        coordinator.absorb(worker.drain())


class Records:
    """The review's model: from ``start`` a step to ``(Quiet(1),)`` or ``(Alarm(1),)``, two
    record kinds with equal fields (so equal, and hashed alike); only ``Alarm`` leads to BAD."""

    def init_states(self):
        return [("start",)]

    def successors(self, state):
        if state == ("start",):
            return [("quiet", (Nack(1),)), ("alarm", (Ack(1),))]
        return [("ring", ("BAD",))] if type(state[0]) is Ack else []

    def is_terminal(self, state):
        return True


class Flags:
    """A bool and an int at one place: ``start`` leads to ``(1, "a")`` and ``(True, "b")``, and
    ``(True, "b")`` to ``(True, "a")``, equal to ``(1, "a")`` (and hashed alike); only
    ``(True, "a")`` leads to BAD."""

    def init_states(self):
        return [("start",)]

    def successors(self, state):
        if state == ("start",):
            return [("count", (1, "a")), ("flag", (True, "b"))]
        if state[0] is True:
            return [("move", (True, "a"))] if state[1] == "b" else [("ring", ("BAD",))]
        return []

    def is_terminal(self, state):
        return True


NEVER_BAD = Invariant("never_bad", lambda s: s != ("BAD",))


@pytest.mark.parametrize("options", ENGINES, ids=lambda o: "-".join(map(str, o.values())))
@pytest.mark.parametrize("model, why", [(Records(), "a Nack"), (Flags(), "a bool where another holds an int")],
                         ids=["record kinds", "bool and int"])
def test_equal_states_of_other_types_are_kept_apart(options, model, why):
    stable = explore(WithFingerprint(model, stable_fingerprint), [NEVER_BAD])
    result = explore(model, [NEVER_BAD], **options)
    assert stable.verdicts["never_bad"].status == "violated"
    assert outcome(result) == outcome(stable)
    assert f"stable fingerprints: a state holds {why}" in result.engine


def test_the_stable_fingerprint_keeps_equal_values_of_other_types_apart():
    values = [1, True, 1.0, Level.LOW, Name("a"), "a", b"a", None, 0x6E6F6E65, frozenset(), (3, ()), (Ack(1),),
              (Nack(1),), ((1,),), 2**61 + 4, 5]
    assert len({stable_fingerprint(v) for v in values}) == len(values)


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
