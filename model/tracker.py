"""The recover tracker (``downstreamadapter/dispatchermanager/recover_tracker.go``) as pure
functions on ``dm.pending`` (per dispatcher: a :class:`~model.state.Pending` or ``()``).

``firstSeen`` is not kept: time is abstracted away (the timeout may fire whenever an entry is
pending), see ``model.abstractions``.
"""

from __future__ import annotations

from .state import Identity, Pending, build, put, with_handled, with_me_handled, with_removed


def same_identity(entry: Pending, identity: Identity) -> bool:
    """``recoverDispatcherIdentity.equal`` (the D is the index already compared)."""
    return entry.de == identity.de and entry.me == identity.me


def add(pending: tuple, identities: tuple) -> tuple:
    """``recoverTracker.add``: a new entry per identity whose D is not pending yet."""
    for identity in identities:
        if not pending[identity.d]:
            # Pending(de, me, removed, handled, lifecycle)
            entry = build(Pending, (identity.de, identity.me, False, False, identity.lifecycle))
            pending = put(pending, identity.d, entry)
    return pending


def mark_removed(pending: tuple, d: int) -> tuple:
    """``recoverTracker.markRemoved`` (caller checks the entry exists)."""
    return put(pending, d, with_removed(pending[d], True))


def remove(pending: tuple, d: int) -> tuple:
    """``recoverTracker.remove``."""
    return put(pending, d, ()) if pending[d] else pending


def mark_handled(pending: tuple, identity: Identity) -> tuple:
    """``recoverTracker.markResponseHandled``: only on a full identity match."""
    entry = pending[identity.d]
    if entry and same_identity(entry, identity) and not entry.handled:
        return put(pending, identity.d, with_handled(entry, True))
    return pending


def removable_by(pending: tuple, identity: Identity) -> bool:
    """Whether ``recoverTracker.removeByIdentity(identity)`` would remove an entry."""
    entry = pending[identity.d]
    return bool(entry) and same_identity(entry, identity)


def rebind(pending: tuple, me: int) -> tuple:
    """The design's ``rebindMaintainerEpoch``: every entry takes ``me`` and may be resent."""
    return tuple([with_me_handled(entry, me, False) if entry else () for entry in pending])
