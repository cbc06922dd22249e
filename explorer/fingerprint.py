"""Fingerprints of states: the visited set stores them, not states.

A fingerprint must be equal for equal states and, but for a chance collision, different for
different ones. A model may give its own ``fingerprint(state)``; otherwise the search uses one
of two:

* **The built-in** ``hash`` (the default, in-process). It costs what a plain ``set`` of states
  costs, but it is faithful only for some kinds of state: ``str`` and ``bytes`` hash by their
  content under a per-process key (PYTHONHASHSEED), ints modulo 2**61 - 1 with
  ``hash(-1) == hash(-2)``, floats like the int or fraction they equal, objects without a value
  hash by their address (which a freed object hands on), enum members by their name; and equal
  values of different types hash alike (``1 == 1.0 == True``; a named tuple equals any tuple of
  the same fields), where the stable fingerprint keeps them apart. So a :class:`HashGuard` looks
  at every new state: while states are made of *plain* values (``str``, ``bool``, ``None``, ints
  in ``(-2**61 + 1, 2**61 - 1)`` other than -1 and -2, and tuples and frozensets of these, none
  of them a subclass) and no place holds a ``bool`` in one state and an int in another,
  ``hash`` is faithful; at the first state that is not, the search is run again with the stable
  fingerprint (see :mod:`explorer.checker`). What the guard cannot see: it checks types two
  levels down (a state's members and theirs) and trusts deeper values equal to ones it has seen,
  and it sees only the states ``hash`` calls new, so a state equal to a known one but of other
  types is merged before it could be seen. A value of other types that only ever appears there
  (every state holding it equals an earlier one but for its types) is still merged; hence a kind
  of value is refused at its first sight, not when two states clash (any named tuple sends the
  search to the stable fingerprint). Checking every generated state all the way down would cost
  about what the stable fingerprint does. The guard's per-state fast path (:func:`_step_passes`)
  runs in C (``explorer/_guard.c``, built by the install where a C compiler is found; 0.05-0.4
  us a new state against 1.2-1.6 in Python, ``benchmarks/generic_gap.py``) and in pure Python
  otherwise, with the same answers (tested). Fingerprints under the per-process key are never
  compared across processes except forked ones (which share the key): counts, verdicts and
  traces do not depend on PYTHONHASHSEED, only the fingerprint values do.
* **The stable fingerprint** (:func:`stable_fingerprint`): the same in every process, for
  fingerprints that leave the process (a spawned worker, a file). It maps a state onto a tuple
  of ints that ``hash`` keeps faithful and stable (strings and bytes by a BLAKE2 code, -1 and
  ints hashed modulo 2**61 - 1 by a code of their own; bools, None, enums, floats, attrs
  classes, named tuples and other subclasses tagged by a code of their kind) and hashes that;
  several times slower, since it rebuilds the state.
"""

from __future__ import annotations

import enum
import hashlib
from functools import lru_cache, partial
from itertools import chain, repeat

import attrs

# fingerprints are kept to 60 bits: a CPython int below 2**60 takes 32 bytes, one above 48
FP_BITS = 60
FP_MASK = (1 << FP_BITS) - 1
_HASH_MODULUS = (1 << 61) - 1  # CPython hashes an int modulo this prime


@lru_cache(maxsize=1 << 16)
def _text_code(text: str | bytes) -> int:
    data = text.encode() if isinstance(text, str) else text
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def _tag(name: str) -> int:
    """The code of a kind of value: as likely as a chance collision to equal an int a state holds
    (a small tag would not be: a tuple ``(3, ())`` would fingerprint as an empty frozenset)."""
    return _text_code("explorer.fingerprint." + name) % _HASH_MODULUS


_NONE, _TRUE, _FALSE = _tag("None"), _tag("True"), _tag("False")  # hash(True) == hash(1)
_STR, _BYTES, _ENUM, _SET, _FLOAT, _ATTRS, _BIG_INT, _SUBCLASS = map(
    _tag, ("str", "bytes", "enum", "frozenset", "float", "attrs", "big int", "subclass"))


_BASES = (int, str, bytes, float, frozenset, set)


def _kind_code(kind: type) -> int:
    return _text_code(f"{kind.__module__}.{kind.__qualname__}")


def _canon_int(value: int):
    """An int as ``hash`` keeps it apart from every other int: itself, unless ``hash`` would
    merge it with another (-1 with -2; beyond the modulus, with its remainder)."""
    if value != -1 and -_HASH_MODULUS < value < _HASH_MODULUS:
        return value
    return (_BIG_INT, _text_code(str(value)))


