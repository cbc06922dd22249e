"""The channels (docs/protocol.md, "Actors and state") and the environment's faults on them.

``state.channels`` is one tuple per channel of ``CHANNEL_NAMES``, head first. Each channel is
FIFO; different channels are unordered, with one exception, the wire order below. The request path (``requests``, ``to_maintainer.*``,
``responses.*``) holds at most ``channel_capacity`` messages: a sender that finds it full waits,
so its step is simply not enabled yet; the chain ends at the DM's response handler, which never
waits, so waits cannot form a cycle. ``events`` holds ``events_capacity`` and its sender, the
reporter, does not wait (see ``model.sink``). The other channels are bounded by their senders.

``send`` returns ``None`` for a full channel, and a transition that gets ``None`` returns
``None`` too: that step must wait. This is the only enabledness that depends on a step's result.

Wire order. Everything a maintainer node sends to the DM's node travels on one command stream
in send order, and the DM handles a recover response inline as it reads it, while Remove,
Create and bootstrap requests only enter queues there (``MessageCenter``'s ``remoteMessageTarget``
and router, ``HeartBeatCollector.RecvMessages``, ``DispatcherOrchestrator.RecvMaintainerRequest``).
So the DM never handles a schedule command or a bootstrap of node X before a response X sent
earlier has been handled or lost; later responses may overtake them. A command or bootstrap
counts in ``waits`` the responses of its node still on ``responses.X`` when it was sent; it
is handled only at ``waits == 0``, and each response handled or lost counts down the waits of
its node's messages (:func:`response_gone`). Without this the DM could take a new incarnation's
bootstrap before a stopped one's ACCEPTED from the same node, which Go cannot do.

Faults, only on the channels the config names:

- ``lose(channel)`` drops the head (Go: a message lost in transit, or a send that gave up).
- ``duplicate(channel)`` repeats the head; bounded by ``max_duplicates`` per behaviour and by
  the capacity. Not a behaviour of Go's transport: a sender retries only a send that returned an
  error, which ``remoteMessageTarget.sendCommand`` returns only when it did not queue the
  message, and its send loop never queues a message twice (docs/trace_audit.md, N4). What a
  duplicate on ``requests`` delivers, a second identical request, Go gets from a DM resend
  (``dm_resend_tick``); on other channels it is a what-if. So a violation that needs a duplicate
  is the model's until a trace without one shows it (N4's does).
"""

from __future__ import annotations

from functools import cache

from .state import (BOOTSTRAP, CHANNEL_NAMES, EVENTS, REQUESTS, RESP_A, RESP_B, TO_A, TO_B, Bootstrap, Command, memo,
                    put, responses_of, schedule_of, spend, with_channels, with_channels_budget)


def push(channels: tuple, c: int, message) -> tuple:
    return put(channels, c, channels[c] + (message,))


def pop(channels: tuple, c: int) -> tuple:
    return put(channels, c, channels[c][1:])


# channels a sender may refill without bound (ticks): only these are capped; the others are
# bounded by their senders (one status per instance, two commands per operator, one bootstrap
# per move), and capping them lets waits form a cycle (a deadlock the protocol does not have)
_CAPPED = frozenset({REQUESTS, TO_A, TO_B, RESP_A, RESP_B})
_UNCAPPED = 1 << 30


def capacity(c: int, cfg) -> int:
    if c == EVENTS:
        return cfg.events_capacity
    return cfg.channel_capacity if c in _CAPPED else _UNCAPPED


def has_room(channels: tuple, c: int, cfg) -> bool:
    return len(channels[c]) < capacity(c, cfg)


_BOUNDED = _CAPPED | {EVENTS}  # the channels ``capacity`` bounds


def send(channels: tuple, c: int, message, cfg):
    """``channels`` with ``message`` appended to channel ``c``, or ``None`` when ``c`` is full:
    the sender waits, so the step that sends is not enabled yet."""
    queue = channels[c]
    if c in _BOUNDED and len(queue) >= capacity(c, cfg):
        return None
    return put(channels, c, queue + (message,))


# --- wire order (maintainer node -> DM node) --------------------------------------------------


