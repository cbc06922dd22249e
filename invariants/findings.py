"""The findings of ``shared/FINDINGS.md``: A2-A6 (the documents' open items) and N2-N7 (found by
reading the code), each with the checks that decide it, and the verdicts the tests pin.

Configurations stay small so that the whole catalog explores in seconds: ``failures`` bounds the
DML failures of a behaviour (most findings need one or two), and ``restart_budget`` the
maintainer's restart attempts.

Isolation: a check may switch off a *neighbouring* finding's mechanism on every preset alike,
so that its verdict is about its own mechanism. ``working_clears=never`` isolates from N3 (a
lagging Working status clears pending); ``handled_on=accepted`` isolates from N2 (RUNNING or
SUPERSEDED silencing an entry with nothing to follow). Each use is named in the check's ``why``.
"""

from __future__ import annotations

from .catalog import Check, Finding

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
    ),
    Finding(
        "A3", "a maintainer switch stops retries early", "M1, R1, req. R7",
        claim="closed by rebinding on switch",
        claimed="holds",
        expected="pr4139 violated; design holds when the rebind fires on an ID change",
        checks=(
            Check("handled_means_progress", {"failures": 1, "maintainer_moves": 1},
                  "one failure, one move A->B with the same epoch"),
            Check("recovers_without_fuse", {"failures": 1, "maintainer_moves": 1, "timeout_fuse": False}),
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
            Check("handled_means_progress", {"failures": 1, "other_operators": ("move", "split", "add")},
                  "one failure and one other operator"),
            Check("no_wrong_clear", {"failures": 1, "other_operators": ("move", "split", "add")}),
            Check("recovers_without_fuse",
                  {"failures": 1, "other_operators": ("move", "split", "add"), "timeout_fuse": False}),
        ),
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
            Check("no_spurious_restart", {"failures": 1, "restart_budget": 2, "duplicating": ("requests",)},
                  "one failure; a request repeated after the restart finished"),
        ),
    ),
    Finding(
        "N5", "a late failure of the old instance after the reporter was cleared", "code reading",
        claim="—", expected="violated even with monotonic epochs",
        checks=(
            Check("no_spurious_restart", {"failures": 2, "restart_budget": 2, "messages_per_instance": 2},
                  "two messages in flight in instance 1; the second fails after the recreate"),
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
            Check("no_residual_pending", {"failures": 1, "other_operators": ("move",), "timeout_fuse": False},
                  "a concurrent remove of the instance between the check and the add"),
        ),
    ),
)

BY_ID = {f.id: f for f in FINDINGS}

# What the tests pin (computed by the model, reviewed by a person; see tests/test_findings.py).
# `recover-check findings` exits 1 when a computed verdict differs from its pin.
PINNED: dict[tuple[str, str], str] = {}
