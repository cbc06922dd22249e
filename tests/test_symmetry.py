"""Symmetry reduction over interchangeable dispatcher IDs (model/symmetry.py, explorer/symmetry.py).

The reduction is exact only when renaming dispatchers commutes with every transition; the
model's default ``resend_order=sorted`` breaks that (a resent batch is in ascending order), so
the configurations here use ``resend_order=any`` and a test shows why the default is refused.
"""

from __future__ import annotations

import functools
import random
import subprocess
import sys

import pytest

import model.symmetry as symmetry
from explorer import explore
from explorer.export import rebuild_states
from explorer.fingerprint import FP_MASK
from explorer.symmetry import SymmetricModel, check_symmetry_safe
from explorer.trace import replay_trace, trace_to_json
from invariants import properties as props
from model import RecoverModel, make_config
from model.symmetry import canonical, canonical_by_brute_force, orbit_key, permutations_of, permute

PRESETS = ("pr4139", "design", "proposed")
SMALL = ({"dispatchers": 2, "failures": 2, "restart_budget": 1}, {"dispatchers": 3, "failures": 1})
ANY = {"resend_order": "any"}


def model_of(preset: str, overrides: dict) -> RecoverModel:
    return RecoverModel(make_config(preset, overrides))


@functools.lru_cache(maxsize=None)
def reachable(preset: str, items: tuple):
    """(model, plain result with graph, every reachable state) of one configuration."""
    m = model_of(preset, dict(items))
    result = explore(m, [], deadlock=False, keep_graph=True)
    return m, result, rebuild_states(m, result)


def sample(states: list, k: int = 200, seed: int = 7) -> list:
    rng = random.Random(seed)
    return states if len(states) <= k else rng.sample(states, k)


def permuted_unreachable(preset: str, items: tuple, k: int = 200) -> list:
    """Sampled reachable states whose random renaming the plain search never reached."""
    m, result, states = reachable(preset, items)
    seen = set(result.graph.fingerprints)
    rng = random.Random(11)
    perms = permutations_of(m.config.dispatchers)
    missing = []
    for state in sample(states, k):
        perm = rng.choice(perms[1:])
        if (m.fingerprint(permute(state, perm)) & FP_MASK) not in seen:
            missing.append((state, perm))
    return missing


def safety_of(config) -> list:
    return [p for p in props.properties_for(config) if p.kind != "liveness"]


# --- same verdicts, real traces ------------------------------------------------------------

@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("overrides", SMALL, ids=lambda o: f"d{o['dispatchers']}f{o['failures']}")
def test_safety_verdicts_equal_with_and_without_symmetry(preset, overrides):
    m = model_of(preset, dict(overrides, **ANY))
    safety = safety_of(m.config)
    plain = explore(m, safety)
    reduced = explore(SymmetricModel(m), safety)
    assert plain.truncated is None and reduced.truncated is None
    assert reduced.distinct < plain.distinct
    assert reduced.depth == plain.depth
    for name, verdict in plain.verdicts.items():
        other = reduced.verdicts[name]
        assert other.status == verdict.status, name
        if other.trace is not None:  # shortest counterexamples: same length, and a real behaviour
            assert len(other.trace) == len(verdict.trace), name
            replay_trace(m, trace_to_json(m, other.trace))


def test_some_safety_property_is_violated_under_symmetry():
    """Guard against a vacuous comparison: the configurations above do produce violations."""
    m = model_of("pr4139", dict(SMALL[0], **ANY))
    reduced = explore(SymmetricModel(m), safety_of(m.config))
    assert any(v.status == "violated" for v in reduced.verdicts.values())


# --- the renaming is a symmetry of the reachable states ----------------------------------------

CLOSED = [(p, tuple(sorted(dict(o, **ANY).items()))) for p in PRESETS for o in SMALL]


@pytest.mark.parametrize("preset,items", CLOSED, ids=lambda x: str(x))
def test_permuted_reachable_state_is_reachable(preset, items):
    assert permuted_unreachable(preset, items) == []


def test_permutation_check_catches_a_canonical_that_forgets_message_ids(monkeypatch):
    """The check above can fail: renaming per-D tuples but not ``d`` inside messages gives
    states the model never reaches."""
    items = CLOSED[0][1]
    assert permuted_unreachable("pr4139", items) == []
    monkeypatch.setattr(symmetry, "_channels", lambda channels, perm: channels)
    assert permuted_unreachable("pr4139", items)


