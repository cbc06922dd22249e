"""The water-jug puzzle (Die Hard 3): measure 4 gallons with a 5- and a 3-gallon jug."""

from __future__ import annotations

from ..properties import Invariant


class WaterJug:
    """States are ``(small, big)`` in gallons; six actions, always enabled."""

    def __init__(self, big: int = 5, small: int = 3) -> None:
        self.big_size, self.small_size = big, small

    def init_states(self):
        return [(0, 0)]

    def successors(self, state):
        small, big = state
        pour_into_big = min(small, self.big_size - big)
        pour_into_small = min(big, self.small_size - small)
        return [
            ("FillSmall", (self.small_size, big)),
            ("FillBig", (small, self.big_size)),
            ("EmptySmall", (0, big)),
            ("EmptyBig", (small, 0)),
            ("SmallToBig", (small - pour_into_big, big + pour_into_big)),
            ("BigToSmall", (small + pour_into_small, big - pour_into_small)),
        ]

    def fingerprint(self, state) -> int:
        return hash(state)  # a pair of ints: stable across processes

    def fields(self, state):
        return {"small": state[0], "big": state[1]}

    def action_names(self):
        return ("FillSmall", "FillBig", "EmptySmall", "EmptyBig", "SmallToBig", "BigToSmall")

    def properties(self):
        return [Invariant("big_not_4", lambda s: s[1] != 4, "the big jug never holds 4 gallons")]
