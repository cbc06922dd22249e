"""Hypothesis stateful tests over the recover model: the same ``successors`` the BFS explores,
driven by random walks that Hypothesis shrinks, so the two engines check each other.

Profiles (``RECOVER_CHECK_PROFILE``, default ``fast``): ``fast`` keeps this file within about a
minute on a 2-core machine; ``deep`` runs many more and longer walks on configurations the BFS
cannot exhaust (3 dispatchers, two maintainer moves, lossy and duplicating channels). See
docs/simulation.md. Every machine here keeps the timeout fuse on unless a property is about
the fuse being off (``recovers_without_fuse``): the machine's scheduler (swarm, the fuse held
back, ``target()``), not a switched-off fuse, gets the walks past it.
"""

import os

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from explorer import explore
from explorer.report import trace_table
from explorer.simulate import FP_MASK, STUCK, fair_moves
from explorer.stateful import PropertyViolation, make_machine
from explorer.trace import replay_trace, trace_rows, trace_to_json
from invariants import properties_for
from model import PRESETS, RecoverModel, make_config

settings.register_profile("recover-fast", max_examples=150, database=None, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("recover-deep", max_examples=5000, database=None, deadline=None,
                          suppress_health_check=list(HealthCheck))


@attrs.frozen
class Profile:
    hypothesis: str  # the registered Hypothesis settings profile
    max_steps: int  # states per walk on the large configurations
    meta_examples: int  # the fixed budget of a meta test (it must find the BFS's violation)
    large: tuple  # configurations beyond what a BFS exhausts: (preset, overrides)
    shrink_large: bool  # shrink a failure there (slow: ~30 s for a 40-step walk)
    fuse_on: dict  # the bounds of the fuse-on test (default bounds, or beyond the BFS's reach)
    fuse_on_examples: int  # its budget per property
    fuse_on_seeds: dict  # property -> the seed its fuse-on test uses (default 0)


LARGE = {"dispatchers": 3, "maintainer_moves": 2, "lossy": "requests,responses,schedule",
         "duplicating": "to_maintainer,schedule", "max_duplicates": 2}
# deep's fuse-on bounds: 2 dispatchers (the BFS needs ~10 s). At docs/simulation.md's large
# bounds (3 dispatchers, 2 moves, lossy and duplicating requests and responses) 5,000 runs of
# 200 states did not find no_wrong_clear on the Go-faithful model (575 s); simulate does.
TWO_DISPATCHERS = {"dispatchers": 2}
# Since the model keeps each node's wire order, stale_response_harmless needs 21 states (was 17):
# at default bounds seeds 1 and 2 find it in 1,000 examples, 0, 3 and 4 do not (measured
# 2026-11-30; docs/simulation.md). With 2 dispatchers (deep) every seed of 0-4 finds each of the
# trio within 329 examples since the machine focuses on some dispatchers
# (benchmarks/stateful_seeds.py), so deep uses seed 0 throughout.
FAST_FUSE_ON_SEEDS = {"stale_response_harmless": 2}
PROFILES = {
    "fast": Profile("recover-fast", 120, 300, (("pr4139", LARGE),), shrink_large=False,
                    fuse_on={}, fuse_on_examples=1000, fuse_on_seeds=FAST_FUSE_ON_SEEDS),
    "deep": Profile("recover-deep", 200, 300, tuple(
        (preset, dict(LARGE, **extra)) for preset in PRESETS
        for extra in ({}, {"timeout_fuse": False}, {"channel_capacity": 3, "messages_per_instance": 2})),
        shrink_large=True, fuse_on=TWO_DISPATCHERS, fuse_on_examples=5000, fuse_on_seeds={}),
}
PROFILE = PROFILES[os.environ.get("RECOVER_CHECK_PROFILE", "fast")]
SETTINGS = settings.get_profile(PROFILE.hypothesis)

# BFS-sized: exhausted in well under a second
SMALL = {"restart_budget": 1, "channel_capacity": 1}
SMALL_NO_FUSE = dict(SMALL, timeout_fuse=False)
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def run(machine, **overrides):
    """A made machine with its own step bound and the profile's settings (plus ``overrides``)."""
    run_state_machine_as_test(machine, settings=settings(
        SETTINGS, stateful_step_count=machine.TestCase.settings.stateful_step_count, **overrides))


@pytest.fixture(autouse=True)
def seed_alone_decides_the_walks(monkeypatch):
    """Hypothesis draws 5% of its integers from constants it collects from every local module
    loaded so far, so a fixed seed gave other walks depending on which modules earlier tests
    had imported (``findings`` or ``explain`` runs, say): the large configuration's walks found
    pr4139's violation alone and missed it after other test files. Without that pool a seed
    fixes the walks (a private Hypothesis hook: if it moves, the fixture does nothing)."""
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants") and hasattr(providers, "CONSTANTS_CACHE"):
        providers.CONSTANTS_CACHE.cache.clear()  # it remembers the pool per range
        monkeypatch.setattr(providers, "_get_local_constants", lambda: providers.Constants())
        yield
        providers.CONSTANTS_CACHE.cache.clear()
    else:  # pragma: no cover
        yield


def recover(preset, overrides):
    config = make_config(preset, overrides)
    return config, (lambda: RecoverModel(config))


def replays(model, trace) -> bool:
    return len(replay_trace(model, trace_to_json(model, trace))) == len(trace)


# -- meta: where the BFS says "violated", Hypothesis finds it too ------------------------------
# (preset, overrides, property, seed): each verified with explore() inside the test first; the
# fuse on (until the machine held it back, these ran with it off).
META = [
    ("pr4139", SMALL, "no_wrong_clear", 0),
    ("design", SMALL, "no_wrong_clear", 0),
    # seed 1: with wire order its shortest trace grew to 21 states; seeds 1, 2, 4-7 find it in 300
    # examples, 0 and 3 do not (measured 2026-11-30)
    ("design", SMALL, "handled_means_progress", 1),
]


@pytest.mark.parametrize("preset, overrides, name, seed", META, ids=lambda v: v if isinstance(v, str) else None)
def test_hypothesis_finds_what_the_bfs_finds(preset, overrides, name, seed):
    config, factory = recover(preset, overrides)
    [prop] = properties_for(config, [name])
    model = factory()
    bfs = explore(model, [prop], deadlock=False)
    assert bfs.verdicts[name].status == "violated", "the BFS no longer finds this case: pick another"
    machine = make_machine(factory, [prop], 40, seed=seed, name=f"Meta_{preset}_{name}")
    with pytest.raises(PropertyViolation) as caught:
        run(machine, max_examples=PROFILE.meta_examples)
    shrunk, shortest = caught.value.trace, bfs.verdicts[name].trace
    assert caught.value.name == name and replays(model, shrunk)
    assert len(shrunk) >= len(shortest)  # the BFS's is a shortest counterexample
    # the same renderer as the BFS counterexample, and the same last step
    rows, bfs_rows = trace_rows(model, shrunk), trace_rows(model, shortest)
    assert trace_table(model, shrunk, name).row_count == len(rows) == len(shrunk)
    assert rows[-1]["action"].split("(")[0] == bfs_rows[-1]["action"].split("(")[0]
    print(f"\n{preset} {name}: shrunk {len(shrunk)} states, BFS shortest {len(shortest)}")


# -- with the fuse on: pr4139's violations, at default bounds (fast) or 2 dispatchers (deep) -------
@pytest.mark.parametrize("name", ["handled_means_progress", "no_wrong_clear", "stale_response_harmless"])
def test_hypothesis_finds_pr4139_violations_with_the_fuse_on(name):
    """``handled_means_progress`` is the safety shadow of ``no_silent_stall``: resends stopped
    while nothing will remove the blocked instance. The fuse stays on and in scope: the
    machine holds it back until a drawn point of each run, and switches it off in some runs."""
    config, factory = recover("pr4139", PROFILE.fuse_on)
    assert config.timeout_fuse and "dm_timeout_tick" in factory().absorbing_actions()
    [prop] = properties_for(config, [name])
    assert explore(factory(), [prop], deadlock=False).verdicts[name].status == "violated"
    machine = make_machine(factory, [prop], PROFILE.max_steps, seed=PROFILE.fuse_on_seeds.get(name, 0), name=f"FuseOn_{name}")
    with pytest.raises(PropertyViolation) as caught:
        run(machine, max_examples=PROFILE.fuse_on_examples, phases=NO_SHRINK)
    assert caught.value.name == name and replays(factory(), caught.value.trace)


# -- cross-check: every state a Hypothesis walk visits is one the BFS reached ------------------
def visited_outside(reachable: set):
    """An ``on_state`` hook that fails a walk at a state outside ``reachable``."""
    def check(state):
        if RecoverModel.fingerprint(state) & FP_MASK not in reachable:
            raise AssertionError("a Hypothesis walk reached a state the BFS did not")
    return check


@pytest.mark.parametrize("preset, overrides", [("pr4139", SMALL), ("design", SMALL_NO_FUSE)])
def test_hypothesis_walks_stay_in_the_bfs_reachable_set(preset, overrides):
    config, factory = recover(preset, overrides)
    graph = explore(factory(), [], keep_graph=True).graph
    reachable = set(graph.fingerprints)
    seen = []
    machine = make_machine(factory, [], 40, seed=1,
                           on_state=lambda s: (visited_outside(reachable)(s), seen.append(s)))
    run(machine, max_examples=100)
    distinct = {RecoverModel.fingerprint(s) & FP_MASK for s in seen}
    assert len(distinct) > len(reachable) // 10  # the walks went somewhere


def test_the_cross_check_can_fail():
    """A reachable set cut at depth 4 misses deeper states: the hook must catch a walk there."""
    config, factory = recover("pr4139", SMALL)
    shallow = set(explore(factory(), [], keep_graph=True, max_depth=4).graph.fingerprints)
    machine = make_machine(factory, [], 20, seed=1, on_state=visited_outside(shallow))
    with pytest.raises(AssertionError, match="did not"):
        run(machine, max_examples=50)


# -- liveness by draining after a walk ----------------------------------------------------------
def test_drain_after_walks_finds_the_silent_stall_the_bfs_finds():
    """With the fuse off, the BFS says a blocked instance can stall for good under fairness; a
    walk then a drain of fair actions finds such a run too. A ``stuck`` outcome is checked to
    be a real counterexample: no fair action is enabled and the instance is still blocked."""
    config, factory = recover("pr4139", SMALL_NO_FUSE)
    props = properties_for(config)
    liveness = [p for p in props if p.name.startswith("recovers_without_fuse")]
    bfs = explore(factory(), liveness)
    assert all(bfs.verdicts[p.name].status == "violated" for p in liveness)
    machine = make_machine(factory, liveness, 25, seed=0, drain_steps=200, name="DrainMachine")
    with pytest.raises(PropertyViolation) as caught:
        run(machine, max_examples=100)
    found = caught.value
    [prop] = [p for p in liveness if p.name == found.name]
    last = found.trace.steps[-1].state
    assert found.kind.startswith("liveness") and replays(factory(), found.trace)
    assert not prop.q(last)
    if STUCK in found.kind:
        assert fair_moves(factory(), last, prop) == []


# -- beyond the BFS's reach ---------------------------------------------------------------------
@pytest.mark.parametrize("preset, overrides", PROFILE.large, ids=lambda v: v if isinstance(v, str) else None)
def test_large_configurations(preset, overrides):
    """Walks over configurations no BFS here exhausts, every safety property checked on every
    step. pr4139 is known to break them at small bounds: the walks must still find a real,
    replayable counterexample at 3 dispatchers; for the other presets, any violation is shown."""
    config, factory = recover(preset, overrides)
    safety = [p for p in properties_for(config) if p.kind != "liveness"]
    machine = make_machine(factory, safety, PROFILE.max_steps, seed=0, name=f"Large_{preset}")
    try:
        run(machine, **({} if PROFILE.shrink_large else {"phases": NO_SHRINK}))
    except PropertyViolation as found:
        assert replays(factory(), found.trace)
        if preset != "pr4139":
            raise
        return
    assert preset != "pr4139", "the walks no longer find pr4139's known violations at 3 dispatchers"