def test_sorted_resend_order_is_not_symmetric_and_is_refused():
    """Why ``resend_order=sorted`` (the default) is refused: the model resends a batch in
    ascending dispatcher order, so the renaming of some reachable states is unreachable, and a
    reduced search would silently skip orbits."""
    items = tuple(sorted(SMALL[0].items()))
    missing = permuted_unreachable("pr4139", items, k=2000)
    assert missing
    with pytest.raises(ValueError, match="resend_order=any"):
        SymmetricModel(model_of("pr4139", dict(items)))
    SymmetricModel(model_of("pr4139", {"dispatchers": 1}))  # one dispatcher: nothing to rename


# --- canonical ---------------------------------------------------------------------------------

def test_canonical_is_idempotent_and_permutation_invariant():
    m, _, states = reachable("design", tuple(sorted(dict(SMALL[1], **ANY).items())))
    perms = permutations_of(3)
    for state in sample(states, 150):
        rep = canonical(state)
        assert canonical(rep) == rep
        assert rep in {permute(state, p) for p in perms}
        for perm in perms:
            assert canonical(permute(state, perm)) == rep
        # one representative per orbit, as the all-permutations minimum defines it
        assert canonical_by_brute_force(rep) == canonical_by_brute_force(state)


# --- orbit_key: what the reduced search fingerprints -------------------------------------------

@pytest.mark.parametrize("preset,items", [("design", tuple(sorted(dict(SMALL[1], **ANY).items()))),
                                          ("pr4139", tuple(sorted(dict(SMALL[0], **ANY).items())))])
def test_orbit_key_is_equal_exactly_within_an_orbit(preset, items):
    """The key is the same for every renaming of a state, and two states share it only when
    they share a canonical member (checked against ``canonical``, which builds the states):
    over every reachable state, so that states with tied signatures and messages naming
    dispatchers are all met."""
    m, _, states = reachable(preset, items)
    perms = permutations_of(m.config.dispatchers)
    orbit_of_key: dict = {}
    for state in states:
        key = orbit_key(state)
        assert all(orbit_key(permute(state, perm)) == key for perm in perms[1:])
        assert orbit_of_key.setdefault(key, canonical(state)) == canonical(state)
        assert m.symmetric_fingerprint(state) == hash(key) & ((1 << 64) - 1)
    assert len(orbit_of_key) < len(states)  # orbits do gather several states


# small, but with dispatchers told apart only by the messages that name them (a renaming that
# forgets the places merges orbits here) and with untied rows (one that ignores the order splits them)
BRUTE = [(preset, tuple(sorted(dict(overrides, **ANY).items()))) for preset, overrides in (
    ("pr4139", {"dispatchers": 3, "failures": 2, "restart_budget": 0, "lossy": "requests,responses"}),
    ("proposed", {"dispatchers": 3, "failures": 2, "restart_budget": 0, "maintainer_moves": 1}),
    ("design", SMALL[1]),
    ("pr4139", {"dispatchers": 2, "failures": 1, "lossy": "requests,responses"}))]


@pytest.mark.parametrize("preset,items", BRUTE, ids=lambda x: str(x))
def test_orbits_match_the_brute_force_canonical_form(preset, items):
    """Against a reference that shares nothing with the key but ``permute``: the smallest of all
    ``n!`` renamings. The key splits the reachable states exactly as that minimum does, and the
    reduced search counts exactly that many orbits."""
    m, _, states = reachable(preset, items)
    minimum_of_key: dict = {}
    for state in states:
        assert minimum_of_key.setdefault(orbit_key(state), canonical_by_brute_force(state)) \
            == canonical_by_brute_force(state)
    orbits = set(minimum_of_key.values())
    assert len(orbits) == len(minimum_of_key) < len(states)
    assert explore(SymmetricModel(m), [], deadlock=False).distinct == len(orbits)


