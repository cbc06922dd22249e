"""The model's state: immutable records whose leaves are small ints, bools and tuples.

Every record is a ``NamedTuple``: construction is cheap, equality and hashing are the tuple's,
and because no leaf is a ``str`` or ``None`` the built-in ``hash()`` of a state is the same in
every process whatever PYTHONHASHSEED is (CPython hashes ints by value and combines tuple
members deterministically). "Absent" is the empty tuple ``()``, never ``None``.

Layout of :class:`State` (``n`` = number of dispatchers, indices 0..n-1 for ``d1..dn``;
maintainers 0 = ``A``, 1 = ``B``):

``fallback``     0 none, else the index of the reason in ``FALLBACKS``
``reported``     per D: the reporter's max ``de`` enqueued, 0 = nothing reported
``producer``     per D: messages still in the Kafka producer that may fail (``Message``)
``instances``    per D: the instance in the DM's dispatcher map (``Instance``) or ``()``
``epoch_base``   per D: the last ``de`` handed out (read only by the ``monotonic`` policy)
``dm``           the dispatcher manager (``Dm``): maintainer ID and epoch, tracker, held request
``maintainers``  ``(A, B)``, each a ``Maintainer``
``spans``        per D: where the maintainers' span of D lives (``SPAN_*``)
``channels``     one tuple (FIFO, head first) per channel of ``CHANNEL_NAMES``
``budget``       what the environment has used of its bounds (``Budget``)
``ghost``        property-only counters (``Ghost``)

Ghost fields (listed in ``GHOST_FIELDS``) exist only for properties and traces: the lifecycle
number of an instance and of everything stamped by it, whether an instance was hit by a restart,
restart counters. Protocol logic never reads them (``tests/test_model_ghosts.py`` shows it),
with one documented exception: the knob value ``working_clears=matching_lifecycle`` is an
idealised check that compares the lifecycle of a Working status with the pending entry's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

# --- names of the encoded values ------------------------------------------------------------

MAINTAINERS = ("A", "B")
FALLBACKS = ("none", "timeout", "send_failure", "sink_error", "budget_exhausted")
NO_FALLBACK, TIMEOUT, SEND_FAILURE, SINK_ERROR, BUDGET_EXHAUSTED = range(5)

# a maintainer node's status: ABSENT = no maintainer ever started there; STOPPED = its last
# incarnation stopped (a later move may start a new one there); DOWN = the node crashed (a
# restarted process gets a new node ID, so nothing starts there again)
MAINTAINER_STATUSES = ("absent", "alive", "removing", "stopped", "down")
ABSENT, ALIVE, REMOVING, STOPPED, DOWN = range(5)

OPERATOR_KINDS = ("restart", "move", "split", "merge_source", "add", "move_dest", "merge_target")
RESTART = 0
REMOVING_KINDS = frozenset({1, 2, 3})  # move, split, merge_source: Remove(D) on this node
# restart operator phases; REMOTE = the span lives on another node, outside the model
PHASES = ("remove", "add", "remote")
PHASE_REMOVE, PHASE_ADD, PHASE_REMOTE = range(3)

ANSWERS = ("ACCEPTED", "RUNNING", "SUPERSEDED", "FAILED")
ACCEPTED, RUNNING, SUPERSEDED, FAILED = range(4)

# where the maintainer's span of D lives: on the DM's node; moved to another node (same ID);
# gone (split or merged into spans with new IDs); re-added under a new dispatcher ID by a new
# maintainer whose bootstrap found no D on the DM's node
SPAN_PLACES = ("local", "elsewhere", "missing", "readded")
SPAN_LOCAL, SPAN_ELSEWHERE, SPAN_MISSING, SPAN_READDED = range(4)

COMMANDS = ("remove", "create", "merge")
CMD_REMOVE, CMD_CREATE, CMD_MERGE = range(3)

CHANNEL_NAMES = (
    "events",
    "statuses",
    "requests",
    "to_maintainer.A",
    "to_maintainer.B",
    "responses.A",
    "responses.B",
    "schedule.A",
    "schedule.B",
    "heartbeat",
    "bootstrap",
)
EVENTS, STATUSES, REQUESTS, TO_A, TO_B, RESP_A, RESP_B, SCHED_A, SCHED_B, HEARTBEAT, BOOTSTRAP = range(11)
CHANNEL_GROUPS = {
    "to_maintainer": ("to_maintainer.A", "to_maintainer.B"),
    "responses": ("responses.A", "responses.B"),
    "schedule": ("schedule.A", "schedule.B"),
}


def to_maintainer(m: int) -> int:
    return TO_A + m


def responses_of(m: int) -> int:
    return RESP_A + m


def schedule_of(m: int) -> int:
    return SCHED_A + m


def dispatcher_name(d: int) -> str:
    return f"d{d + 1}"


def maintainer_args(a, b) -> tuple:
    """The enabled args ``(m,)`` of an action per maintainer, A first: ``a`` and ``b`` say
    (truthy or not) whether it is enabled for A and for B."""
    if a:
        return ((0,), (1,)) if b else ((0,),)
    return ((1,),) if b else ()


# --- records ---------------------------------------------------------------------------------


class Message(NamedTuple):
    """A message of one instance in the Kafka producer that may still fail."""

    de: int  # the dispatcherEpoch it was stamped with
    fails_left: int  # failures it may still suffer (messages_per_instance at start)
    live: bool  # its instance is still in the DM's map (a failure blocks it)
    lifecycle: int  # ghost


class Instance(NamedTuple):
    """One life of a dispatcher in the DM's dispatcher map."""

    de: int  # its dispatcherEpoch now (a reset bumps it)
    first_de: int  # the dispatcherEpoch it was created with (read by drop_stale_reports)
    working: bool  # False = initializing (its first event is still to come)
    blocked: bool  # a message of it failed and its callback never ran
    removing: bool
    lifecycle: int  # ghost
    restarted: bool  # ghost: a restart operator's Remove reached it


