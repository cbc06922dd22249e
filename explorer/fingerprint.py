"""Stable 64-bit fingerprints of states.

The visited set stores fingerprints, not states, so they must be equal for equal states and the
same in every process: Python's ``hash()`` of ``str``/``bytes`` changes with PYTHONHASHSEED and
``hash(None)`` is an address in CPython 3.11. ``hash()`` of a tuple whose leaves are ints is
stable (CPython's xxHash-style tuple hash over int hashes), so the default fingerprint maps a
state onto such a tuple and hashes that. Models that keep their state as int tuples can pass
``fingerprint=hash``-like functions of their own for speed.
"""

from __future__ import annotations

import enum
import hashlib
from functools import lru_cache

import attrs

# fingerprints are kept to 60 bits: a CPython int below 2**60 takes 32 bytes, one above 48
FP_BITS = 60
FP_MASK = (1 << FP_BITS) - 1
_NONE = 0x6E6F6E65  # distinct constants for the leaves hash() would not keep stable
_FLOAT = 0x666C6F61


@lru_cache(maxsize=1 << 16)
def _text_code(text: str | bytes) -> int:
    data = text.encode() if isinstance(text, str) else text
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def _canon(value):
    kind = type(value)
    if kind is int or kind is bool:
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
        return (_FLOAT, value.hex())
    if attrs.has(kind):
        return (4, _text_code(kind.__qualname__)) + tuple(
            _canon(getattr(value, a.name)) for a in attrs.fields(kind)
        )
    if isinstance(value, int):  # IntEnum and other int subclasses hash as their value
        return int(value)
    if isinstance(value, tuple):  # namedtuples
        return (5, _text_code(kind.__qualname__)) + tuple(map(_canon, value))
    raise TypeError(f"cannot fingerprint a {kind.__qualname__}: give the model a fingerprint()")


def stable_fingerprint(state) -> int:
    """A 64-bit fingerprint of ``state`` that is the same in every process."""
    return hash(_canon(state))
