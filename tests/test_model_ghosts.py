"""Ghost variables are only for properties: renumbering lifecycles in reachable states changes
neither which actions (with their non-ghost arguments) are enabled nor the non-ghost part of
any successor. Also: successor order and fingerprints do not depend on PYTHONHASHSEED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, deque

import pytest

from model import ACTIONS, RecoverModel, make_config
from model.state import erase_ghosts, map_ghosts

CONFIGS = [
    ("pr4139", {"messages_per_instance": 2}),
    ("pr4139", {"dispatchers": 2, "restart_budget": 1}),
    ("design", {"maintainer_moves": 1, "lossy": "requests,responses", "restart_budget": 1}),
    ("pr4139", {"other_operators": "move,add", "initial_status": "initializing", "duplicating": "requests", "channel_capacity": 2}),
]


def reachable(model, limit):
    init = model.init_states()
    seen, queue = set(init), deque(init)
    while queue and len(seen) < limit:
        for _, nxt in model.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def visible(model, state):
    """What the protocol may depend on: action names with non-ghost args, erased successors."""
    out = Counter()
    for action, nxt in model.successors(state):
        ghosts = ACTIONS[action.name].ghost_params
        out[(action.name, tuple(kv for kv in action.args if kv[0] not in ghosts), erase_ghosts(nxt))] += 1
    return out


@pytest.mark.parametrize("preset, overrides", CONFIGS)
def test_renumbered_lifecycles_change_nothing_visible(preset, overrides):
    model = RecoverModel(make_config(preset, overrides))
    states = sorted(reachable(model, 3000), key=model.fingerprint)
    renumberings = [lambda x: x + 7, lambda x: 100 - x, lambda x: 0]
    checked = 0
    for state in states:
        base = visible(model, state)
        for f in renumberings:
            assert visible(model, map_ghosts(state, lifecycle=f)) == base
            checked += 1
    assert checked > 1000


def test_the_ghost_test_can_fail():
    """matching_lifecycle reads a ghost (documented): the check above must notice it."""
    cfg = {"working_clears": "matching_lifecycle", "initial_status": "initializing", "messages_per_instance": 2}
    model = RecoverModel(make_config("pr4139", cfg))
    states = sorted(reachable(model, 20000), key=model.fingerprint)
    assert any(visible(model, s) != visible(model, map_ghosts(s, lifecycle=lambda x: 0)) for s in states)


_PROBE = """
import json, sys
from collections import deque
from model import RecoverModel, make_config
model = RecoverModel(make_config("pr4139", {"dispatchers": 2, "restart_budget": 1, "lossy": "requests"}))
state = model.init_states()[0]
queue, seen, out = deque([state]), {state}, []
while queue and len(out) < 400:
    s = queue.popleft()
    succ = model.successors(s)
    out.append([model.fingerprint(s), [[str(a), model.fingerprint(n)] for a, n in succ]])
    for _, n in succ:
        if n not in seen:
            seen.add(n); queue.append(n)
print(json.dumps(out))
"""


def _probe(seed: str):
    env = dict(os.environ, PYTHONHASHSEED=seed)
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_successor_order_and_fingerprints_ignore_hash_seed():
    first, second = _probe("1"), _probe("4242")
    assert len(first) == 400
    assert first == second