class Pending(NamedTuple):
    """The recover tracker's entry for a dispatcher (recoverPendingState)."""

    de: int
    me: int
    removed: bool
    handled: bool
    lifecycle: int  # ghost: lifecycle of the failure that created it


class Identity(NamedTuple):
    """recoverDispatcherIdentity (D, de, me)."""

    d: int
    de: int
    me: int
    lifecycle: int  # ghost


class Report(NamedTuple):
    """One (D, de) of a report event on ``events``."""

    d: int
    de: int
    lifecycle: int  # ghost


class Working(NamedTuple):
    """A Working status on ``statuses``."""

    d: int
    de: int  # the epoch the instance was created with (read only by working_clears=newer_epoch)
    lifecycle: int  # ghost (read only by working_clears=matching_lifecycle)


class Request(NamedTuple):
    """RecoverDispatcherRequest with the maintainer ID it is addressed to."""

    target: int
    identities: tuple  # of Identity


class Answer(NamedTuple):
    identity: Identity
    state: int  # ANSWERS


class Response(NamedTuple):
    sender: int  # the node (msg.From)
    answers: tuple  # of Answer
    incarnation: int  # the answering maintainer's incarnation (read only by incarnation_ids)


class Command(NamedTuple):
    """Remove(D), Create(D) or a merge request for D on ``schedule[m]``."""

    op: int  # COMMANDS
    d: int
    by_restart: bool  # ghost: sent by a restart operator
    incarnation: int  # the sending maintainer's incarnation (read only by incarnation_ids)
    waits: int = 0  # responses of the same node sent before it and not yet handled (wire order)


class Beat(NamedTuple):
    """A dispatcher status on ``heartbeat``, addressed to the maintainer the DM knew."""

    target: int
    working: bool  # True = Working(D), False = Stopped(D)
    d: int
    de: int  # a Working's instance creation epoch (read only by maintainer_dedup), else 0
    incarnation: int  # the target's incarnation the DM knew (read only by incarnation_ids)