def _canon(value):
    kind = type(value)
    if kind is int:
        return _canon_int(value)
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is str:
        return (_STR, _text_code(value))
    if kind is tuple:
        return tuple(map(_canon, value))
    if value is None:
        return _NONE
    if kind is bytes:
        return (_BYTES, _text_code(value))
    if isinstance(value, enum.Enum):
        return (_ENUM, _kind_code(type(value)), _text_code(value.name))
    if kind is frozenset or kind is set:
        # members in the order of their (stable) hashes: mixed kinds need not be comparable
        return (_SET, tuple(sorted(map(_canon, value), key=hash)))
    if kind is float:
        return (_FLOAT, _text_code(value.hex()))
    if attrs.has(kind):
        return (_ATTRS, _kind_code(kind)) + tuple(_canon(getattr(value, a.name)) for a in attrs.fields(kind))
    if isinstance(value, tuple):  # named tuples
        return (_SUBCLASS, _kind_code(kind)) + tuple(map(_canon, value))
    for base in _BASES:  # other subclasses: tagged, as a value equal to its base's may act apart
        if isinstance(value, base):
            return (_SUBCLASS, _kind_code(kind), _canon(base(value)))
    raise TypeError(f"cannot fingerprint a {kind.__qualname__}: give the model a fingerprint()")


def stable_fingerprint(state) -> int:
    """A 64-bit fingerprint of ``state`` that is the same in every process."""
    return hash(_canon(state))


class UnfaithfulHash(Exception):
    """A state that ``hash`` cannot fingerprint faithfully; the message says what it holds."""


_LEAVES = frozenset({str, int, bool, type(None)})  # exactly these: an IntEnum or a str subclass is not
_CONTAINERS = frozenset({tuple, frozenset})
_PLAIN = _LEAVES | _CONTAINERS
_BOOL_AND_INT = "a bool where another holds an int (True == 1: hash() would merge them)"


class HashGuard:
    """Checks that ``hash`` fingerprints each new state faithfully (see the module docstring).

    Types before values: a value equal to one already verified may be of other types
    (``1.0 == 1``, ``Ack(1) == Nack(1)``). A tuple's member types are its *shape*, a place an
    index in a shape. A shape holding a type that is not plain is refused, and so are two shapes
    that differ only by a bool against an int at a place (frozenset members have no place: no
    frozenset may hold a bool while one holds an int). A state is checked by its shape (or its
    frozenset member types), then each member: a tuple passes if its shape is known and its
    members are verified (by value), a frozenset if it is verified and its member types are
    known, a leaf if it is verified; any other member is checked the same way in turn and
    verified. So types are checked two levels down, below that values. The search checks a new
    state by :meth:`check_step`, against the state it was found from (which passed): a member
    that is the parent's own object at its place passed with it, so only the others are checked,
    each against the parent's member there (the same checks, fewer of them; see
    :meth:`check_step`). A frozenset state whose members are all tuples or all frozensets is
    checked kind by kind, in C. Where a fast path does not pass a state, the full check decides.
    At most ``VERIFIED_MAX`` values are kept; then they are forgotten, all at once. ``drain()``
    hands over the shapes found since the last call, for a guard in another process to
    ``absorb``: a bool and an int may meet only there."""

    VERIFIED_MAX = 1 << 16

    def __init__(self, fast_path=None) -> None:
        """``fast_path``: :func:`_step_passes` or its C twin; by default :data:`step_passes`
        (the C one where the install built it)."""
        self.verified: set = set()
        self.shapes: set[tuple] = set()
        self.places: dict[tuple, tuple] = {}  # a shape with bools read as ints -> the shape
        self.set_members: set[type] = set()  # the member types of every frozenset
        self.fresh: list = []  # shapes (tuples) and frozenset member types (frozensets) not yet drained
        # check_step's fast path with this guard's sets bound (a C partial: no Python frame a
        # state); both sets change in place only, so the binding stays true
        self.passes_step = partial(fast_path or step_passes, self.verified, self.set_members)

    def check(self, state) -> None:
        """Raise :class:`UnfaithfulHash` unless ``hash`` fingerprints ``state`` faithfully."""
        kind = type(state)
        if kind is frozenset:
            if _set_passes(self, state):
                return
        elif kind is not tuple:  # a leaf as a tuple of one: its place is the state
            state = (state,)
        self._parts(state, remember=False)

    def check_step(self, state, parent) -> None:
        """:meth:`check` for a successor of ``parent``, a state this guard passed: a tuple
        state of the parent's length is checked only where it differs from the parent
        (:func:`step_passes`); what that does not pass goes to :meth:`check`."""
        if not self.passes_step(state, parent):
            self.check(state)

    def drain(self) -> list:
        fresh, self.fresh = self.fresh, []
        return fresh

    def absorb(self, fresh: list) -> None:
        """Take shapes another guard found (``drain``); raise :class:`UnfaithfulHash` at a clash."""
        for found in fresh:
            if type(found) is tuple:
                if found not in self.shapes:
                    self._new_shape(found)
            elif not found <= self.set_members:
                self._new_set_members(found)

    def _parts(self, value, remember: bool) -> None:
        """Check a tuple's or a frozenset's member types, then each member: a tuple whose member
        types are a known shape and whose members are verified passes, and so does a verified
        frozenset whose member types are known, and a verified leaf; any other is checked in
        turn and verified. ``remember``: verify the ones that pass too (a state's members are
        not: each state has new ones, seldom seen again)."""
        if type(value) is tuple:
            types = tuple(map(type, value))
            if types not in self.shapes:
                self._new_shape(types)
        else:
            types = set(map(type, value))
            if not types <= self.set_members:
                self._new_set_members(types)
        verified, shapes, set_members = self.verified, self.shapes, self.set_members
        for part in value:
            kind = type(part)
            if kind is tuple:
                passes = tuple(map(type, part)) in shapes and verified.issuperset(part)
            elif kind is frozenset:
                passes = part in verified and set_members.issuperset(map(type, part))
            else:  # a leaf, of a type its container's types allow
                passes = part in verified
                if not passes and kind is int:
                    _check_int(part)
            if passes and not remember:
                continue
            if not passes and (kind is tuple or kind is frozenset):
                self._parts(part, remember=True)
            if len(verified) >= self.VERIFIED_MAX:
                verified.clear()
            verified.add(part)

    def _new_shape(self, types: tuple) -> None:
        _refuse_odd(types)
        if self.places.setdefault(tuple(int if t is bool else t for t in types), types) != types:
            raise UnfaithfulHash(f"a state holds {_BOOL_AND_INT}")
        self.shapes.add(types)
        self.fresh.append(types)

    def _new_set_members(self, types) -> None:
        _refuse_odd(types)
        members = self.set_members | types
        if bool in members and int in members:
            raise UnfaithfulHash(f"a state holds {_BOOL_AND_INT}, in frozensets")
        self.set_members.update(types)  # in place: passes_step holds this set
        self.fresh.append(frozenset(types))


