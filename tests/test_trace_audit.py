"""The traces docs/trace_audit.md gives for the counterexamples that need their check's isolation
knobs: each is a run of ``pr4139`` itself (no isolation knob) and shows its finding's violation.
Run here so that what the audit claims stays true while the model changes."""

from __future__ import annotations

import pytest

from explorer import Invariant
from explorer.evidence import evidence
from explorer.result import Step, Trace
from explorer.testing import assert_holds
from explorer.trace import replay_actions
from invariants.catalog import run_check
from invariants.explain import FRAMING, property_named
from invariants.findings import FINDINGS
from invariants.properties import served
from model import RecoverModel, make_config
from model.config import KNOBS

# A6: the Working status handled before the failure (the printed trace handles it after, which
# needs working_clears=never); N2: lifecycle 2's Working handled before its failure.
A6 = ({"failures": 1, "other_operators": ("add", "move_dest", "merge_target"), "initial_status": "initializing",
       "timeout_fuse": False},
      ["add_operator(d=d1, kind=add)", "first_event(d=d1)", "dm_status(d=d1)", "dml_fail(d=d1, lifecycle=1, de=1)",
       "dm_take_event", "dm_add_pending", "hbc_send", "maintainer_recv_request(m=A)", "dm_recv_response(from=A)",
       "maintainer_recv_status(m=A)"])
N2 = ({"failures": 2, "restart_budget": 2, "timeout_fuse": False},
      ["dml_fail(d=d1, lifecycle=1, de=1)", "dm_take_event", "dm_add_pending", "hbc_send",
       "maintainer_recv_request(m=A)", "dm_recv_response(from=A)", "operator_send(m=A, d=d1)",
       "dm_recv_schedule(from=A)", "dispatcher_close(d=d1)", "maintainer_recv_status(m=A)",
       "operator_send(m=A, d=d1)", "dm_recv_schedule(from=A)", "first_event(d=d1)", "dm_status(d=d1)",
       "dml_fail(d=d1, lifecycle=2, de=1)", "dm_take_event", "dm_add_pending", "hbc_send",
       "maintainer_recv_request(m=A)", "dm_recv_response(from=A)", "maintainer_recv_status(m=A)"])
# N8: A's delayed Remove lands on the instance B's restart created (no absent_on_stopped)
N8 = ({"failures": 1, "maintainer_moves": 1},
      ["dml_fail(d=d1, lifecycle=1, de=1)", "move_maintainer(to=B)", "dm_take_event", "hbc_send",
       "maintainer_recv_request(m=A)", "dm_recv_response(from=A)", "dm_add_pending", "operator_send(m=A, d=d1)",
       "stop_maintainer(m=A)", "dm_recv_bootstrap(from=B)", "dm_resend_tick", "hbc_send",
       "maintainer_recv_request(m=B)", "dm_recv_response(from=B)", "operator_send(m=B, d=d1)",
       "dm_recv_schedule(from=B)", "dispatcher_close(d=d1)", "maintainer_recv_status(m=B)",
       "operator_send(m=B, d=d1)", "dm_recv_schedule(from=B)", "dm_recv_schedule(from=A)"])


def _run_of_pr4139(config: dict, labels: list[str]):
    assert all(k not in KNOBS or k in FRAMING for k in config), "a run of pr4139 itself sets no isolation knob"
    cfg = make_config("pr4139", config)
    model = RecoverModel(cfg)
    start = model.init_states()[0]
    return cfg, model, Trace((Step(None, start), *replay_actions(model, start, labels)))


class From:
    """``model`` started at ``state``."""

    def __init__(self, model, state):
        self.model, self.state = model, state

    def init_states(self):
        return [self.state]

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)


@pytest.mark.parametrize("config, labels", [A6, N2], ids=["A6", "N2"])
def test_the_reordered_stall_is_a_run_of_pr4139_that_never_recovers(config, labels):
    cfg, model, trace = _run_of_pr4139(config, labels)
    never = assert_holds(From(model, trace.steps[-1].state),
                         [Invariant("d1 never served", lambda s: not served(s, 0))], deadlock=False)
    assert never.distinct >= 1
    lasso = Trace(trace.steps, loop=len(trace) - 1, stutter=True)
    prop = property_named(cfg, "recovers_without_fuse", "recovers_without_fuse[d1]")
    assert evidence(model, prop, lasso) == "a fair lasso that violates it"


def test_n8s_delayed_remove_is_a_run_of_pr4139():
    cfg, model, trace = _run_of_pr4139(*N8)
    assert evidence(model, property_named(cfg, "no_spurious_restart", "no_spurious_restart"), trace) == \
        "ends in a violation"


def test_n4_needs_no_network_duplicate_a_resend_does():
    """N4's first check with its duplicate taken away and Go's ticker (``slow_ticks=false``)."""
    n4 = next(f for f in FINDINGS if f.id == "N4").checks[0]
    config = {k: v for k, v in n4.config.items() if k != "duplicating"} | {"slow_ticks": False}
    outcome = run_check(type(n4)(n4.prop, config), "pr4139")
    actions = [str(step.action) for step in outcome.trace.steps[1:]]
    assert outcome.status == "violated"
    assert not any(a.startswith("duplicate") for a in actions) and "dm_resend_tick" in actions
