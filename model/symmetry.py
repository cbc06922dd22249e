"""Dispatcher symmetry: renaming dispatcher indices, and the canonical member of a state's orbit.

Dispatchers ``d1..dn`` (indices ``0..n-1``) are interchangeable in the configuration: every
per-dispatcher knob and bound of :class:`model.config.Config` applies to all dispatchers alike
(``dispatchers`` is a count; ``failures`` is shared by all of them; ``messages_per_instance``,
``restart_budget``, ``initial_status``, ``other_operators``/``other_operator_limit`` name no
dispatcher; ``lossy``/``duplicating`` name channels, and no channel belongs to one dispatcher),
and :func:`model.state.initial_state` gives every dispatcher the same initial values. So a
permutation of dispatcher indices maps the initial state to itself.

:func:`permute` applies a permutation ``perm`` (``perm[old] = new``) to *every* place a
dispatcher index lives in a :class:`~model.state.State`:

* per-D tuples (the position is the dispatcher): ``reported``, ``producer``, ``instances``,
  ``epoch_base``, ``spans``, ``dm.pending``, each maintainer's ``operators``, ``attempts`` and
  ``restarted_de``, and the ghost tuples ``lifecycles``, ``restarts``, ``accepted`` and
  ``accepted_de``;
* every message record with a ``d`` field (the value is the dispatcher): ``Report`` in
  ``events``, ``Working`` in ``statuses``, ``Identity`` in ``dm.held``, in ``Request`` on
  ``requests``/``to_maintainer.*`` and inside ``Answer`` on ``responses.*``, ``Command`` on
  ``schedule.*`` and ``Beat`` on ``heartbeat``. ``Bootstrap`` names no dispatcher.

Inside a message only ``d`` is renamed: the order of the identities in a request or of the
answers in a response is kept, because the maintainer answers a request in order (a FAILED ends
the batch, and ACCEPTED ones queue their Remove(D) in that order).

Lifecycle numbers are per dispatcher (``Ghost.lifecycles[d]``) and move with it, so they need
no renumbering.

:func:`canonical` picks the orbit's representative: the dispatchers sorted by their per-D
data, ties broken by the smallest permuted state under tuple order. Every leaf is an int or a
bool and every node a tuple (a NamedTuple compares as a tuple; "absent" is ``()``, which
compares below any non-empty record), so ``<`` never raises and the choice does not depend on
``hash()`` or PYTHONHASHSEED.

:func:`orbit_key` is what the reduced search fingerprints: equal exactly within an orbit (up to
hash collisions), without building a state or trying permutations. Each dispatcher becomes a
pair, the hash of its per-D data and the hash of the places in the messages that name it, and
the pairs are sorted; the messages enter with every dispatcher erased. ``canonical`` builds a
permuted state (16 records, most messages) per candidate; the key looks up everything but the
channels, and the channels, in caches keyed by value (a search's states share few of either),
and sorts nothing when the dispatchers' per-D data differ: at 3 dispatchers it costs about 3x a
plain ``hash(state)`` rather than 20x.

Caveat, checked by ``tests/test_symmetry.py``: with ``resend_order=sorted`` (the default) the
model's ``dm_resend_tick`` builds its batch in ascending dispatcher order (the Go code iterates a
map), so a state holding a resent batch of two or more identities, or what a maintainer made
of it, has permuted images the model never builds. See ``docs/symmetry.md`` for what that means
for the reduction.
"""

from __future__ import annotations

from itertools import permutations as _permutations
from operator import eq, itemgetter

from .state import (
    BOOTSTRAP,
    CHANNEL_NAMES,
    EVENTS,
    HEARTBEAT,
    REQUESTS,
    RESP_A,
    RESP_B,
    SCHED_A,
    SCHED_B,
    STATUSES,
    TO_A,
    TO_B,
    Answer,
    Beat,
    Command,
    Dm,
    Ghost,
    Identity,
    Maintainer,
    Report,
    Request,
    Response,
    State,
    Working,
)

__all__ = ["permutations_of", "permute", "canonical", "canonical_by_brute_force", "orbit_key", "signatures", "sorting_permutations", "is_identity"]

# permute() builds these records positionally, per_d_tuples() lists the per-D fields and orbit_key()
# the others: a field
# added to any of them must be placed there (this fails at import time until it is)
assert State._fields == ("fallback", "reported", "producer", "instances", "epoch_base", "dm", "maintainers",
                         "spans", "channels", "budget", "ghost")
