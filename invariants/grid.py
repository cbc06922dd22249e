"""The configuration grid behind every verdict: the axes each finding is checked over.

A finding's checks (``invariants.findings``) fix one small configuration each. The grid widens
every check along the axes its finding's question needs (``explorer.sweep``): each point is the
check's configuration with some axis values laid over it, and the finding's verdict on a preset
combines every point as ``invariants.catalog`` combines checks.

How a point meets a check's own configuration (so that an overlay never undoes what a check
is for):

* A check's *knobs* (its isolation overrides, e.g. ``working_clears=never``, and its defining
  settings such as ``initial_status``) are never axes: every point keeps them.
* On an ordered axis the check's own value is the *floor*: values below it are skipped. A check
  with ``maintainer_moves: 1`` (A3) asks about a move, so it is widened to two moves, never run
  with none; ``failures: 2`` asks about a second failure. A check's own value that is not on
  the axis (A2's ``restart_budget: 1``) is its first point, then the axis values above it.
* ``slow_ticks`` is ordered on, off (off is Go: the 5 s ticker fires whether or not a round
  trip is in flight, so more interleavings): a check that sets it keeps its value.
* On a set axis (``lossy``, ``duplicating``, ``other_operators``) each value is *added* to the
  check's own: A4's lossy bootstrap stays lossy, A6's operator kinds stay, and a value the check
  already has adds nothing (that point is the check's own and is not repeated).

Every point is the smallest first: points are ordered by how many steps they widen their
check (an ordered axis counts each value passed, a set axis one per value added) and swept in
waves of equal steps; the first wave that finds a violation is the last (``explorer.sweep``).
``depth`` keeps the points at most that many steps from their check: every single widening and
every pair of them, for a depth of 2, rather than every corner of the product, whose largest
corners (two dispatchers, two moves, Go's ticker and a third failure at once) run to tens of
millions of states. ``max_states`` bounds each point: a point it cuts is *incomplete*.

The quick grid (``recover-check findings``) widens every check by one step on a few cheap axes;
the deep grid (``recover-check findings --deep``) is the one below, per finding.
"""

from __future__ import annotations

import attrs

from explorer.sweep import ORDERED, SET, Axis

QUICK, DEEP = "quick", "deep"
GRID_NAMES = (QUICK, DEEP)
REQUEST_PATH = ("requests", "responses")


def ordered(key: str, *values) -> Axis:
    return Axis(key, tuple(values), ORDERED)


def channels(key: str, *names: str) -> Axis:
    """Each channel (or group) of ``names`` alone, added to a check's own."""
    return Axis(key, tuple((name,) for name in names), SET)


OPERATOR_KINDS = ("move", "split", "merge_source", "add", "move_dest", "merge_target")
# the axes of the issue, with the values every finding starts from
DISPATCHERS = ordered("dispatchers", 1, 2)
DISPATCHERS_3 = ordered("dispatchers", 1, 2, 3)  # where one failure keeps three small
MOVES = ordered("maintainer_moves", 0, 1)
MOVES_2 = ordered("maintainer_moves", 0, 1, 2)
SLOW_TICKS = ordered("slow_ticks", True, False)
CAPACITY = ordered("channel_capacity", 1, 2)
BUDGET = ordered("restart_budget", 2, 6)  # Go's recoverableMaxAttempts is 6
FAILURES = ordered("failures", 1, 2, 3)
FAILURES_2 = ordered("failures", 1, 2)  # beside moves, a third failure multiplies a point eightyfold
OPERATORS = Axis("other_operators", tuple((kind,) for kind in OPERATOR_KINDS), SET)
BOOTSTRAP_COPIES = ordered("bootstrap_copies", 1, 2, 3)  # a check's own value is the floor (N10's is 2)


@attrs.frozen
class Grid:
    """The axes of one finding's grid, how far from each check it goes, and each point's bound."""

    axes: tuple[Axis, ...]
    depth: int | None = 2
    max_states: int | None = None
    apart: tuple[frozenset, ...] = ()  # sets of axes never widened together (each pair too large)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(axis.key for axis in self.axes)


@attrs.frozen
class FindingGrid:
    needs: str  # what the finding's question varies, and so which axes it needs
    deep: Grid
    quick: Grid

    def of(self, name: str) -> Grid:
        return self.quick if name == QUICK else self.deep


QUICK_MAX_STATES = 1_000_000  # a guard only: no quick point comes near it
DEEP_MAX_STATES = 10_000_000  # A4 at two dispatchers and two failures passes 4M; 2.9M took 1.9 GB with its graph


def quick(*axes: Axis) -> Grid:
    return Grid(tuple(axes), depth=1, max_states=QUICK_MAX_STATES)


def deep(*axes: Axis, depth: int | None = 2, apart: tuple[frozenset, ...] = ()) -> Grid:
    return Grid(tuple(axes), depth=depth, max_states=DEEP_MAX_STATES, apart=apart)


# two dispatchers and a move at once: over 2M states a point where a check has operators or two failures
DISPATCHERS_AND_MOVES = (frozenset({"dispatchers", "maintainer_moves"}),)


