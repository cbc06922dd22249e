"""How a random walk picks its next step: the scheduler ideas that ``simulate`` and the Hypothesis
machine share.

A uniformly random walk meets a *suppressor* (Groce et al., "Help, help, I'm being
suppressed!", ISSRE 2013): an action whose presence stops other behaviour from happening. The
typical one is an absorbing action, a timeout fuse that is enabled as soon as anything is
pending and ends the behaviour: a walk that takes each enabled action with equal chance takes
it within a few steps, and never sees what a long behaviour does. The techniques here
(``Strategy``, any combination):

* ``swarm`` (Groce, Zhang, Eide, Chen, Regehr, ISSTA 2012): each walk switches off a random
  subset of the action names, each one with probability 1/2, absorbing actions included. Half
  the walks never take the fuse while anything else can happen; others leave out the actions
  that would undo what a bug needs to build up.
* ``focus`` (the same idea over a model's replicas): a model whose actions act on
  interchangeable replicas (its dispatchers, say) names the label argument that says which
  (``replica_args()``, e.g. ``{"d": ("d1", "d2", "d3")}``). Each walk keeps one random replica
  of each such argument in focus and each other one with probability 1/2; an action on a
  replica out of focus is taken only as a last resort. Swarm cannot do this: every replica's
  failure has the same action name. With a bound shared by the replicas (the behaviour's DML
  failures), the unfocused walk spends it on a second replica while the first one's restart
  is still under way; a walk with one replica in focus lets that replica restart and fail
  again, which most findings need.
* ``hold``: absorbing actions (those the model names in ``absorbing_actions()``, and with
  ``learn`` those the walks have seen end a path) are held back until a point of the walk drawn
  per walk, uniformly over its depth (like the change points of PCT, a priority-based scheduler
  of P and Coyote): late in some walks, early in others.
* ``learn``: the engine counts, per action name, how often a step of it ended the walk's path
  (the next state has nothing left to do); a name that did so at least half of the time, over
  at least ``LEARN_AFTER`` steps, is treated as absorbing from the next walk on.
* ``restart``: a path that ends before the walk's step budget is spent (at an absorbing state,
  a deadlock, a state with only self-loops, or the depth bound) backs up to a random state of
  itself and goes on from there, so the budget is spent instead of wasted.
* ``corpus`` (the seed corpus of a greybox fuzzer such as AFL): a path that reached a state no
  walk had visited before is kept, up to its last new state (the latest ``CORPUS_MAX``
  paths); a walk starts with chance ``CORPUS_SHARE`` at the end of a random kept path
  instead of an initial state. A behaviour that needs a long, unlikely prefix (a restart
  finished, a dispatcher recreated, and then a second failure) is then built in steps, each
  walk going on from where an earlier one got. A trace is still a real path from an initial
  state: the prefix is one.

A switched-off, unfocused or held-back action still fires when nothing else can (``choose``: a
switched-off one first, then one on a replica out of focus, then a held-back one): a
configuration never ends a walk, and no behaviour becomes unreachable: the fuse fires at a
state where nothing else is enabled, and at any point of a walk whose hold point is that early.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Callable, Iterable, Sequence

import attrs

from .levels import add_counts
from .trace import action_args

SWARM, FOCUS, HOLD, LEARN, RESTART, CORPUS = TECHNIQUES = ("swarm", "focus", "hold", "learn", "restart", "corpus")
UNIFORM_NAME = "uniform"
LEARN_AFTER = 5  # steps of an action name seen before the engine judges whether it absorbs
CORPUS_MAX = 1024  # paths kept: the latest, so that the corpus follows the walks' frontier
CORPUS_SHARE = 0.5  # the chance a walk starts from the corpus: half still start afresh


@attrs.frozen
class Strategy:
    """Which of ``TECHNIQUES`` the walks use; none is the plain uniform random walk."""

    techniques: frozenset = attrs.field(converter=frozenset, factory=frozenset)

    def __attrs_post_init__(self) -> None:
        unknown = sorted(self.techniques - set(TECHNIQUES))
        if unknown:
            raise ValueError(f"unknown technique {unknown[0]!r} (known: {', '.join(TECHNIQUES)}, "
                             f"or {UNIFORM_NAME} for none)")
        if LEARN in self.techniques and HOLD not in self.techniques:
            raise ValueError("'learn' needs 'hold': learned absorbing actions are held back")

    def __contains__(self, technique: str) -> bool:
        return technique in self.techniques

    def __str__(self) -> str:
        return ",".join(t for t in TECHNIQUES if t in self.techniques) or UNIFORM_NAME


def parse_strategy(text: str) -> Strategy:
    """``"uniform"`` or a comma-separated list of techniques, e.g. ``"swarm,hold,restart"``."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == [UNIFORM_NAME]:
        return UNIFORM
    return Strategy(frozenset(names))


