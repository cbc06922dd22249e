"""Lamport's two-phase commit (TwoPhase.tla) with N resource managers.

A state is one int, packed as bit fields from the low end: the N RM states (2 bits each:
working, prepared, committed, aborted), the set of RMs the transaction manager has seen
prepared (N bits), the messages sent (N+2 bits: Prepared(r) for each r, then Commit, Abort) and
the TM's state (2 bits). Up to 14 RMs the state fits in 60 bits, so ``hash(state) == state``:
the fingerprint is the state itself and cannot collide. Known sizes (TLC): 288 states for 3
RMs, 8,832 for 5, 296,448 for 7, 1,745,408 for 8.
"""

from __future__ import annotations

from ..properties import Invariant, StepProperty, Sometimes

WORKING, PREPARED, COMMITTED, ABORTED = range(4)
TM_INIT, TM_COMMITTED, TM_ABORTED = range(3)
RM_NAMES = ("working", "prepared", "committed", "aborted")
TM_NAMES = ("init", "committed", "aborted")
RM_ACTIONS = ("TMRcvPrepared", "RMPrepare", "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg")


class TwoPhaseCommit:
    fingerprint = hash  # a packed int below 2**60 hashes to itself: stable and collision-free

    def __init__(self, rms: int = 3) -> None:
        if not 1 <= rms <= 14:
            raise ValueError("rms must be between 1 and 14")
        self.n = rms
        self.prepared_shift = 2 * rms
        self.msgs_shift = 3 * rms
        self.tm_shift = 4 * rms + 2
        self.commit_msg = 1 << (self.msgs_shift + rms)
        self.abort_msg = 1 << (self.msgs_shift + rms + 1)
        self.all_prepared = ((1 << rms) - 1) << self.prepared_shift
        # per RM, everything the hot path needs, computed once: labels, field masks and the
        # field values already shifted into place
        self.per_rm = tuple(
            (f"RMPrepare(rm=r{r + 1})", f"RMChooseToAbort(rm=r{r + 1})",
             f"RMRcvCommitMsg(rm=r{r + 1})", f"RMRcvAbortMsg(rm=r{r + 1})",
             3 << 2 * r, PREPARED << 2 * r | 1 << (self.msgs_shift + r),
             COMMITTED << 2 * r, ABORTED << 2 * r)
            for r in range(rms))
        self.tm_receives = tuple(
            (f"TMRcvPrepared(rm=r{r + 1})", 1 << (self.msgs_shift + r), 1 << (self.prepared_shift + r))
            for r in range(rms))
        self.commit_step = (TM_COMMITTED - TM_INIT) << self.tm_shift | self.commit_msg
        self.abort_step = (TM_ABORTED - TM_INIT) << self.tm_shift | self.abort_msg

    def init_states(self):
        return [0]  # every RM working, TM init, nothing prepared or sent

    def successors(self, state):
        out = []
        add = out.append
        if state >> self.tm_shift == TM_INIT:
            for label, msg, seen in self.tm_receives:
                if state & msg and not state & seen:
                    add((label, state | seen))
            if state & self.all_prepared == self.all_prepared:
                add(("TMCommit", state | self.commit_step))
            add(("TMAbort", state | self.abort_step))
        commit_sent, abort_sent = state & self.commit_msg, state & self.abort_msg
        for prepare, choose_abort, rcv_commit, rcv_abort, mask, prepared, committed, aborted in self.per_rm:
            rm = state & mask
            cleared = state ^ rm
            if not rm:  # working
                add((prepare, cleared | prepared))
                add((choose_abort, cleared | aborted))
            if commit_sent and rm != committed:
                add((rcv_commit, cleared | committed))
            if abort_sent and rm != aborted:
                add((rcv_abort, cleared | aborted))
        return out

    def rm_states(self, state) -> list[int]:
        return [state >> (2 * r) & 3 for r in range(self.n)]

    def is_terminal(self, state) -> bool:
        """Every RM has decided: the protocol is over, not deadlocked."""
        return all(rm in (COMMITTED, ABORTED) for rm in self.rm_states(state))

    def fields(self, state):
        names = [f"r{r + 1}" for r in range(self.n)]
        out = {
            "tm": TM_NAMES[state >> self.tm_shift],
            "tm_prepared": [x for r, x in enumerate(names) if state >> (self.prepared_shift + r) & 1],
            "msgs": [f"Prepared({x})" for r, x in enumerate(names) if state >> (self.msgs_shift + r) & 1]
            + (["Commit"] if state & self.commit_msg else []) + (["Abort"] if state & self.abort_msg else []),
        }
        out.update({f"rm.{x}": RM_NAMES[rm] for x, rm in zip(names, self.rm_states(state))})
        return out

    def action_names(self):
        return ("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                "RMRcvCommitMsg", "RMRcvAbortMsg")

    def properties(self):
        def consistent(state):
            rms = self.rm_states(state)
            return not (COMMITTED in rms and ABORTED in rms)

        def decisions_stick(state, action, nxt):
            return all(x == y or x not in (COMMITTED, ABORTED)
                       for x, y in zip(self.rm_states(state), self.rm_states(nxt)))

        return [
            Invariant("consistent", consistent, "no RM has committed while another has aborted"),
            StepProperty("decisions_stick", decisions_stick, "a decided RM never changes its mind"),
            Sometimes("can_commit", lambda s: s >> self.tm_shift == TM_COMMITTED, "a commit is reachable"),
        ]
