"""Two-phase commit written the way a TLA+ user ports TwoPhase.tla: strings, tuples, frozensets.

The same protocol, actions and state counts as :mod:`explorer.examples.two_phase_commit`
(288 states for 3 RMs, 296,448 for 7), but with no packed int and no ``fingerprint()``: a state
is ``(rm_state, tm_state, tm_prepared, msgs)`` with ``rm_state`` a tuple of strings (one per
RM, ``"working"``...), ``tm_state`` a string, ``tm_prepared`` a frozenset of RM names and
``msgs`` a frozenset of messages ``("Prepared", rm)``, ``("Commit",)``, ``("Abort",)``. The
engine fingerprints it with its default fingerprint; the benchmark compares that with a plain
set-and-deque BFS over the same ``successors``.
"""

from __future__ import annotations

from ..properties import Invariant

COMMIT, ABORT = ("Commit",), ("Abort",)


class TwoPhaseNaive:
    def __init__(self, rms: int = 3) -> None:
        if not 1 <= rms <= 14:
            raise ValueError("rms must be between 1 and 14")
        self.rms = tuple(f"r{r + 1}" for r in range(rms))
        self.everyone = frozenset(self.rms)
        self.prepared_msgs = tuple(("Prepared", rm) for rm in self.rms)

    def init_states(self):
        return [(("working",) * len(self.rms), "init", frozenset(), frozenset())]

    def successors(self, state):
        rm_state, tm_state, tm_prepared, msgs = state
        out = []
        if tm_state == "init":
            for rm, msg in zip(self.rms, self.prepared_msgs):
                if msg in msgs and rm not in tm_prepared:
                    out.append((f"TMRcvPrepared(rm={rm})", (rm_state, tm_state, tm_prepared | {rm}, msgs)))
            if tm_prepared == self.everyone:
                out.append(("TMCommit", (rm_state, "committed", tm_prepared, msgs | {COMMIT})))
            out.append(("TMAbort", (rm_state, "aborted", tm_prepared, msgs | {ABORT})))
        commit, abort = COMMIT in msgs, ABORT in msgs
        for i, (rm, msg) in enumerate(zip(self.rms, self.prepared_msgs)):
            now = rm_state[i]
            if now == "working":
                out.append((f"RMPrepare(rm={rm})", (_put(rm_state, i, "prepared"), tm_state, tm_prepared, msgs | {msg})))
                out.append((f"RMChooseToAbort(rm={rm})", (_put(rm_state, i, "aborted"), tm_state, tm_prepared, msgs)))
            if commit and now != "committed":
                out.append((f"RMRcvCommitMsg(rm={rm})", (_put(rm_state, i, "committed"), tm_state, tm_prepared, msgs)))
            if abort and now != "aborted":
                out.append((f"RMRcvAbortMsg(rm={rm})", (_put(rm_state, i, "aborted"), tm_state, tm_prepared, msgs)))
        return out

    def is_terminal(self, state) -> bool:
        return all(now in ("committed", "aborted") for now in state[0])

    def fields(self, state):
        rm_state, tm_state, tm_prepared, msgs = state
        return {"rm_state": dict(zip(self.rms, rm_state)), "tm_state": tm_state,
                "tm_prepared": sorted(tm_prepared), "msgs": sorted(map(str, msgs))}

    def action_names(self):
        return ("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                "RMRcvCommitMsg", "RMRcvAbortMsg")

    def properties(self):
        def consistent(state):
            return not ("committed" in state[0] and "aborted" in state[0])

        return [Invariant("consistent", consistent, "no RM has committed while another has aborted")]


def _put(items: tuple, i: int, value) -> tuple:
    return items[:i] + (value,) + items[i + 1:]