UNIFORM = Strategy()
DEFAULT_STRATEGY = Strategy(frozenset(TECHNIQUES))


@attrs.frozen
class WalkConfig:
    """One walk's draw: the action names switched off, the absorbing names held back and the
    number of states the walk's path must have before they are preferred again, and the
    replicas out of focus, as ``(argument, value)`` pairs."""

    off: frozenset = frozenset()
    held: frozenset = frozenset()
    hold_until: int = 0
    unfocused: frozenset = frozenset()

    def holds(self, name: str, path_length: int) -> bool:
        return path_length < self.hold_until and name in self.held

    def prefers(self, name: str, path_length: int) -> bool:
        return name not in self.off and not self.holds(name, path_length)

    def focuses(self, replicas: frozenset) -> bool:
        """Whether an action on ``replicas`` (its label's replica ``(argument, value)`` pairs)
        is on replicas in focus only."""
        return not (replicas and replicas & self.unfocused)

    def describe(self, relevant: Iterable[str] | None = None) -> str:
        """One line; ``relevant`` (if given) limits the names shown, e.g. to actions ever taken."""
        keep = (lambda names: sorted(names)) if relevant is None else (lambda names: sorted(set(names) & set(relevant)))
        parts = []
        if keep(self.off):
            parts.append("off: " + " ".join(keep(self.off)))
        if self.unfocused:
            parts.append("out of focus: " + " ".join(f"{arg}={value}" for arg, value in sorted(self.unfocused)))
        if self.held and self.hold_until > 1:
            parts.append(f"{' '.join(sorted(self.held))} held until state {self.hold_until}")
        return "; ".join(parts) or "every action on"

    def to_json(self) -> dict:
        return {"off": sorted(self.off), "held": sorted(self.held), "hold_until": self.hold_until,
                "unfocused": [list(pair) for pair in sorted(self.unfocused)]}


PLAIN = WalkConfig()


def draw_config(strategy: Strategy, rng: random.Random, names: Sequence[str],
                absorbing: frozenset, depth: int, replicas: Sequence[tuple] = ()) -> WalkConfig:
    """A walk's configuration: each of ``names`` off with probability 1/2 (swarm), the
    replicas out of focus (focus: :func:`draw_unfocused`), and the ``absorbing`` names held
    back until a state drawn uniformly in ``1..depth`` (hold)."""
    off = frozenset(n for n in names if rng.random() < 0.5) if SWARM in strategy else frozenset()
    unfocused = (draw_unfocused(replicas, rng.randrange, lambda: rng.random() < 0.5) if FOCUS in strategy
                 else frozenset())
    if HOLD in strategy and absorbing:
        return WalkConfig(off, absorbing, rng.randint(1, depth), unfocused)
    return WalkConfig(off, unfocused=unfocused)


def draw_unfocused(replicas: Sequence[tuple], index: Callable[[int], int], flip: Callable[[], bool]) -> frozenset:
    """For each ``(argument, values)`` of ``replicas``: one value, ``values[index(n)]``, stays
    in focus (so a walk never leaves a whole kind of replica idle, and a one-replica model is
    walked as without focus), and each other one is out of focus where ``flip()`` says so."""
    unfocused = set()
    for arg, values in replicas:
        if len(values) < 2:  # nothing to draw: not even a trivial draw, which moves a seed's walks
            continue
        kept = index(len(values))
        unfocused.update((arg, v) for k, v in enumerate(values) if k != kept and flip())
    return frozenset(unfocused)