assert Dm._fields == ("maintainer", "epoch", "pending", "held", "incarnation", "term")
assert Maintainer._fields == ("status", "initialized", "epoch", "operators", "attempts", "restarted_de", "incarnation")
assert Ghost._fields == ("lifecycles", "restarts", "remote_restarts", "accepted", "accepted_de")
assert Command._fields == ("op", "d", "by_restart", "incarnation", "waits") and Response._fields == ("sender", "answers", "incarnation")


def permutations_of(n: int) -> tuple:
    """Every permutation of ``range(n)`` as a tuple ``perm`` with ``perm[old] = new``; the
    identity first."""
    return tuple(_permutations(range(n)))


def is_identity(perm: tuple) -> bool:
    return all(i == p for i, p in enumerate(perm))


# Records are built with ``tuple.__new__`` rather than their NamedTuple constructors: the same
# object, without the constructor's Python frame (permute builds ~16 a state)
_new = tuple.__new__
_PICKERS: dict[tuple, object] = {}  # inv -> itemgetter(*inv): a per-D tuple reordered in C


def _picker(inv: tuple):
    """``t -> tuple(t[old] for old in inv)`` (position new holds what position inv[new] held)."""
    pick = _PICKERS.get(inv)
    if pick is None:
        pick = _PICKERS[inv] = itemgetter(*inv) if len(inv) > 1 else (lambda items: (items[inv[0]],))
    return pick


def _identity(x: Identity, perm) -> Identity:
    return _new(Identity, (perm[x.d], x.de, x.me, x.lifecycle))


def _events(events: tuple, perm) -> tuple:
    return tuple([tuple([_new(Report, (perm[r.d], r.de, r.lifecycle)) for r in event]) for event in events])


def _statuses(statuses: tuple, perm) -> tuple:
    return tuple([_new(Working, (perm[w.d], w.de, w.lifecycle)) for w in statuses])


def _requests(requests: tuple, perm) -> tuple:
    return tuple([_new(Request, (q.target, tuple([_identity(x, perm) for x in q.identities]))) for q in requests])


def _responses(responses: tuple, perm) -> tuple:
    return tuple([_new(Response, (r.sender, tuple([_new(Answer, (_identity(a.identity, perm), a.state))
                                                   for a in r.answers]), r.incarnation))
                  for r in responses])


def _schedule(commands: tuple, perm) -> tuple:
    return tuple([_new(Command, (k.op, perm[k.d], k.by_restart, k.incarnation, k.waits)) for k in commands])


def _heartbeat(beats: tuple, perm) -> tuple:
    return tuple([_new(Beat, (b.target, b.working, perm[b.d], b.de, b.incarnation)) for b in beats])


# per channel, the function that renames ``d`` in its messages (message order is kept); every
# channel but bootstrap, whose messages name no dispatcher
_RENAMERS = {EVENTS: _events, STATUSES: _statuses, REQUESTS: _requests, TO_A: _requests, TO_B: _requests,
             RESP_A: _responses, RESP_B: _responses, SCHED_A: _schedule, SCHED_B: _schedule, HEARTBEAT: _heartbeat}


# a new channel must be placed in _RENAMERS (this fails at import time until it is)
assert sorted((*_RENAMERS, BOOTSTRAP)) == list(range(len(CHANNEL_NAMES)))


def _channels(channels: tuple, perm) -> tuple:
    """Every channel with ``d`` renamed in each message; message order is kept."""
    return tuple([_RENAMERS[c](messages, perm) if messages and c in _RENAMERS else messages
                  for c, messages in enumerate(channels)])


def inverse(perm) -> tuple:
    """The permutation that undoes ``perm`` (``inverse(perm)[perm[d]] == d``)."""
    inv = [0] * len(perm)
    for old, new in enumerate(perm):
        inv[new] = old
    return tuple(inv)


def permute(state, perm: tuple):
    """``state`` with dispatcher ``d`` renamed ``perm[d]`` everywhere (see the module doc)."""
    return _permuted(state, perm, inverse(perm))


def _permuted(state, perm: tuple, inv: tuple):
    """:func:`permute`, given the inverse too (``canonical`` has it already)."""
    dm, ghost = state.dm, state.ghost
    per_d = _picker(inv)
    return _new(State, (
        state.fallback,
        per_d(state.reported),
        per_d(state.producer),
        per_d(state.instances),
        per_d(state.epoch_base),
        _new(Dm, (dm.maintainer, dm.epoch, per_d(dm.pending), tuple([_identity(x, perm) for x in dm.held]),
                  dm.incarnation, dm.term)),
        tuple([_new(Maintainer, (m.status, m.initialized, m.epoch, per_d(m.operators), per_d(m.attempts),
                                 per_d(m.restarted_de), m.incarnation))
               for m in state.maintainers]),
        per_d(state.spans),
        _channels(state.channels, perm),
        state.budget,
        _new(Ghost, (per_d(ghost.lifecycles), per_d(ghost.restarts), ghost.remote_restarts,
                     per_d(ghost.accepted), per_d(ghost.accepted_de))),
    ))