def behind(channels: tuple, m: int, message):
    """``message`` (a ``Command`` or ``Bootstrap`` node ``m`` sends now) stamped with the
    responses of ``m`` it follows on the wire."""
    waits = len(channels[responses_of(m)])
    return message if waits == message.waits else with_waits(message, waits)


_WAITS = {Command: Command._fields.index("waits"), Bootstrap: Bootstrap._fields.index("waits")}


def with_waits(message, waits: int):
    """``message._replace(waits=waits)`` for a ``Command`` or ``Bootstrap``, by position."""
    items = list(message)
    items[_WAITS[type(message)]] = waits
    return tuple.__new__(type(message), items)


def same_command(a, b) -> bool:
    """Two commands alike but for their place on the wire."""
    return a[:-1] == b[:-1]


def _recount(channels: tuple, m: int, step: int) -> tuple:
    """Add ``step`` to the waits of every message of ``m`` still waiting for a response."""
    c = schedule_of(m)
    waiting = channels[c]
    if waiting:  # (the channels are mostly empty: test that first)
        recounted = _rewaited(waiting, step, None)
        if recounted != waiting:
            channels = put(channels, c, recounted)
    boots = channels[BOOTSTRAP]
    if boots:
        recounted = _rewaited(boots, step, m)
        if recounted != boots:
            channels = put(channels, BOOTSTRAP, recounted)
    return channels


@memo  # the states share few queues: hashing one is cheaper than rebuilding it
def _rewaited(queue: tuple, step: int, sender) -> tuple:
    """``queue`` with ``step`` added to the waits of each message that waits (and, unless
    ``sender`` is ``None``, that ``sender`` sent)."""
    return tuple([with_waits(k, k.waits + step) if k.waits and (sender is None or k.sender == sender) else k
                  for k in queue])


def response_gone(channels: tuple, m: int) -> tuple:
    """The head response of ``m`` was handled or lost: what waited for it waits for one fewer."""
    return _recount(channels, m, -1)


def response_doubled(channels: tuple, m: int) -> tuple:
    """The head response of ``m`` was duplicated: what waited for it waits for both copies."""
    return _recount(channels, m, +1)


def ready(queue: tuple) -> bool:
    """The head of a queue exists and waits for no response of its node (only commands and
    bootstraps ever wait)."""
    return bool(queue) and not getattr(queue[0], "waits", 0)


@cache  # called with the config's lossy/duplicating names for every state
def channel_indices(names: tuple) -> tuple:
    return tuple(CHANNEL_NAMES.index(name) for name in names)


# --- lose(channel) ---------------------------------------------------------------------------


def lose_args(s, cfg):
    channels = s.channels
    out = []
    for c in channel_indices(cfg.lossy):
        if channels[c] and ready(channels[c]):  # (mostly empty: tested before the call)
            out.append((c,))
    return out


_RESPONSES = (RESP_A, RESP_B)


def lose(s, cfg, c):
    """A message lost in transit (no Go function: the network or a failed send). A command or
    bootstrap still behind a response of its node is not at the head of that node's stream, so
    it is not lost before the response is handled or lost (a dying stream loses what its sender
    had taken, not what is queued behind it). Losing it any earlier also broke delivery's
    fairness: the DM's read of it is enabled only once nothing is ahead, so a Remove lost each
    time before that was never even offered, and the fair search took "every re-send lost" as a
    fair stall."""
    channels = pop(s.channels, c)
    if c in _RESPONSES:
        channels = response_gone(channels, c - RESP_A)
    return with_channels(s, channels)


# --- duplicate(channel) ----------------------------------------------------------------------


def duplicate_args(s, cfg):
    if s.budget.duplicates >= cfg.max_duplicates:
        return ()
    channels = s.channels
    return [(c,) for c in channel_indices(cfg.duplicating) if channels[c] and has_room(channels, c, cfg)]


def duplicate(s, cfg, c):
    """The head delivered twice (no Go function: a retried send whose first copy arrived)."""
    queue = s.channels[c]
    channels = put(s.channels, c, queue[:1] + queue)
    if c in _RESPONSES:
        channels = response_doubled(channels, c - RESP_A)
    return with_channels_budget(s, channels, spend(s.budget, "duplicates"))
