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

Caveat, checked by ``tests/test_symmetry.py``: with ``resend_order=sorted`` (the default) the
model's ``dm_resend_tick`` builds its batch in ascending dispatcher order (the Go code iterates a
map), so a state holding a resent batch of two or more identities, or what a maintainer made
of it, has permuted images the model never builds. See ``docs/symmetry.md`` for what that means
for the reduction.
"""

from __future__ import annotations

from itertools import permutations as _permutations

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

__all__ = ["permutations_of", "permute", "canonical", "canonical_by_brute_force", "signature", "is_identity"]

# every channel is renamed below except bootstrap, whose messages name no dispatcher; a new
# channel must be added there (this fails at import time until it is)
_RENAMED = (EVENTS, STATUSES, REQUESTS, TO_A, TO_B, RESP_A, RESP_B, SCHED_A, SCHED_B, HEARTBEAT)
assert sorted(_RENAMED + (BOOTSTRAP,)) == list(range(len(CHANNEL_NAMES)))
# permute() builds these records positionally and signature() lists the per-D fields: a field
# added to any of them must be placed there (this fails at import time until it is)
assert State._fields == ("fallback", "reported", "producer", "instances", "epoch_base", "dm", "maintainers",
                         "spans", "channels", "budget", "ghost")
assert Dm._fields == ("maintainer", "epoch", "pending", "held", "incarnation")
assert Maintainer._fields == ("status", "initialized", "epoch", "operators", "attempts", "restarted_de", "incarnation")
assert Ghost._fields == ("lifecycles", "restarts", "remote_restarts", "accepted", "accepted_de")
assert Command._fields == ("op", "d", "by_restart", "incarnation") and Response._fields == ("sender", "answers", "incarnation")


def permutations_of(n: int) -> tuple:
    """Every permutation of ``range(n)`` as a tuple ``perm`` with ``perm[old] = new``; the
    identity first."""
    return tuple(_permutations(range(n)))


def is_identity(perm: tuple) -> bool:
    return all(i == p for i, p in enumerate(perm))


def _per_d(items: tuple, inv: tuple) -> tuple:
    # position new holds what position inv[new] held
    return tuple([items[old] for old in inv])


def _identity(x: Identity, perm) -> Identity:
    return Identity(perm[x.d], x.de, x.me, x.lifecycle)


def _channels(channels: tuple, perm) -> tuple:
    """Every channel with ``d`` renamed in each message; message order is kept."""
    out = list(channels)
    if channels[EVENTS]:
        out[EVENTS] = tuple([tuple([Report(perm[r.d], r.de, r.lifecycle) for r in event])
                             for event in channels[EVENTS]])
    if channels[STATUSES]:
        out[STATUSES] = tuple([Working(perm[w.d], w.de, w.lifecycle) for w in channels[STATUSES]])
    for c in (REQUESTS, TO_A, TO_B):
        if channels[c]:
            out[c] = tuple([Request(q.target, tuple([_identity(x, perm) for x in q.identities]))
                            for q in channels[c]])
    for c in (RESP_A, RESP_B):
        if channels[c]:
            out[c] = tuple([Response(r.sender, tuple([Answer(_identity(a.identity, perm), a.state)
                                                      for a in r.answers]), r.incarnation)
                            for r in channels[c]])
    for c in (SCHED_A, SCHED_B):
        if channels[c]:
            out[c] = tuple([Command(k.op, perm[k.d], k.by_restart, k.incarnation) for k in channels[c]])
    if channels[HEARTBEAT]:
        out[HEARTBEAT] = tuple([Beat(b.target, b.working, perm[b.d], b.de, b.incarnation) for b in channels[HEARTBEAT]])
    return tuple(out)


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
    # positional constructors rather than _replace: this runs on every generated state
    return State(
        state.fallback,
        _per_d(state.reported, inv),
        _per_d(state.producer, inv),
        _per_d(state.instances, inv),
        _per_d(state.epoch_base, inv),
        Dm(dm.maintainer, dm.epoch, _per_d(dm.pending, inv), tuple([_identity(x, perm) for x in dm.held]),
           dm.incarnation),
        tuple([Maintainer(m.status, m.initialized, m.epoch, _per_d(m.operators, inv), _per_d(m.attempts, inv),
                          _per_d(m.restarted_de, inv), m.incarnation)
               for m in state.maintainers]),
        _per_d(state.spans, inv),
        _channels(state.channels, perm),
        state.budget,
        Ghost(_per_d(ghost.lifecycles, inv), _per_d(ghost.restarts, inv), ghost.remote_restarts,
              _per_d(ghost.accepted, inv), _per_d(ghost.accepted_de, inv)),
    )


def signature(state, d: int) -> tuple:
    """Everything the per-D tuples hold for dispatcher ``d``: renaming moves it with ``d``."""
    dm, ghost = state.dm, state.ghost
    return (state.reported[d], state.producer[d], state.instances[d], state.epoch_base[d], dm.pending[d],
            tuple([(m.operators[d], m.attempts[d], m.restarted_de[d]) for m in state.maintainers]),
            state.spans[d], ghost.lifecycles[d], ghost.restarts[d], ghost.accepted[d], ghost.accepted_de[d])


_INVERSES: dict[int, tuple] = {}  # n -> every ``inv`` (inv[new] = old), the identity first


def canonical(state):
    """The representative of ``state``'s orbit under every permutation of dispatcher indices.

    Among the permutations that list the dispatchers' :func:`signature` in ascending order (one,
    unless signatures tie), the one giving the smallest state in tuple order. That candidate
    set is the same for every member of the orbit (signatures move with their dispatcher), so
    the result is too; it is deterministic and does not depend on ``hash()``. Sorting first
    means that usually one permuted state is built instead of ``n!``."""
    n = len(state.instances)
    if n == 1:
        return state
    inverses = _INVERSES.get(n)
    if inverses is None:
        inverses = _INVERSES[n] = permutations_of(n)  # a permutation's inverse is one too
    sigs = [signature(state, d) for d in range(n)]
    if all(sigs[d] < sigs[d + 1] for d in range(n - 1)):
        return state  # already sorted, no ties: the only candidate is the state itself
    ordered = sorted(sigs)
    if all(ordered[d] < ordered[d + 1] for d in range(n - 1)):  # no ties: one candidate
        inv = tuple(sorted(range(n), key=sigs.__getitem__))
        return _permuted(state, inverse(inv), inv)
    best = None
    for inv in inverses:
        if any(sigs[inv[new]] != ordered[new] for new in range(n)):
            continue
        candidate = state if is_identity(inv) else _permuted(state, inverse(inv), inv)
        if best is None or candidate < best:
            best = candidate
    return best


def canonical_by_brute_force(state):
    """The smallest of all ``n!`` renamings in tuple order: a slower reference for the tests
    (it picks another representative than :func:`canonical` in general, but one per orbit)."""
    return min(permute(state, perm) for perm in permutations_of(len(state.instances)))
