"""The findings: A2-A6 (the design documents' open items), N2-N7 (found by reading the code),
N8-N9 (found by the model once it followed Go's maintainer move) and N10 (once it followed Go's
message order), each with the checks that
decide it, and the verdicts the tests pin.

Configurations stay small so that the whole catalog explores in seconds: ``failures`` bounds the
DML failures of a behaviour (most findings need one or two), and ``restart_budget`` the
maintainer's restart attempts. On ``proposed`` every check also runs with one more maintainer
move (``invariants.catalog.checks_on``).

Isolation: a check may switch on the fix of a *neighbouring* finding on every preset alike, so
that its verdict is about its own mechanism. ``working_clears=never`` isolates from N3 (a
lagging Working status clears pending); ``handled_on=accepted`` from N2 (RUNNING or SUPERSEDED
silencing an entry with nothing to follow); ``pending_before_enqueue=on`` from N6 (a response
before its entry); ``absent_on_stopped=on`` from N9 (a dispatcher lost across a move);
``maintainer_dedup=on`` from N4 (a stale request restarting a fresh instance);
``working_clears=newer_epoch`` from N3 where only a second failure (a grid point) opens it;
``incarnation_ids=on`` (messages of a maintainer's earlier incarnation on the same node, which
two moves A -> B -> A open); ``handled_on=accepted`` from N2 and
``schedule_checks_source=on`` from N8 beside a second failure. Each use is named in the check's
``why``. The deep grid showed why these are needed: without them A4 on a second failure and A3
on a second failure or move were violated by N3's, N2's, N8's and (before the model kept each
node's wire order) A5's mechanisms, not their own (docs/sweep.md).
"""

from __future__ import annotations

from .catalog import Check, Finding

ALL_KINDS = ("move", "split", "merge_source", "add", "move_dest", "merge_target")
REMOVING = ("move", "split", "merge_source")
LEAVING_ALONE = ("add", "move_dest", "merge_target")
NO_FUSE = {"timeout_fuse": False}
KEEP_N9_OUT = {"absent_on_stopped": True}
KEEP_N3_OUT = {"working_clears": "newer_epoch"}
KEEP_A5_OUT = {"incarnation_ids": True}
KEEP_N2_OUT = {"handled_on": "accepted"}
KEEP_N8_OUT = {"schedule_checks_source": True}
KEEP_N10_OUT = {"bootstrap_term": True}
# A3 and A4 ask about a maintainer switch; a second failure or a second move beside it opens
# N3, N2, N8, N10 and the incarnations on one node (the deep grid found each in turn), so their
# checks switch those fixes on
SWITCH_ISOLATION = {**KEEP_N9_OUT, **KEEP_A5_OUT, **KEEP_N3_OUT, **KEEP_N2_OUT, **KEEP_N8_OUT, **KEEP_N10_OUT}
N10_ISOLATION = {k: v for k, v in SWITCH_ISOLATION.items() if k not in KEEP_N10_OUT}  # N10's own fix stays off

