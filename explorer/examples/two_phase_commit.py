"""Lamport's two-phase commit (TwoPhase.tla) with N resource managers.

A state is one int, packed as bit fields from the low end: the N RM states (2 bits each:
working, prepared, committed, aborted), the set of RMs the transaction manager has seen
prepared (N bits), the messages sent (N+2 bits: Prepared(r) for each r, then Commit, Abort) and
the TM's state (2 bits). Up to 14 RMs the state fits in 60 bits, so ``hash(state) == state``:
the fingerprint is the state itself and cannot collide. Known sizes (TLC): 288 states for 3
RMs, 8,832 for 5, 296,448 for 7, 1,745,408 for 8.

Two knobs (``KNOBS``, for ``recover-check explain``'s what-if replays), TwoPhase.tla's values by
default: ``tm_abort=1`` lets the TM abort on its own; ``prepared_abort=1`` is a bug, an RM that
has prepared may still choose to abort, so one RM can abort after another committed.
"""

from __future__ import annotations

import numpy as np

from ..batched import sources_and_positions
from ..properties import Invariant, StepProperty, Sometimes

WORKING, PREPARED, COMMITTED, ABORTED = range(4)
TM_INIT, TM_COMMITTED, TM_ABORTED = range(3)
RM_NAMES = ("working", "prepared", "committed", "aborted")
TM_NAMES = ("init", "committed", "aborted")
RM_ACTIONS = ("TMRcvPrepared", "RMPrepare", "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg")


def rm_label(action: str, r: int) -> str:
    """The label of RM r's (or the TM's about RM r) action, as TwoPhase.tla names it."""
    return f"{action}(rm=r{r + 1})"