class Bootstrap(NamedTuple):
    sender: int
    epoch: int
    incarnation: int  # the sender's incarnation (kept by the DM, read only by incarnation_ids)
    waits: int = 0  # responses of the same node sent before it and not yet handled (wire order)
    term: int = 0  # maintainer starts of the changefeed so far (sent only under bootstrap_term)


class Operator(NamedTuple):
    kind: int  # OPERATOR_KINDS
    phase: int  # PHASES for a restart, 0 otherwise


class Maintainer(NamedTuple):
    """The maintainer node ``A`` or ``B`` and its current incarnation."""

    status: int  # MAINTAINER_STATUSES
    initialized: bool
    epoch: int
    operators: tuple  # per D: Operator or ()
    attempts: tuple  # per D: restart attempts granted
    restarted_de: tuple  # per D: the largest de restarted (kept only with maintainer_dedup)
    # 1 for the first maintainer started on this node, and so on: Go has no such ID (node IDs
    # repeat across incarnations); incarnation_ids gives one, the properties read it
    incarnation: int


class Dm(NamedTuple):
    maintainer: int  # the maintainer ID the DM believes current
    epoch: int  # maintainerEpoch
    pending: tuple  # per D: Pending or ()
    held: tuple  # identities built by dm_take_event, not yet added (Identity...)
    incarnation: int  # the incarnation of the last bootstrap taken (read only by incarnation_ids)
    term: int = 0  # the term of the last bootstrap taken (kept only under bootstrap_term)


class Budget(NamedTuple):
    moves: int
    other_operators: int
    duplicates: int
    failures: int
    crashes: int
    resets: int


class Ghost(NamedTuple):
    lifecycles: tuple  # per D: the last lifecycle number handed out
    restarts: tuple  # per D: restart operators accepted
    remote_restarts: int  # restarts accepted for a span living on another node
    accepted: tuple  # per D: lifecycle of the last report the reporter accepted (0 = none)
    accepted_de: tuple  # per D: the de of that report


class State(NamedTuple):
    fallback: int
    reported: tuple
    producer: tuple
    instances: tuple
    epoch_base: tuple
    dm: Dm
    maintainers: tuple
    spans: tuple
    channels: tuple
    budget: Budget
    ghost: Ghost


# --- ghost fields ----------------------------------------------------------------------------

LIFECYCLE, FLAG, COUNT = "lifecycle", "flag", "count"
# record type -> {field index: kind of ghost value}
GHOST_FIELDS: dict[type, dict[int, str]] = {
    Message: {3: LIFECYCLE},
    Instance: {5: LIFECYCLE, 6: FLAG},
    Pending: {4: LIFECYCLE},
    Identity: {3: LIFECYCLE},
    Report: {2: LIFECYCLE},
    Working: {2: LIFECYCLE},
    Command: {2: FLAG},
    Ghost: {0: LIFECYCLE, 1: COUNT, 2: COUNT, 3: LIFECYCLE, 4: COUNT},
}


def map_ghosts(value, lifecycle=None, other=None):
    """``value`` with every lifecycle ghost replaced by ``lifecycle(x)`` and every other ghost
    by ``other(x)`` (``None`` = keep). Ghost tuples (``Ghost.lifecycles``) map member-wise."""
    kind = type(value)
    if kind is int or kind is bool:
        return value
    ghosts = GHOST_FIELDS.get(kind)
    items = []
    for i, item in enumerate(value):
        role = ghosts.get(i) if ghosts else None
        if role is None:
            items.append(map_ghosts(item, lifecycle, other))
            continue
        fn = lifecycle if role == LIFECYCLE else other
        if fn is None:
            items.append(item)
        elif type(item) is tuple:
            items.append(tuple(fn(x) for x in item))
        else:
            items.append(fn(item))
    return kind(*items) if kind is not tuple else tuple(items)


def erase_ghosts(value):
    """``value`` with every ghost set to 0: the part protocol logic may depend on."""
    return map_ghosts(value, lambda _: 0, lambda _: 0)


# --- the initial state -----------------------------------------------------------------------