FINDINGS: tuple[Finding, ...] = (
    Finding(
        "A2", "identity reused across lifecycles", "M3, R2, req. R9",
        claim="known boundary: safe iff de is monotonic per D",
        claimed="boundary",
        expected="pr4139 violated; design holds for identity reuse (N5 remains)",
        checks=(
            Check("identity_unique", {"failures": 2, "restart_budget": 1},
                  "two failures, one per lifecycle; the first ACCEPTED arrives late"),
            Check("stale_response_harmless", {"failures": 2, "restart_budget": 1}),
        ),
        assumption="dispatcher epochs are monotonic per D (epoch_policy=monotonic)",
        dropped=Check("identity_unique", {"failures": 2, "restart_budget": 1, "epoch_policy": "per_instance"},
                      "the same with per-instance epochs"),
    ),
    Finding(
        "A3", "a maintainer switch stops retries early", "M1, R1, req. R7",
        claim="closed by rebinding on switch",
        claimed="holds",
        expected="pr4139 violated: an ACCEPTED whose operator dies with its maintainer leaves the entry "
                 "handled; design holds when the rebind fires on an ID change",
        checks=(
            Check("recovers_without_fuse", {"failures": 1, "maintainer_moves": 1, **NO_FUSE, **SWITCH_ISOLATION},
                  "one failure, a move that keeps the epoch (Go's only kind); isolated from N9, A5, N3, N2, N8"),
            Check("no_silent_stall", {"failures": 1, "maintainer_moves": 1, **SWITCH_ISOLATION},
                  "the same with the fuse on; isolated from N9, A5, N3, N2, N8"),
        ),
        hypothetical=(
            Check("recovers_without_fuse",
                  {"failures": 1, "maintainer_moves": 1, "switch_changes_epoch": True, **NO_FUSE, **SWITCH_ISOLATION},
                  "a move that bumps the changefeed epoch: Go never does this"),
        ),
    ),
    Finding(
        "A4", "the switch notification is lost or late", "design §9 risk 2",
        claim="known boundary: rebind delayed, the fuse recovers",
        claimed="boundary",
        expected="boundary: no silent stall thanks to the fuse; without it recovery needs the notification",
        checks=(
            Check("no_silent_stall",
                  {"failures": 1, "maintainer_moves": 1, "lossy": ("bootstrap",), **SWITCH_ISOLATION},
                  "one failure, a move, a lossy bootstrap (the maintainer re-sends it); the fuse on; "
                  "isolated from N9, A5, N3, N2, N8"),
        ),
        assumption="the timeout fuse is on",
        dropped=Check("recovers_without_fuse",
                      {"failures": 1, "maintainer_moves": 1, "lossy": ("bootstrap",), **NO_FUSE, **SWITCH_ISOLATION},
                      "the same without the fuse"),
    ),
    Finding(
        "A5", "responses accepted from any source", "M2, R3, req. R8",
        claim="closed by checking msg.From",
        claimed="holds",
        expected="pr4139 violated; design holds: msg.From names a node, but node A's one stream "
                 "delivers the first A's answer before the second A's bootstrap (A -> B -> A)",
        checks=(
            Check("stale_response_harmless", {"failures": 1, "maintainer_moves": 1},
                  "one failure, move A->B, A's answer delayed past the switch"),
            Check("stale_response_harmless", {"failures": 1, "maintainer_moves": 2},
                  "A -> B -> A: the first A's answer delayed while the maintainer moves away and back"),
        ),
    ),
    Finding(
        "A6", "cleanup under merge/split/move; the timeout must stay a last fuse", "R4, R5, req. R6",
        claim="closed",
        claimed="holds",
        expected="pr4139 violated; design likely still violated (N2, N3 untouched)",
        checks=(
            Check("recovers_without_fuse", {"failures": 1, "other_operators": REMOVING, **NO_FUSE},
                  "one failure and an operator that takes the instance off the node"),
            Check("recovers_without_fuse",
                  {"failures": 1, "other_operators": LEAVING_ALONE, "initial_status": "initializing",
                   "working_clears": "never", **NO_FUSE},
                  "one failure and an operator that leaves the instance alone (Go creates one only before the "
                  "instance's first Working) and answers SUPERSEDED; isolated from N3"),
            Check("no_silent_stall",
                  {"failures": 1, "other_operators": ALL_KINDS, "initial_status": "initializing",
                   "working_clears": "never"},
                  "one failure, one other operator of any kind, the fuse on; isolated from N3"),
        ),
    ),
    Finding(
        "N2", "RUNNING or SUPERSEDED with no lifecycle event to follow", "code reading",
        claim="—", expected="violated in all documented presets",
        checks=(
            Check("recovers_without_fuse",
                  {"failures": 2, "restart_budget": 2, **NO_FUSE, "working_clears": "never"},
                  "the new instance fails while the restart runs; isolated from N3 (working_clears=never)"),
        ),
    ),
    Finding(
        "N3", "a Working status clears a pending entry of a blocked instance", "code reading",
        claim="—", expected="silent stall in pr4139 and design: no pending, no force close, no fuse",
        checks=(
            Check("no_silent_stall", {"failures": 2, "restart_budget": 2, "handled_on": "accepted"},
                  "the status loop lags behind the recover loop; isolated from N2 (handled_on=accepted)"),
            Check("no_wrong_clear", {"failures": 2, "restart_budget": 2, "handled_on": "accepted"}),
            Check("no_wrong_clear", {"failures": 1, "other_operators": ("merge_target",), "lossy": ("heartbeat",),
                                     "initial_status": "initializing", "handled_on": "accepted"},
                  "a merge request re-sent after the merged dispatcher's first Working was lost pushes that "
                  "Working again"),
        ),
    ),
    Finding(
        "N4", "a duplicate or stale request after the restart restarts again", "code reading",
        claim="—", expected="violated (the maintainer ignores de)",
        checks=(
            Check("no_spurious_restart", {"failures": 1, "restart_budget": 2, "duplicating": ("requests",),
                                          "channel_capacity": 2, "pending_before_enqueue": True},
                  "one failure; a request repeated after the restart finished; isolated from N6"),
            Check("no_spurious_restart", {"failures": 1, "maintainer_moves": 1, "pending_before_enqueue": True,
                                          "schedule_checks_source": True, **KEEP_N9_OUT},
                  "a resend still on its way when the restart ends reaches the new maintainer, whose memory "
                  "is fresh; isolated from N6, N8 and N9"),
        ),
    ),
    Finding(
        "N5", "a late failure of the old instance after the reporter was cleared", "code reading",
        claim="—", expected="violated even with monotonic epochs",
        checks=(
            Check("no_spurious_restart", {"failures": 2, "restart_budget": 2, "messages_per_instance": 2,
                                          "pending_before_enqueue": True},
                  "two messages in flight in instance 1; the second fails after the recreate; isolated from N6"),
            Check("pending_resolves", {"failures": 2, "restart_budget": 2, "messages_per_instance": 2,
                                       "pending_before_enqueue": True, "handled_on": "accepted", **NO_FUSE},
                  "the same; the late report's entry is cleared by nothing (only the fuse would end it); "
                  "isolated from N2 and N6"),
        ),
    ),
    Finding(
        "N6", "the response arrives before the pending entry is written", "code reading",
        claim="—", expected="violated unless pending_before_enqueue",
        checks=(
            Check("no_spurious_restart", {"failures": 1, "restart_budget": 2}, "interleaving only"),
            Check("recovers_without_fuse", {"failures": 1, "restart_budget": 2, **NO_FUSE,
                                            "working_clears": "never"},
                  "isolated from N3 (working_clears=never)"),
        ),
    ),
    Finding(
        "N7", "'is local' checked, then the entry added after a remove", "code reading",
        claim="—", expected="residual entry until the fuse",
        checks=(
            Check("no_residual_pending", {"failures": 2, "messages_per_instance": 2, "other_operators": ("move",),
                                          **NO_FUSE},
                  "a late failure of instance 1 reported while a move removes the healthy instance 2"),
        ),
    ),
    Finding(
        "N8", "a delayed message of a stopped maintainer acts on its successor's work", "model, Go move order",
        claim="—", expected="the DM applies Remove/Create from any maintainer; statuses go to a node",
        checks=(
            Check("no_spurious_restart", {"failures": 1, "maintainer_moves": 1, "maintainer_dedup": True,
                                          **KEEP_N9_OUT},
                  "A's Remove, delayed past B's bootstrap, lands on the instance B recreated; "
                  "isolated from N4 and N9"),
            Check("recovers_without_fuse", {"failures": 1, "maintainer_moves": 2, "maintainer_dedup": True,
                                            "rebind_on": "maintainer_change", "check_source": True,
                                            "schedule_checks_source": True, **NO_FUSE, **KEEP_N9_OUT},
                  "A -> B -> A: statuses meant for the first A drive the second A's restart; "
                  "isolated from A3, A5, N4 and N9"),
        ),
    ),
    Finding(
        "N9", "a restart cut short by a maintainer move loses the dispatcher", "model, Go move order",
        claim="—", expected="the new maintainer takes a removing dispatcher as replicating and ignores its Stopped",
        checks=(
            Check("no_silent_stall", {"failures": 1, "maintainer_moves": 1},
                  "A's Remove lands, A stops, B's bootstrap lists the removing dispatcher; the fuse on"),
        ),
    ),
    Finding(
        "N10", "a delayed bootstrap copy of a stopped maintainer binds the DM to it for good; the fuse cannot end it",
        "model, Go message order",
        claim="—", expected="the orchestrator takes any bootstrap and SetMaintainerID follows it; the DM's "
                            "requests and statuses then go to a node that runs no maintainer",
        checks=(
            Check("recovers_without_fuse", {"failures": 1, "maintainer_moves": 2, "bootstrap_copies": 2,
                                            "rebind_on": "maintainer_change", "check_source": True, **NO_FUSE,
                                            **N10_ISOLATION},
                  "A -> B -> A: B's re-sent bootstrap, delayed on B's stream, is taken after the second A's; "
                  "isolated from A3, A5, N2, N3, N8 and N9"),
            Check("no_silent_stall", {"failures": 1, "maintainer_moves": 2, "bootstrap_copies": 2,
                                      "rebind_on": "maintainer_change", "check_source": True,
                                      **N10_ISOLATION},
                  "the same with the fuse on: its error travels in heartbeats to B, where no maintainer runs, so "
                  "it never ends the stall"),
        ),
    ),
)