def test_orbit_key_sees_which_dispatcher_a_message_names():
    """States whose dispatchers tie on their per-D data are told apart only by which of them
    the messages name. Renaming the messages alone (not the per-D data) gives a state in the
    same orbit or not; the key says so exactly when ``canonical`` does."""
    m, _, states = reachable("design", tuple(sorted(dict(SMALL[1], **ANY).items())))
    named = [s for s in states if any(s.channels) and len(set(symmetry.signatures(s))) < m.config.dispatchers]
    assert named  # tied signatures with messages in flight: the case the places decide
    for state in sample(named, 100):
        for perm in permutations_of(m.config.dispatchers):
            other = permute(state, perm)
            # rename only the messages: same per-D data, messages naming other dispatchers
            moved = state._replace(channels=symmetry._channels(state.channels, perm))
            same = canonical(moved) == canonical(state)
            assert (orbit_key(moved) == orbit_key(state)) == same
            assert orbit_key(other) == orbit_key(state)


def test_orbit_key_does_not_depend_on_what_was_cached_for_another_dispatcher_count():
    """The messages' cache is per dispatcher count: equal messages in a 2-dispatcher state
    once lent a 3-dispatcher state two places instead of three."""
    two, three = (model_of("pr4139", {"dispatchers": n, **ANY}).init_states()[0] for n in (2, 3))
    assert (two.dm.held, two.channels) == (three.dm.held, three.channels)
    symmetry.clear_caches()
    fresh = orbit_key(three)
    symmetry.clear_caches()
    orbit_key(two)
    assert orbit_key(three) == fresh


def test_symmetric_search_keeps_its_caches_bounded(monkeypatch):
    """The caches behind the key are emptied when full, with the same result: a search with
    tiny caches finds what one with the default caches finds."""
    m = model_of("pr4139", dict(SMALL[0], **ANY))
    usual = explore(SymmetricModel(m), [], deadlock=False)
    monkeypatch.setattr(symmetry, "_CACHE_LIMIT", 3)
    symmetry.clear_caches()
    tiny = explore(SymmetricModel(m), [], deadlock=False)
    assert (tiny.distinct, tiny.generated, tiny.depth) == (usual.distinct, usual.generated, usual.depth)
    caches = (symmetry._RESTS, symmetry._CHANNELS, *symmetry._ERASED_CHANNELS)
    assert all(len(cache) <= 3 for cache in caches)


def test_canonical_never_fails_to_compare_absent_and_present_records():
    """``()`` (absent) beside a record in the same slot compares without raising."""
    m = model_of("pr4139", {"dispatchers": 2, **ANY})
    s = m.init_states()[0]
    half = s._replace(instances=(s.instances[0], ()))
    assert canonical(half) == min(half, permute(half, (1, 0)))


# --- the reduction is real ---------------------------------------------------------------------

def test_reduction_at_three_dispatchers_is_at_least_fivefold():
    m = model_of("pr4139", {"dispatchers": 3, "failures": 2, "restart_budget": 1, **ANY})
    plain = explore(m, [], deadlock=False)
    reduced = explore(SymmetricModel(m), [], deadlock=False)
    assert reduced.distinct * 5 <= plain.distinct


# --- what is refused ---------------------------------------------------------------------------

def test_liveness_with_symmetry_is_refused():
    config = make_config("proposed", {"dispatchers": 2, **ANY})
    with pytest.raises(ValueError, match="safety only"):
        check_symmetry_safe(props.properties_for(config))
    check_symmetry_safe(safety_of(config))  # safety alone is fine


def test_a_model_without_symmetry_is_refused():
    with pytest.raises(TypeError):
        SymmetricModel(object())


def test_wrapper_delegates_everything_but_the_fingerprint():
    m = model_of("proposed", {"dispatchers": 2, **ANY})
    w = SymmetricModel(m)
    s = m.init_states()[0]
    assert w.config is m.config and w.init_states() == m.init_states()
    assert w.successors(s) == m.successors(s) and w.fields(s) == m.fields(s)
    assert w.action_names() == m.action_names() and w.out_of_scope("lose") == m.out_of_scope("lose")
    assert w.fingerprint(s) == m.symmetric_fingerprint(s)


# --- determinism -------------------------------------------------------------------------------

_PROBE = (
    "from model import RecoverModel, make_config; from explorer import explore; "
    "from explorer.symmetry import SymmetricModel; "
    "m = RecoverModel(make_config('design', {'dispatchers': 3, 'failures': 1, 'resend_order': 'any'})); "
    "r = explore(SymmetricModel(m), [], deadlock=False, keep_graph=True); "
    "print(r.distinct, sum(r.graph.fingerprints) % 1000003)"
)


def test_same_reduced_search_under_any_hash_seed():
    outs = {subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("0", "12345")}
    assert len(outs) == 1