def _step_passes(verified: set, set_members: set, state, parent) -> bool:
    """Whether ``state``, a successor of ``parent`` (a state the guard passed), passes as it
    stands, with nothing to learn: True only where :meth:`HashGuard.check` would pass it and
    learn nothing; False sends it to that check.

    A member that is the parent's own object at its place passed with the parent (the parent
    is alive, so ``is`` cannot meet a freed object's address). Any other member must be of the
    parent's member's type there (so the shape is the parent's, known) and pass as ``_parts``
    would pass it: a leaf or a frozenset as there; a tuple of the parent's member's length by
    the same rule one level down, each of its members the parent's member's own or of its type
    and verified (so its shape is known and its members verified). ``explorer/_guard.c`` is
    this function in C, used when it was built (:data:`step_passes`)."""
    if type(state) is not tuple or type(parent) is not tuple or len(state) != len(parent):
        return False
    for part, was in zip(state, parent):
        if part is was:
            continue
        kind = type(part)
        if kind is not type(was):
            return False
        if kind is tuple:
            if len(part) != len(was):
                return False
            for member, old in zip(part, was):
                if member is not old and (type(member) is not type(old) or member not in verified):
                    return False
        elif kind is frozenset:
            if part not in verified:
                return False
            for member in part:
                if type(member) not in set_members:
                    return False
        elif part not in verified:
            return False
    return True


try:  # the same function in C (explorer/_guard.c), unless the install could not build it
    from ._guard import step_passes
except ImportError:
    step_passes = _step_passes


def _tuples_pass(guard: HashGuard, members) -> bool:
    """Would ``_parts`` pass each of these tuples: a known shape, its members verified."""
    return (guard.shapes.issuperset(map(tuple, map(map, repeat(type), members)))
            and guard.verified.issuperset(chain.from_iterable(members)))


def _sets_pass(guard: HashGuard, members) -> bool:
    """Would ``_parts`` pass each of these frozensets: verified, their member types known."""
    return (guard.verified.issuperset(members)
            and guard.set_members.issuperset(map(type, chain.from_iterable(members))))


def _set_passes(guard: HashGuard, state: frozenset) -> bool:
    """The fast check of a frozenset state whose members are all tuples or all frozensets."""
    kinds = set(map(type, state))
    if not kinds <= guard.set_members:
        return False
    if kinds == {frozenset}:
        return _sets_pass(guard, state)
    return kinds == {tuple} and _tuples_pass(guard, state)


def _check_int(value: int) -> None:
    if value == -1 or value == -2:
        raise UnfaithfulHash(f"a state holds {value} (CPython's hash(-1) == hash(-2))")
    if not -_HASH_MODULUS < value < _HASH_MODULUS:
        raise UnfaithfulHash("a state holds an int beyond 2**61 - 1 (hash() takes it modulo 2**61 - 1)")


def _refuse_odd(types) -> None:
    """Raise :class:`UnfaithfulHash` naming the first type (by name) that is not plain."""
    odd = sorted((t for t in types if t not in _PLAIN), key=lambda t: t.__qualname__)
    if odd:
        kind = odd[0]
        why = " (equal to a tuple of the same fields)" if issubclass(kind, tuple) else ""
        raise UnfaithfulHash(f"a state holds a {kind.__qualname__}{why}")


def fingerprint_of(model) -> tuple:
    """``(fingerprint, guard)`` for a search of ``model``: its own ``fingerprint`` and no guard,
    or ``hash`` and a fresh :class:`HashGuard` (see the module docstring)."""
    own = getattr(model, "fingerprint", None)
    return (own, None) if own is not None else (hash, HashGuard())