def per_d_tuples(state) -> tuple:
    """Every per-D tuple of ``state`` (position ``d`` is dispatcher ``d``'s), each maintainer's
    (``A`` then ``B``) three in a row."""
    dm, ghost, (a, b) = state.dm, state.ghost, state.maintainers
    return (state.reported, state.producer, state.instances, state.epoch_base, dm.pending,
            a.operators, a.attempts, a.restarted_de, b.operators, b.attempts, b.restarted_de,
            state.spans, ghost.lifecycles, ghost.restarts, ghost.accepted, ghost.accepted_de)


def signatures(state):
    """Per dispatcher (an iterator, in index order), everything the per-D tuples hold for it:
    renaming moves it with ``d``."""
    return zip(*per_d_tuples(state))


_PERMUTATIONS: dict[int, tuple] = {}  # n -> permutations_of(n)


def sorting_permutations(sigs: list) -> tuple:
    """``(ordered, perms)``: ``sigs`` in ascending order, and every ``perm`` (perm[old] = new)
    that moves them there: one unless signatures tie. The same, up to the renaming, for every
    member of an orbit (signatures move with their dispatcher)."""
    ordered = sorted(sigs)
    if not any(map(eq, ordered, ordered[1:])):  # no ties: one candidate
        return ordered, (tuple(map(ordered.index, sigs)),)
    n = len(sigs)
    perms = _PERMUTATIONS.get(n)
    if perms is None:
        perms = _PERMUTATIONS[n] = permutations_of(n)
    return ordered, tuple(perm for perm in perms if all(map(eq, map(ordered.__getitem__, perm), sigs)))


def canonical(state):
    """The representative of ``state``'s orbit under every permutation of dispatcher indices.

    Among the permutations that list the dispatchers' :func:`signatures` in ascending order
    (one, unless signatures tie), the one giving the smallest state in tuple order: the same
    candidates for every member of the orbit, so the same result; deterministic, and
    independent of ``hash()``. Sorting first means that usually one permuted state is built
    instead of ``n!``. (The search fingerprints :func:`orbit_key` instead, which builds no state.)"""
    if len(state.instances) == 1:
        return state
    _, perms = sorting_permutations(list(signatures(state)))
    return min(state if is_identity(perm) else permute(state, perm) for perm in perms)


class _Places:
    """A stand-in for ``perm`` in :func:`_channels` and :func:`_identity`: it renames every
    dispatcher 0 and notes, in the order the walk meets them, which dispatcher each place held."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __getitem__(self, d: int) -> int:
        self.seen.append(d)
        return 0


def _erased(renamer, messages: tuple) -> tuple:
    """``(hash, names)``: the hash of ``messages`` renamed by ``renamer`` with every dispatcher
    named 0, and the dispatchers they named, in the order the renamer meets them."""
    places = _Places()
    return hash(renamer(messages, places)), tuple(places.seen)


def _held(held: tuple, perm) -> tuple:
    return tuple([_identity(x, perm) for x in held])


def _as_is(messages: tuple, perm) -> tuple:
    return messages  # bootstrap: its messages name no dispatcher


# orbit_key's caches, keyed by the values themselves (a lookup hashes the value, as the key needs
# anyway; a hit compares it with the stored one, mostly by identity since states share their
# parts): two different values never share an entry. Each is emptied when full.
_CACHE_LIMIT = 1 << 16
# everything but the channels -> _rest_of it: a search's states share few (806 values over
# 120,517 generated states at 3 dispatchers, 2 failures)
_RESTS: dict = {}
_CHANNELS: dict = {}  # (dispatcher count, channels) -> _channels_of them (10,016 values there)
_ERASED_CHANNELS = tuple({} for _ in CHANNEL_NAMES)  # per channel: its messages -> _erased them


def clear_caches() -> None:
    """Empty orbit_key's caches (they never change a key, only its cost)."""
    _RESTS.clear()
    _CHANNELS.clear()
    for cache in _ERASED_CHANNELS:
        cache.clear()