class TwoPhaseCommit:
    fingerprint = hash  # a packed int below 2**60 hashes to itself: stable and collision-free
    KNOBS = {"prepared_abort": (0, 1), "tm_abort": (0, 1)}  # parameter -> the values it takes

    def __init__(self, rms: int = 3, prepared_abort: int = 0, tm_abort: int = 1) -> None:
        if not 1 <= rms <= 14:
            raise ValueError("rms must be between 1 and 14")
        for knob, value in (("prepared_abort", prepared_abort), ("tm_abort", tm_abort)):
            if value not in self.KNOBS[knob]:
                raise ValueError(f"{knob} must be 0 or 1")
        self.prepared_abort, self.tm_abort = bool(prepared_abort), bool(tm_abort)
        self.n = rms
        self.prepared_shift = 2 * rms
        self.msgs_shift = 3 * rms
        self.tm_shift = 4 * rms + 2
        self.commit_msg = 1 << (self.msgs_shift + rms)
        self.abort_msg = 1 << (self.msgs_shift + rms + 1)
        self.all_prepared = ((1 << rms) - 1) << self.prepared_shift
        # the RMs' moves as a small table computed once: for each (Commit sent, Abort sent)
        # and each RM, its moves by its current state, as (label, bits to flip)
        self.rm_moves = tuple(
            tuple((2 * r, tuple(self._rm_moves(r, rm, commit_sent, abort_sent) for rm in range(4)))
                  for r in range(rms))
            for commit_sent, abort_sent in ((False, False), (True, False), (False, True), (True, True)))
        self.tm_receives = tuple(
            (rm_label("TMRcvPrepared", r), 1 << (self.msgs_shift + r), 1 << (self.prepared_shift + r))
            for r in range(rms))
        self.commit_step = (TM_COMMITTED - TM_INIT) << self.tm_shift | self.commit_msg
        self.abort_step = (TM_ABORTED - TM_INIT) << self.tm_shift | self.abort_msg

    def _rm_moves(self, r: int, rm: int, commit_sent: bool, abort_sent: bool) -> tuple:
        """RM r's moves from state ``rm`` (RMPrepare, RMChooseToAbort, RMRcvCommitMsg,
        RMRcvAbortMsg), each as the bits it flips in the packed state."""
        flip = lambda new: (rm ^ new) << 2 * r  # noqa: E731 - the RM field from rm to new
        moves = []
        if rm == WORKING:
            moves.append((rm_label("RMPrepare", r), flip(PREPARED) | 1 << (self.msgs_shift + r)))
        if rm == WORKING or rm == PREPARED and self.prepared_abort:
            moves.append((rm_label("RMChooseToAbort", r), flip(ABORTED)))
        if commit_sent and rm != COMMITTED:
            moves.append((rm_label("RMRcvCommitMsg", r), flip(COMMITTED)))
        if abort_sent and rm != ABORTED:
            moves.append((rm_label("RMRcvAbortMsg", r), flip(ABORTED)))
        return tuple(moves)

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
            if self.tm_abort:
                add(("TMAbort", state | self.abort_step))
        sent = (1 if state & self.commit_msg else 0) | (2 if state & self.abort_msg else 0)
        for shift, by_state in self.rm_moves[sent]:
            for label, flip in by_state[state >> shift & 3]:
                add((label, state ^ flip))
        return out

    # -- the vectorised form (explorer.batched): the same successors, for an array of states --
    def vector_labels(self) -> tuple:
        """Every label, in the order ``successors`` lists them for one state."""
        labels = [label for label, _, _ in self.tm_receives] + ["TMCommit", "TMAbort"]
        for r in range(self.n):
            labels += [rm_label(move, r) for move in RM_ACTIONS[1:]]
        return tuple(labels)

    def _vector_moves(self, states):
        """Per label, in ``vector_labels`` order: (enabled mask, the next state where enabled)."""
        tm_init = states >> self.tm_shift == TM_INIT
        for _, msg, seen in self.tm_receives:
            yield tm_init & (states & msg != 0) & (states & seen == 0), lambda s, seen=seen: s | seen
        yield tm_init & (states & self.all_prepared == self.all_prepared), lambda s: s | self.commit_step
        yield tm_init & self.tm_abort, lambda s: s | self.abort_step
        commit_sent, abort_sent = states & self.commit_msg != 0, states & self.abort_msg != 0
        for r in range(self.n):
            rm, field = states >> 2 * r & 3, 3 << 2 * r
            prepare = (WORKING ^ PREPARED) << 2 * r | 1 << (self.msgs_shift + r)
            yield rm == WORKING, lambda s, flip=prepare: s ^ flip
            yield (rm == WORKING) | (rm == PREPARED) & self.prepared_abort, \
                lambda s, f=field, r=r: s & ~f | ABORTED << 2 * r
            yield commit_sent & (rm != COMMITTED), lambda s, f=field, r=r: s & ~f | COMMITTED << 2 * r
            yield abort_sent & (rm != ABORTED), lambda s, f=field, r=r: s & ~f | ABORTED << 2 * r

    def vector_successors(self, states):
        """(sources, positions, label ids, next states) of every successor of ``states``, in
        the order of the one-state lists: by source, then position."""
        sources, label_ids, nexts = [], [], []
        for label_id, (enabled, step) in enumerate(self._vector_moves(states)):
            at = np.flatnonzero(enabled)
            sources.append(at)
            label_ids.append(np.full(len(at), label_id, dtype=np.int64))
            nexts.append(step(states[at]))
        sources = np.concatenate(sources)
        # a stable sort by source keeps each state's moves in label order, its list's order
        # (numpy sorts 16-bit keys stably by radix, in linear time)
        key = sources.astype(np.uint16) if len(states) <= 1 << 16 else sources
        order = np.argsort(key, kind="stable")
        sources, positions = sources_and_positions(np.bincount(sources, minlength=len(states)))
        return sources, positions, np.concatenate(label_ids)[order], np.concatenate(nexts)[order]

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

        def consistent_vector(states):
            fields = [states >> 2 * r & 3 for r in range(self.n)]
            return ~(np.logical_or.reduce([f == COMMITTED for f in fields])
                     & np.logical_or.reduce([f == ABORTED for f in fields]))

        def decisions_stick_vector(states, label_ids, nexts):
            ok = np.ones(len(states), dtype=bool)
            for r in range(self.n):
                x, y = states >> 2 * r & 3, nexts >> 2 * r & 3
                ok &= (x == y) | (x < COMMITTED)
            return ok

        def can_commit(state):
            return state >> self.tm_shift == TM_COMMITTED

        return [
            Invariant("consistent", consistent, "no RM has committed while another has aborted",
                      vector=consistent_vector),
            StepProperty("decisions_stick", decisions_stick, "a decided RM never changes its mind",
                         vector=decisions_stick_vector),
            Sometimes("can_commit", can_commit, "a commit is reachable", vector=can_commit),
        ]