def split_stutters(succs, state) -> tuple[list, list]:
    """``(moves, stutters)``: the successors that change the state, which a walk may take, and
    the self-loops, which a walk checks in place (a stutter step does not move it)."""
    moves, stutters = [], []
    for action, nxt in succs:
        (stutters if nxt == state else moves).append((action, nxt))
    return moves, stutters


def choose(moves: Sequence, config: WalkConfig, path_length: int, name_of: Callable,
           pick: Callable[[list], tuple], replicas_of: Callable = lambda action: frozenset()):
    """``(move, last_resort)``: ``pick(pool)`` takes one of the ``moves`` (``(action,
    next_state)`` pairs, none a self-loop) the configuration prefers; when it prefers none
    (``last_resort``: a configuration never stops a walk), one it does not hold back on
    replicas in focus (``replicas_of(action)``: the label's replica pairs), else one it does
    not hold back, else any. Without that order a walk whose swarm draw left little on would
    take the fuse early in most of its last resorts, and spend a bound the replicas share on
    one out of focus."""
    focused = (lambda m: config.focuses(replicas_of(m[0]))) if config.unfocused else (lambda m: True)
    preferred = [m for m in moves if config.prefers(name_of(m[0]), path_length) and focused(m)]
    if preferred:
        return pick(preferred), False
    unheld = [m for m in moves if not config.holds(name_of(m[0]), path_length)]
    return pick([m for m in unheld if focused(m)] or unheld or list(moves)), True


@attrs.define
class Learner:
    """Per action name, steps taken and steps after which the path ended (nothing left to do)."""

    taken: dict = attrs.Factory(dict)
    ended: dict = attrs.Factory(dict)

    def record(self, taken: dict, ended: dict) -> None:
        add_counts(self.taken, taken, taken.values())
        add_counts(self.ended, ended, ended.values())

    def absorbing(self) -> frozenset:
        return frozenset(name for name, n in self.taken.items()
                         if n >= LEARN_AFTER and 2 * self.ended.get(name, 0) >= n)


@attrs.define
class Corpus:
    """Paths of earlier walks that reached new states, each up to its last new state."""

    paths: deque = attrs.Factory(lambda: deque(maxlen=CORPUS_MAX))

    def add(self, paths: Iterable[tuple]) -> None:
        self.paths.extend(paths)

    def start(self, rng: random.Random) -> tuple | None:
        """A random kept path, to go on from its last new state, or None (start afresh)."""
        if not self.paths or rng.random() >= CORPUS_SHARE:
            return None
        return self.paths[rng.randrange(len(self.paths))]


def declared_absorbing(model) -> frozenset:
    """The model's hint: ``absorbing_actions()`` if it has one (names of actions that lead to a
    terminal state), else none."""
    hint = getattr(model, "absorbing_actions", None)
    return frozenset(hint()) if hint is not None else frozenset()


def declared_replicas(model) -> tuple:
    """The model's hint: ``replica_args()`` if it has one (label argument -> the values that
    name its interchangeable replicas), as ``((argument, values), ...)`` in a fixed order;
    else none."""
    hint = getattr(model, "replica_args", None)
    return tuple((arg, tuple(values)) for arg, values in sorted(hint().items())) if hint is not None else ()


def replica_pairs(action, replicas: Sequence[tuple]) -> frozenset:
    """The ``(argument, value)`` pairs of ``action``'s label that name a replica."""
    args = action_args(action)
    return frozenset((arg, args[arg]) for arg, values in replicas if args.get(arg) in values)


def walk_rng(seed: int, walk: int) -> random.Random:
    """The random source of walk number ``walk``: a function of the seed and the walk's number
    only (a string seed is hashed with SHA-512, not ``hash()``), so a walk does the same
    whatever ran before it and whatever ``PYTHONHASHSEED`` is."""
    return random.Random(f"{seed}/{walk}")


def first_seen(names: Iterable[str], known: dict) -> None:
    """Add new ``names`` to ``known`` (a dict used as an ordered set) in the order met."""
    for name in names:
        known.setdefault(name, None)