def _cached(cache: dict, key, compute, *args):
    """``cache[key]``, computed by ``compute(*args)`` the first time (the cache emptied when full)."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        value = cache[key] = compute(*args)
    return value


def _places(names, n: int) -> tuple:
    """Per dispatcher, the hash of the positions in ``names`` (a walk over messages) that name it."""
    places: tuple = tuple([] for _ in range(n))
    for k, d in enumerate(names):
        places[d].append(k)
    return tuple(map(hash, map(tuple, places)))


def _rest_of(state) -> tuple:
    """``(head, rows, order)`` of everything but the channels. Per dispatcher, its row: the
    hash of its :func:`signatures` row and of the places in ``dm.held`` that name it; a renaming
    moves each row with its dispatcher. ``head``: the hash of what no renaming touches
    (``dm.held`` with every dispatcher erased among them) and of the rows in ascending order.
    ``order``: a function listing a per-dispatcher tuple in the rows' ascending order, when no
    two rows are equal (else ``None``: the channels must break the tie)."""
    dm, (a, b) = state.dm, state.maintainers
    held_erased, held_names = _erased(_held, dm.held)
    rows = tuple(map(hash, zip(*per_d_tuples(state), _places(held_names, len(state.instances)))))
    ordered, perms = sorting_permutations(list(rows))
    # dm[:2] is (maintainer, epoch), m[:3] (status, initialized, epoch): the fields asserted above
    head = hash((state.fallback, state.budget, state.ghost.remote_restarts, dm[:2], dm.incarnation, dm.term,
                 a[:3], a.incarnation, b[:3], b.incarnation, held_erased, tuple(ordered)))
    return head, rows, _picker(inverse(perms[0])) if len(perms) == 1 else None


def _channels_of(channels: tuple, n: int) -> tuple:
    """``(erased, places)`` of the channels: the hash of their messages with every dispatcher
    named 0, and per dispatcher the hash of the places (in a fixed walk order) that name it. A
    renaming leaves ``erased`` alone and moves each dispatcher's places with it; the messages
    can be read back from the two. One channel's contents recur far more often than all
    channels' together: each is looked up alone (most are empty)."""
    erased, names = [], []
    for c, messages in enumerate(channels):
        if not messages:
            erased.append(_NOTHING)
            continue
        piece = _ERASED_CHANNELS[c].get(messages)
        if piece is None:
            piece = _cached(_ERASED_CHANNELS[c], messages, _erased, _RENAMERS.get(c, _as_is), messages)
        erased.append(piece[0])
        names += piece[1]
    return hash(tuple(erased)), _places(names, n)


_NOTHING = hash(())  # what an empty channel erases to (_erased gives this for every renamer)


_second = itemgetter(1)


def orbit_key(state) -> tuple:
    """``(head, erased, places)`` (two ints and a tuple of ints), equal for two states in one
    orbit and, but for a chance collision of 64-bit hashes, different for states in different
    orbits: what the reduced search fingerprints, at a fraction of :func:`canonical`'s cost (it
    builds no state and tries no permutation).

    Per dispatcher, a pair: its row (the hash of its per-D data and of where ``dm.held`` names
    it, see :func:`_rest_of`) and the hash of the places in the channels that name it
    (:func:`_channels_of`). A renaming moves each pair with its dispatcher. The key holds the
    hash of what no renaming touches and of the rows in ascending order; the channels'
    messages with every dispatcher erased; and the places listed in the order of the pairs,
    sorted. So every member of an orbit has the same key; and the member whose dispatchers come
    in the sorted pairs' order can be read back from the key, up to the hashes (two dispatchers
    with equal pairs hold equal data and are named nowhere, so either order gives the same
    state). When no two rows are equal, the rows alone give that order (computed once per
    value of everything but the channels). Every value hashed is ints and tuples, so it does not
    depend on PYTHONHASHSEED. Both parts come from caches keyed by value (see above)."""
    # the lookups are _cached's, written out: this runs once a generated state
    rest = state[:8] + state[9:]  # every field but channels (asserted above)
    part = _RESTS.get(rest)
    if part is None:
        part = _cached(_RESTS, rest, _rest_of, state)
    head, rows, order = part
    channels = state.channels
    n = len(rows)
    part = _CHANNELS.get((n, channels))
    if part is None:
        part = _cached(_CHANNELS, (n, channels), _channels_of, channels, n)
    erased, places = part
    if order is None:  # rows tie: the places break the tie
        return head, erased, tuple(map(_second, sorted(zip(rows, places))))
    return head, erased, order(places)


def canonical_by_brute_force(state):
    """The smallest of all ``n!`` renamings in tuple order: a slower reference for the tests
    (it picks another representative than :func:`canonical` in general, but one per orbit)."""
    return min(permute(state, perm) for perm in permutations_of(len(state.instances)))