def initial_state(cfg) -> State:
    """docs/protocol.md, "Scenarios": A alive and initialized at epoch 1 and known to the DM; every
    dispatcher local, lifecycle 1, de 1, working (or initializing); nothing pending."""
    n = cfg.dispatchers
    working = cfg.initial_status == "working"
    instance = Instance(de=1, first_de=1, working=working, blocked=False, removing=False, lifecycle=1,
                        restarted=False)
    messages = (Message(de=1, fails_left=cfg.messages_per_instance, live=True, lifecycle=1),)
    no_ops = ((),) * n
    zeros = (0,) * n
    return State(
        fallback=NO_FALLBACK,
        reported=zeros,
        producer=(messages if working and cfg.messages_per_instance else (),) * n,
        instances=(instance,) * n,
        epoch_base=(1,) * n,
        dm=Dm(maintainer=0, epoch=1, pending=((),) * n, held=(), incarnation=1),
        maintainers=(
            Maintainer(status=ALIVE, initialized=True, epoch=1, operators=no_ops, attempts=zeros, restarted_de=zeros,
                       incarnation=1),
            Maintainer(status=ABSENT, initialized=False, epoch=0, operators=no_ops, attempts=zeros, restarted_de=zeros,
                       incarnation=0),
        ),
        spans=(SPAN_LOCAL,) * n,
        channels=((),) * len(CHANNEL_NAMES),
        budget=Budget(moves=0, other_operators=0, duplicates=0, failures=0, crashes=0, resets=0),
        ghost=Ghost(lifecycles=(1,) * n, restarts=zeros, remote_restarts=0, accepted=zeros, accepted_de=zeros),
    )


# A value-keyed cache for a pure function of records (no config: its hash is slow): hashing
# a record is C code, while a Python scan or rebuild of one is not, and a search's states share
# few values of each part (100,000 states of the reference configuration: 60 maintainers
# tuples, 88 DM records, under 10,000 channel tuples). Bounded, as a deep sweep meets many.
memo = lru_cache(maxsize=1 << 15)

# ``build(Cls, (field, ...))``: a record from all its fields in order, without the keyword
# constructor's argument parsing (a third of its cost), for the records hot steps make
build = tuple.__new__


def put(items: tuple, i: int, value) -> tuple:
    """``items`` with position ``i`` replaced by ``value``."""
    items = list(items)  # (one list and one tuple: cheaper than slicing and joining three tuples)
    items[i] = value
    return tuple(items)


# --- field updates for the successor function -------------------------------------------------
# ``record._replace(field=value)`` parses keywords and goes through ``_make``; every transition
# replaces a few fields, so the hot ones get a setter that works by position (two to three times
# as fast).


def setter(cls, *fields: str):
    """A function ``(record, value, ...) -> record`` of type ``cls`` with ``fields`` replaced
    by the values, in that order. One to four fields, each count written out: a loop over
    ``zip(indices, values)`` would double the cost of a two-field update."""
    new = tuple.__new__
    indices = [cls._fields.index(field) for field in fields]
    if len(fields) == 1:
        (i,) = indices

        def set_fields(record, value):
            items = list(record)
            items[i] = value
            return new(cls, items)
    elif len(fields) == 2:
        i, j = indices

        def set_fields(record, a, b):
            items = list(record)
            items[i] = a
            items[j] = b
            return new(cls, items)
    elif len(fields) == 3:
        i, j, k = indices

        def set_fields(record, a, b, c):
            items = list(record)
            items[i] = a
            items[j] = b
            items[k] = c
            return new(cls, items)
    else:
        i, j, k, m = indices

        def set_fields(record, a, b, c, d):
            items = list(record)
            items[i] = a
            items[j] = b
            items[k] = c
            items[m] = d
            return new(cls, items)

    set_fields.__name__ = set_fields.__qualname__ = f"with_{'_'.join(fields)}"
    return set_fields