GRIDS: dict[str, FindingGrid] = {
    "A2": FindingGrid(
        "more lifecycles of one dispatcher (a third failure, more restarts), a late or repeated ACCEPTED, "
        "a second dispatcher and a move",
        deep=deep(FAILURES, BUDGET, DISPATCHERS, MOVES, SLOW_TICKS, CAPACITY,
                  channels("lossy", "responses"), channels("duplicating", "responses")),
        quick=quick(CAPACITY)),
    "A3": FindingGrid(
        "moves (a second one, A -> B -> A), a lost or repeated bootstrap or request, more failures and "
        "dispatchers across the switch",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS, BUDGET,
                  channels("lossy", "bootstrap", "requests", "responses"),
                  channels("duplicating", "bootstrap", "heartbeat")),
        quick=quick(channels("lossy", "responses"))),
    "A4": FindingGrid(
        "the switch notification lost (bootstrap, heartbeat) or repeated, a second move, more failures and "
        "dispatchers",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS,
                  channels("lossy", "heartbeat", "requests", "responses"),
                  channels("duplicating", "bootstrap", "heartbeat")),
        quick=quick(channels("lossy", "heartbeat"))),
    "A5": FindingGrid(
        "an answer from a maintainer that is no longer current: more moves, answers queued (capacity), "
        "lost or repeated, more failures and dispatchers",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS, CAPACITY,
                  channels("lossy", "responses", "bootstrap"), channels("duplicating", "responses", "schedule")),
        quick=quick(channels("lossy", "responses"))),
    "A6": FindingGrid(
        "every kind of other operator, alone and beside the check's own, with a move, a second failure, a "
        "second dispatcher, lost schedule requests or heartbeats",
        deep=deep(OPERATORS, FAILURES, DISPATCHERS, MOVES, SLOW_TICKS,
                  channels("lossy", "schedule", "heartbeat"), channels("duplicating", "schedule"),
                  apart=DISPATCHERS_AND_MOVES),
        quick=quick(channels("lossy", "heartbeat"))),
    "N2": FindingGrid(
        "answers that leave nothing to follow: more failures and restarts, answers lost or repeated, other "
        "operators, a move, a second dispatcher",
        deep=deep(FAILURES, BUDGET, DISPATCHERS, MOVES, SLOW_TICKS, OPERATORS,
                  channels("lossy", "responses", "heartbeat"), channels("duplicating", "responses")),
        quick=quick(CAPACITY)),
    "N3": FindingGrid(
        "a Working status racing the recover loop: more failures and restarts, statuses repeated or lost "
        "(heartbeat), a move, a second dispatcher (the merge that re-pushes a Working is its third check)",
        deep=deep(FAILURES, BUDGET, DISPATCHERS, MOVES, SLOW_TICKS,
                  channels("lossy", "heartbeat"), channels("duplicating", "heartbeat", "schedule"),
                  apart=DISPATCHERS_AND_MOVES),
        quick=quick(CAPACITY)),
    "N4": FindingGrid(
        "a stale request reaching the maintainer after the restart: repeated or queued requests, moves, "
        "more failures and restarts, more dispatchers",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES, BUDGET, SLOW_TICKS, CAPACITY,
                  channels("duplicating", "requests", "to_maintainer"), channels("lossy", "responses")),
        quick=quick(channels("lossy", "heartbeat"))),
    "N5": FindingGrid(
        "a late failure of a closed instance: more failures and restarts, lost answers, other operators, a "
        "move, a second dispatcher",
        deep=deep(FAILURES, BUDGET, DISPATCHERS, MOVES, SLOW_TICKS, OPERATORS,
                  channels("lossy", "responses"), channels("duplicating", "responses")),
        quick=quick(CAPACITY)),
    "N6": FindingGrid(
        "a response before its entry: answers queued, lost or repeated, more failures and restarts, moves, "
        "more dispatchers",
        deep=deep(FAILURES, BUDGET, DISPATCHERS_3, MOVES_2, SLOW_TICKS, CAPACITY,
                  channels("lossy", "responses"), channels("duplicating", "responses", "requests")),
        quick=quick(channels("lossy", "heartbeat"))),
    "N7": FindingGrid(
        "an entry added after a remove: every kind of operator beside the move, a third failure, a "
        "maintainer move, lost heartbeats, a second dispatcher",
        deep=deep(OPERATORS, FAILURES, DISPATCHERS, MOVES, SLOW_TICKS, channels("lossy", "heartbeat"),
                  apart=DISPATCHERS_AND_MOVES),
        quick=quick(CAPACITY)),
    "N8": FindingGrid(
        "a stopped maintainer's delayed message: moves, lost or repeated schedule requests and bootstraps, "
        "other operators, more failures and dispatchers",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS, OPERATORS,
                  channels("lossy", "schedule", "bootstrap"), channels("duplicating", "schedule", "bootstrap")),
        quick=quick(channels("lossy", "heartbeat"))),
    "N9": FindingGrid(
        "a dispatcher lost across a move: moves, lost heartbeats and bootstraps, other operators, more "
        "failures and dispatchers",
        deep=deep(MOVES_2, BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS, OPERATORS,
                  channels("lossy", "heartbeat", "bootstrap", "schedule"), channels("duplicating", "heartbeat")),
        quick=quick(channels("lossy", "heartbeat"))),
    "N10": FindingGrid(
        "a delayed bootstrap copy after a newer maintainer's: more copies in flight, lost or repeated "
        "bootstraps and heartbeats, more failures and dispatchers, Go's ticker",
        deep=deep(BOOTSTRAP_COPIES, DISPATCHERS_3, FAILURES_2, SLOW_TICKS,
                  channels("lossy", "bootstrap", "heartbeat", "requests"), channels("duplicating", "bootstrap")),
        quick=quick(channels("lossy", "heartbeat"))),
}