BY_ID = {f.id: f for f in FINDINGS}

# What the tests pin (computed by the model, reviewed by a person; see tests/test_findings.py).
# `recover-check findings` exits 1 when a computed verdict differs from its pin.
PINNED: dict[tuple[str, str], str] = {
    (fid, preset): verdict
    for fid, verdicts in {
        "A2": ("violated", "boundary", "boundary"),
        "A3": ("violated", "holds", "holds"),
        "A4": ("boundary", "holds", "holds"),
        "A5": ("violated", "holds", "holds"),
        "A6": ("violated", "violated", "holds"),
        "N2": ("violated", "violated", "holds"),
        "N3": ("violated", "violated", "holds"),
        "N4": ("violated", "violated", "holds"),
        "N5": ("violated", "violated", "holds"),
        "N6": ("violated", "violated", "holds"),
        "N7": ("violated", "violated", "holds"),
        "N8": ("violated", "violated", "holds"),
        "N9": ("violated", "violated", "holds"),
        "N10": ("violated", "violated", "holds"),
    }.items()
    for preset, verdict in zip(("pr4139", "design", "proposed"), verdicts)
}

# The knobs the proposed preset adds to design: the finding each closes and the Go function a
# developer would change.
PROPOSED_FIXES: dict[str, tuple[str, str]] = {
    "working_clears=newer_epoch": ("N3", "dispatcher_manager.go onDispatcherStatusForRecover (the status carries "
                                         "its instance's creation epoch)"),
    "handled_on=accepted": ("N2, A6", "dispatcher_manager.go onRecoverDispatcherResponse (recoverTracker.markResponseHandled)"),
    "maintainer_dedup=on": ("N4, N6", "maintainer/recoverable.go tryRecoverDispatcher; Controller.HandleStatus and "
                                      "FinishBootstrap remember the epoch a status reports"),
    "drop_stale_reports=on": ("N5, N7", "dispatcher_manager.go reconcileRecoverDispatchers (against the epoch the "
                                        "instance was created with)"),
    "schedule_checks_source=on": ("N8", "helper.go SchedulerDispatcherRequestHandler.Handle (check msg.From)"),
    "incarnation_ids=on": ("N4, N8", "a maintainer instance ID in the bootstrap, responses, schedule requests and "
                                     "heartbeats; checked by onRecoverDispatcherResponse, "
                                     "SchedulerDispatcherRequestHandler.Handle and Maintainer.onHeartbeatRequest"),
    "bootstrap_term=on": ("N10", "a changefeed-wide maintainer term taken at each maintainer start (the "
                                 "coordinator's move/failover), sent in MaintainerBootstrapRequest; "
                                 "DispatcherOrchestrator.handleBootstrapRequest ignores a lower term than the "
                                 "DM's last"),
    "absent_on_stopped=on": ("N9", "maintainer_controller.go Controller.HandleStatus / span.Controller: a replicating "
                                   "span whose dispatcher stopped or is no longer listed becomes absent"),
}

# Knobs the proposed preset no longer needs once the model follows Go (each closed a finding in an
# earlier model): why it is redundant.
NOT_NEEDED: dict[str, str] = {
    "pending_before_enqueue=on": "N6's duplicate request is answered SUPERSEDED by maintainer_dedup, and its "
                                 "unmarked entry is resent until a restart or a newer Working clears it",
    "add_checks_local=on": "N7's residual entry comes from a late report of a closed instance, which "
                           "drop_stale_reports drops before an entry is built",
    "rebind_held=on": "with the epoch kept across a move (Go), an identity added after the rebind carries "
                      "the right epoch and is new, so unhandled: the rebind has nothing to miss",
}
