"""The findings of ``shared/FINDINGS.md``: A2-A6 (the documents' open items) and N2-N7 (found by
reading the code), each with the checks that decide it, and the verdicts the tests pin.

Configurations stay small so that the whole catalog explores in seconds: ``failures`` bounds the
DML failures of a behaviour (most findings need one or two), and ``restart_budget`` the
maintainer's restart attempts.

Isolation: a check may switch off a *neighbouring* finding's mechanism on every preset alike,
so that its verdict is about its own mechanism. ``working_clears=never`` isolates from N3 (a
lagging Working status clears pending); ``handled_on=accepted`` isolates from N2 (RUNNING or
SUPERSEDED silencing an entry with nothing to follow); ``pending_before_enqueue=on`` isolates
from N6 (a response before its entry). Each use is named in the check's ``why``.
"""

from __future__ import annotations

from .catalog import Check, Finding

ALL_KINDS = ("move", "split", "merge_source", "add", "move_dest", "merge_target")

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
        expected="pr4139 violated; design holds when the rebind fires on an ID change",
        checks=(
            Check("handled_means_progress", {"failures": 1, "maintainer_moves": 1, "switch_changes_epoch": True},
                  "one failure, one move A->B that bumps the epoch"),
            Check("recovers_without_fuse",
                  {"failures": 1, "maintainer_moves": 1, "switch_changes_epoch": True, "timeout_fuse": False}),
            Check("recovers_without_fuse", {"failures": 1, "maintainer_moves": 1, "timeout_fuse": False},
                  "a move that keeps the epoch"),
        ),
    ),
    Finding(
        "A4", "the switch notification is lost or late", "design §9 risk 2",
        claim="known boundary: rebind delayed, the fuse recovers",
        claimed="boundary",
        expected="boundary: no silent stall thanks to the fuse; without it recovery needs the notification",
        checks=(
            Check("no_silent_stall", {"failures": 1, "maintainer_moves": 1, "lossy": ("bootstrap",)},
                  "one failure, a move, a lossy bootstrap; the fuse on"),
        ),
        assumption="the timeout fuse is on",
        dropped=Check("recovers_without_fuse",
                      {"failures": 1, "maintainer_moves": 1, "lossy": ("bootstrap",), "timeout_fuse": False},
                      "the same without the fuse"),
    ),
    Finding(
        "A5", "responses accepted from any source", "M2, R3, req. R8",
        claim="closed by checking msg.From",
        claimed="holds",
        expected="pr4139 violated; design holds (check and mark in one step; keep them under one lock in Go)",
        checks=(
            Check("stale_response_harmless", {"failures": 1, "maintainer_moves": 1},
                  "one failure, move A->B, A's answer delayed past the switch"),
        ),
    ),
    Finding(
        "A6", "cleanup under merge/split/move; the timeout must stay a last fuse", "R4, R5, req. R6",
        claim="closed",
        claimed="holds",
        expected="pr4139 violated; design likely still violated (N2, N3 untouched)",
        checks=(
            Check("handled_means_progress", {"failures": 1, "other_operators": ALL_KINDS},
                  "one failure and one other operator of any kind"),
            Check("no_wrong_clear", {"failures": 1, "other_operators": ALL_KINDS}),
            Check("recovers_without_fuse",
                  {"failures": 1, "other_operators": ("move", "split", "merge_source"), "timeout_fuse": False},
                  "an operator that takes the instance off the node"),
        ),
        assumption=("an operator that leaves the instance alone (add, move_dest, merge_target) finishes: "
                    "it waits for a later Working(D), which the model sends once per instance while "
                    "Go's periodic heartbeat repeats it"),
        dropped=Check("recovers_without_fuse",
                      {"failures": 1, "other_operators": ("add", "move_dest", "merge_target"), "timeout_fuse": False},
                      "one failure and one operator that never touches the instance"),
    ),
    Finding(
        "N2", "RUNNING or SUPERSEDED with no lifecycle event to follow", "code reading",
        claim="—", expected="violated in all documented presets",
        checks=(
            Check("recovers_without_fuse",
                  {"failures": 2, "restart_budget": 2, "timeout_fuse": False, "working_clears": "never"},
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
        ),
    ),
    Finding(
        "N4", "a duplicate request after the restart finished restarts again", "code reading",
        claim="—", expected="violated (the maintainer ignores de)",
        checks=(
            Check("no_spurious_restart", {"failures": 1, "restart_budget": 2, "duplicating": ("requests",), "channel_capacity": 2,
                                          "pending_before_enqueue": True},
                  "one failure; a request repeated after the restart finished; isolated from N6"),
        ),
    ),
    Finding(
        "N5", "a late failure of the old instance after the reporter was cleared", "code reading",
        claim="—", expected="violated even with monotonic epochs",
        checks=(
            Check("no_spurious_restart", {"failures": 2, "restart_budget": 2, "messages_per_instance": 2,
                                          "pending_before_enqueue": True},
                  "two messages in flight in instance 1; the second fails after the recreate; isolated from N6"),
        ),
    ),
    Finding(
        "N6", "the response arrives before the pending entry is written", "code reading",
        claim="—", expected="violated unless pending_before_enqueue",
        checks=(
            Check("no_spurious_restart", {"failures": 1, "restart_budget": 2}, "interleaving only"),
            Check("recovers_without_fuse", {"failures": 1, "restart_budget": 2, "timeout_fuse": False,
                                            "working_clears": "never"},
                  "isolated from N3 (working_clears=never)"),
        ),
    ),
    Finding(
        "N7", "'is local' checked, then the entry added after a remove", "code reading",
        claim="—", expected="residual entry until the fuse",
        checks=(
            Check("no_residual_pending", {"failures": 2, "messages_per_instance": 2, "other_operators": ("move",),
                                          "timeout_fuse": False},
                  "a late failure of instance 1 reported while a move removes the healthy instance 2"),
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
        "A3": ("violated", "violated", "holds"),  # design: the rebind misses identities not yet added
        "A4": ("boundary", "boundary", "boundary"),
        "A5": ("violated", "holds", "holds"),
        "A6": ("violated", "violated", "boundary"),
        "N2": ("violated", "violated", "holds"),
        "N3": ("violated", "violated", "holds"),
        "N4": ("violated", "violated", "holds"),
        "N5": ("violated", "violated", "holds"),
        "N6": ("violated", "violated", "holds"),
        "N7": ("violated", "violated", "holds"),
    }.items()
    for preset, verdict in zip(("pr4139", "design", "proposed"), verdicts)
}

# The knobs the proposed preset adds to design: the finding each closes and the Go function a
# developer would change.
PROPOSED_FIXES: dict[str, tuple[str, str]] = {
    "working_clears=newer_epoch": ("N3", "dispatcher_manager.go onDispatcherStatusForRecover"),
    "handled_on=accepted": ("N2, A6", "dispatcher_manager.go onRecoverDispatcherResponse (recoverTracker.markResponseHandled)"),
    "maintainer_dedup=on": ("N4", "maintainer/recoverable.go tryRecoverDispatcher"),
    "drop_stale_reports=on": ("N5", "dispatcher_manager.go reconcileRecoverDispatchers"),
    "pending_before_enqueue=on": ("N6", "dispatcher_manager.go collectRecoverableEvents (add before enqueue)"),
    "add_checks_local=on": ("N7", "dispatcher_manager.go collectRecoverableEvents / recoverTracker.add"),
    "rebind_held=on": ("A3", "dispatcher_orchestrator.go handleBootstrapRequest rebind under the recover loop's lock"),
}
