"""Fingerprints of states: the visited set stores them, not states.

A fingerprint must be equal for equal states and, but for a chance collision, different for
different ones. A model may give its own ``fingerprint(state)``; otherwise the search uses one
of two:

* **The built-in** ``hash`` (the default, in-process). It costs what a plain ``set`` of states
  costs, but it is faithful only for some kinds of state: ``str`` and ``bytes`` hash by their
  content under a per-process key (PYTHONHASHSEED), ints modulo 2**61 - 1 with
  ``hash(-1) == hash(-2)``, floats like the int or fraction they equal, objects without a value
  hash by their address (which a freed object hands on), enum members by their name. So a
  :class:`HashGuard` looks at every new state (only at what is new in it, where it can): while
  every state is made of ``str``, ``bool``, ``None``, ints in ``(-2**61 + 1, 2**61 - 1)`` other
  than -1 and -2, tuples (named or not) and frozensets of these, ``hash`` is faithful; at the first
  state that is not, the search is run again with the stable fingerprint (see
  :mod:`explorer.checker`). Fingerprints under the per-process key are never compared across
  processes except forked ones (which share the key): counts, verdicts and traces do not depend
  on PYTHONHASHSEED, only the fingerprint values do.
* **The stable fingerprint** (:func:`stable_fingerprint`): the same in every process, for
  fingerprints that leave the process (a spawned worker, a file). It maps a state onto a tuple
  of ints that ``hash`` keeps faithful and stable (strings by a BLAKE2 code, -1 and ints
  hashed modulo 2**61 - 1 by a code of their own, enums, floats, attrs classes and named tuples
  tagged) and hashes that; several times slower, since it rebuilds the state.
"""

from __future__ import annotations

import enum
import hashlib
from functools import lru_cache
from itertools import filterfalse

import attrs

# fingerprints are kept to 60 bits: a CPython int below 2**60 takes 32 bytes, one above 48
FP_BITS = 60
FP_MASK = (1 << FP_BITS) - 1
_HASH_MODULUS = (1 << 61) - 1  # CPython hashes an int modulo this prime
_NONE = 0x6E6F6E65  # distinct constants for the leaves hash() would not keep stable
_FLOAT = 0x666C6F61
_TAGGED_INT = 6


@lru_cache(maxsize=1 << 16)
def _text_code(text: str | bytes) -> int:
    data = text.encode() if isinstance(text, str) else text
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def _canon_int(value: int):
    """An int as ``hash`` keeps it apart from every other int: itself, unless ``hash`` would
    merge it with another (-1 with -2; beyond the modulus, with its remainder)."""
    if value != -1 and -_HASH_MODULUS < value < _HASH_MODULUS:
        return value
    return (_TAGGED_INT, _text_code(str(value)))


def _canon(value):
    kind = type(value)
    if kind is int:
        return _canon_int(value)
    if kind is bool:
        return value
    if kind is str or kind is bytes:
        return (1, _text_code(value))
    if kind is tuple:
        return tuple(map(_canon, value))
    if value is None:
        return _NONE
    if isinstance(value, enum.Enum):
        return (2, _text_code(type(value).__qualname__), _text_code(value.name))
    if isinstance(value, (frozenset, set)):
        # members in the order of their (stable) hashes: mixed kinds need not be comparable
        return (3, tuple(sorted(map(_canon, value), key=hash)))
    if kind is float:
        return (_FLOAT, _text_code(value.hex()))
    if attrs.has(kind):
        return (4, _text_code(kind.__qualname__)) + tuple(
            _canon(getattr(value, a.name)) for a in attrs.fields(kind)
        )
    if isinstance(value, int):  # IntEnum and other int subclasses hash as their value
        return _canon_int(int(value))
    if isinstance(value, tuple):  # namedtuples
        return (5, _text_code(kind.__qualname__)) + tuple(map(_canon, value))
    raise TypeError(f"cannot fingerprint a {kind.__qualname__}: give the model a fingerprint()")


def stable_fingerprint(state) -> int:
    """A 64-bit fingerprint of ``state`` that is the same in every process."""
    return hash(_canon(state))


class UnfaithfulHash(Exception):
    """A state that ``hash`` cannot fingerprint faithfully; the message says what it holds."""


_LEAVES = frozenset({str, bool, type(None)})  # hashed by value (str under the process's key)


class HashGuard:
    """Checks that ``hash`` fingerprints each new state faithfully (see the module docstring).

    It remembers, by value, the parts of states found faithful, down to the leaves: a member
    equal to a known one is as faithful as it, since ``hash`` agrees with ``==``. So most states
    cost a set look-up per member, in C: a tuple member by its own members (a state's tuples are
    often new, their members seldom), any other member by itself. At most ``VERIFIED_MAX``
    values are kept; then they are forgotten, all at once."""

    VERIFIED_MAX = 1 << 16

    def __init__(self) -> None:
        self.verified: set = set()

    def check(self, state) -> None:
        """Raise :class:`UnfaithfulHash` unless ``hash`` fingerprints ``state`` faithfully."""
        verified = self.verified
        kind = type(state)
        if kind is frozenset and verified.issuperset(state):
            return
        if kind is tuple or kind is frozenset or _container(kind):
            for member in state:
                if type(member) is tuple:
                    if verified.issuperset(member):
                        continue
                elif member in verified:
                    continue
                if not self._faithful(member):
                    break
            else:
                return
        elif self._faithful(state):
            return
        raise UnfaithfulHash(f"a state holds {', '.join(sorted(_unfaithful_parts(state)))}")

    def _faithful(self, value) -> bool:
        """Whether ``hash`` is faithful on ``value`` (not known yet); remembered if it is."""
        kind = type(value)
        if kind in _LEAVES:
            faithful = True
        elif kind is int:
            faithful = -_HASH_MODULUS < value < _HASH_MODULUS and value != -1 and value != -2
        elif _container(kind):
            verified = self.verified
            faithful = verified.issuperset(value) or all(map(self._faithful, filterfalse(verified.__contains__, value)))
        else:
            faithful = False
        if faithful:
            if len(self.verified) >= self.VERIFIED_MAX:
                self.verified.clear()
            self.verified.add(value)
        return faithful


_CONTAINERS: dict[type, bool] = {tuple: True, frozenset: True}


def _container(kind) -> bool:
    """A frozenset, a tuple or a named tuple (hashed and compared as a tuple)."""
    known = _CONTAINERS.get(kind)
    if known is None:
        known = _CONTAINERS[kind] = (issubclass(kind, tuple) and kind.__hash__ is tuple.__hash__
                                     and kind.__eq__ is tuple.__eq__)
    return known


def _unfaithful_parts(value) -> set[str]:
    """What in ``value`` makes ``hash`` unfaithful, in a few words each."""
    kind = type(value)
    if kind in _LEAVES:
        return set()
    if kind is int:
        if value in (-1, -2):
            return {f"{value} (CPython's hash(-1) == hash(-2))"}
        if not -_HASH_MODULUS < value < _HASH_MODULUS:
            return {"an int beyond 2**61 - 1 (hash() takes it modulo 2**61 - 1)"}
        return set()
    if _container(kind):
        return set().union(*map(_unfaithful_parts, value))
    return {f"a {kind.__qualname__}"}


def fingerprint_of(model) -> tuple:
    """``(fingerprint, guard)`` for a search of ``model``: its own ``fingerprint`` and no guard,
    or ``hash`` and a fresh :class:`HashGuard` (see the module docstring)."""
    own = getattr(model, "fingerprint", None)
    return (own, None) if own is not None else (hash, HashGuard())