with_fallback = setter(State, "fallback")
with_reported = setter(State, "reported")
with_producer = setter(State, "producer")
with_instances = setter(State, "instances")
with_dm = setter(State, "dm")
with_maintainers = setter(State, "maintainers")
with_spans = setter(State, "spans")
with_channels = setter(State, "channels")
with_instances_producer_channels = setter(State, "instances", "producer", "channels")
with_maintainers_budget = setter(State, "maintainers", "budget")
with_maintainers_ghost = setter(State, "maintainers", "ghost")
with_maintainers_spans = setter(State, "maintainers", "spans")
with_channels_budget = setter(State, "channels", "budget")
with_channels_fallback = setter(State, "channels", "fallback")
with_instances_channels = setter(State, "instances", "channels")
with_dm_reported_channels = setter(State, "dm", "reported", "channels")
with_maintainers_channels = setter(State, "maintainers", "channels")
with_maintainers_channels_budget = setter(State, "maintainers", "channels", "budget")
with_maintainers_spans_channels = setter(State, "maintainers", "spans", "channels")
with_producer_instances_budget = setter(State, "producer", "instances", "budget")
with_reported_channels_ghost = setter(State, "reported", "channels", "ghost")
with_instances_epoch_base_ghost = setter(State, "instances", "epoch_base", "ghost")
with_instances_epoch_base_producer_budget = setter(State, "instances", "epoch_base", "producer", "budget")
with_pending = setter(Dm, "pending")
with_held = setter(Dm, "held")
with_pending_held = setter(Dm, "pending", "held")
with_maintainer_incarnation_term = setter(Dm, "maintainer", "incarnation", "term")
with_epoch_pending = setter(Dm, "epoch", "pending")
with_me = setter(Identity, "me")
with_me_handled = setter(Pending, "me", "handled")
with_operators = setter(Maintainer, "operators")
with_operators_attempts = setter(Maintainer, "operators", "attempts")
with_status = setter(Maintainer, "status")
with_initialized = setter(Maintainer, "initialized")
with_restarted_de = setter(Maintainer, "restarted_de")
with_removing_restarted = setter(Instance, "removing", "restarted")
with_working = setter(Instance, "working")
with_de = setter(Instance, "de")
with_blocked = setter(Instance, "blocked")
with_fails_left = setter(Message, "fails_left")
with_live = setter(Message, "live")
with_handled = setter(Pending, "handled")
with_removed = setter(Pending, "removed")
with_restarts = setter(Ghost, "restarts")
with_lifecycles = setter(Ghost, "lifecycles")
with_remote_restarts = setter(Ghost, "remote_restarts")
with_accepted_accepted_de = setter(Ghost, "accepted", "accepted_de")

_BUDGET_INDEX = {field: i for i, field in enumerate(Budget._fields)}


def spend(budget: Budget, bound: str) -> Budget:
    """``budget`` with one more step of ``bound`` used."""
    items = list(budget)
    items[_BUDGET_INDEX[bound]] += 1
    return tuple.__new__(Budget, items)


# --- a state in parts, for the batched search's frontier ---------------------------------------
# The search keeps each frontier state as one small number per part (explorer/batched.py): the
# states of a level share few distinct values of each field and of each channel (at most a few
# hundred per place at 57,706 states), while whole channel tuples are mostly distinct. Equal parts
# are interchangeable: every place holds values of one shape, and a state is its tuple value (the
# fingerprint is ``hash``).

_CHANNELS_AT = State._fields.index("channels")
_PARTS_AFTER = len(State._fields) - _CHANNELS_AT - 1  # fields after the channels
_CHANNELS_FROM = len(State._fields) - 1  # where the channels start among the parts


def state_parts(state: State) -> tuple:
    """``state`` as parts: every field but the channels, in order, then each channel."""
    return (*state[:_CHANNELS_AT], *state[_CHANNELS_AT + 1:], *state[_CHANNELS_AT])


def state_from_parts(parts: tuple) -> State:
    """The state ``state_parts`` split."""
    return tuple.__new__(State, (*parts[:_CHANNELS_AT], parts[_CHANNELS_FROM:],
                                 *parts[_CHANNELS_AT:_CHANNELS_FROM]))
