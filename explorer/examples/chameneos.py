"""Chameneos (the concurrency game), as a TLA+ user would encode it: strings and tuples.

``n`` creatures, each a colour (``"blue"``, ``"red"``, ``"yellow"``) and a count of meetings,
go to a meeting place that holds one waiting creature at a time. A creature that finds it
empty waits there; one that finds another there meets it, and both take the complement of
their two colours. After ``m`` meetings a creature that finds the place empty fades. A state is
``(creatures, meeting_place, meetings)``: ``creatures`` a tuple of ``(colour, met)`` pairs,
``meeting_place`` 0 (empty) or the waiting creature's number (1..n). Every colouring is an
initial state. No ``fingerprint()``: the engine's default fingerprints it.
"""

from __future__ import annotations

from ..properties import Invariant, eventually_always

COLOURS = ("blue", "red", "yellow")
FADED = "faded"
EMPTY = 0


def complement(a: str, b: str) -> str:
    """The colour two meeting creatures both take: theirs if equal, else the third one."""
    return a if a == b else next(c for c in COLOURS if c != a and c != b)


class Chameneos:
    def __init__(self, n: int = 3, m: int = 3) -> None:
        if not 2 <= n <= 8 or not 1 <= m <= 20:
            raise ValueError("n must be between 2 and 8 and m between 1 and 20")
        self.n, self.m = n, m

    def init_states(self):
        states = [()]
        for _ in range(self.n):
            states = [s + ((colour, 0),) for s in states for colour in COLOURS]
        return [(creatures, EMPTY, 0) for creatures in states]

    def successors(self, state):
        creatures, place, meetings = state
        out = []
        for i, (colour, met) in enumerate(creatures):
            if colour == FADED:
                continue
            cid = i + 1
            label = f"Meet(cid={cid})"
            if place == EMPTY:
                if meetings < self.m:
                    out.append((label, (creatures, cid, meetings)))
                else:
                    out.append((label, (_put(creatures, i, (FADED, met)), place, meetings)))
            elif place != cid:
                j = place - 1
                other, other_met = creatures[j]
                new = complement(colour, other)
                changed = _put(_put(creatures, i, (new, met + 1)), j, (new, other_met + 1))
                out.append((label, (changed, EMPTY, meetings + 1)))
        return out

    def is_terminal(self, state) -> bool:
        return all(colour == FADED for colour, _ in state[0])

    def fields(self, state):
        creatures, place, meetings = state
        out = {f"c{i + 1}": f"{colour} ({met} met)" for i, (colour, met) in enumerate(creatures)}
        out.update(meeting_place=f"c{place}" if place else "empty", meetings=meetings)
        return out

    def action_names(self):
        return ("Meet",)

    def properties(self):
        def meetings_counted(state):
            return sum(met for _, met in state[0]) == 2 * state[2]

        return [
            Invariant("meetings_counted", meetings_counted, "every meeting is counted by both creatures"),
            eventually_always("all_fade", self.is_terminal, {"Meet": "weak"},
                              "under weak fairness every creature fades in the end"),
        ]


def _put(items: tuple, i: int, value) -> tuple:
    return items[:i] + (value,) + items[i + 1:]
