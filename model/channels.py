"""The channels (docs/protocol.md, "Actors and state") and the environment's faults on them.

``state.channels`` is one tuple per channel of ``CHANNEL_NAMES``, head first. Each channel is
FIFO; nothing orders different channels. The request path (``requests``, ``to_maintainer.*``,
``responses.*``) holds at most ``channel_capacity`` messages: a sender that finds it full waits,
so its step is simply not enabled yet; the chain ends at the DM's response handler, which never
waits, so waits cannot form a cycle. ``events`` holds ``events_capacity`` and its sender, the
reporter, does not wait (see ``model.sink``). The other channels are bounded by their senders.

``send`` returns ``None`` for a full channel, and a transition that gets ``None`` returns
``None`` too: that step must wait. This is the only enabledness that depends on a step's result.

Faults, only on the channels the config names:

- ``lose(channel)`` drops the head (Go: a message lost in transit, or a send that gave up).
- ``duplicate(channel)`` repeats the head (Go: a retried send whose first copy arrived too);
  bounded by ``max_duplicates`` per behaviour and by the capacity.
"""

from __future__ import annotations

from functools import cache

from .state import CHANNEL_NAMES, EVENTS, REQUESTS, RESP_A, RESP_B, TO_A, TO_B, put, with_channels


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


def send(channels: tuple, c: int, message, cfg):
    """``channels`` with ``message`` appended to channel ``c``, or ``None`` when ``c`` is full:
    the sender waits, so the step that sends is not enabled yet."""
    queue = channels[c]
    if len(queue) >= capacity(c, cfg):
        return None
    return put(channels, c, queue + (message,))


@cache  # called with the config's lossy/duplicating names for every state
def channel_indices(names: tuple) -> tuple:
    return tuple(CHANNEL_NAMES.index(name) for name in names)


# --- lose(channel) ---------------------------------------------------------------------------


def lose_args(s, cfg):
    channels = s.channels
    for c in channel_indices(cfg.lossy):
        if channels[c]:
            yield (c,)


def lose(s, cfg, c):
    """A message lost in transit (no Go function: the network or a failed send)."""
    return with_channels(s, pop(s.channels, c))


# --- duplicate(channel) ----------------------------------------------------------------------


def duplicate_args(s, cfg):
    if s.budget.duplicates >= cfg.max_duplicates:
        return
    channels = s.channels
    for c in channel_indices(cfg.duplicating):
        if channels[c] and has_room(channels, c, cfg):
            yield (c,)


def duplicate(s, cfg, c):
    """The head delivered twice (no Go function: a retried send whose first copy arrived)."""
    queue = s.channels[c]
    return s._replace(
        channels=put(s.channels, c, queue[:1] + queue),
        budget=s.budget._replace(duplicates=s.budget.duplicates + 1),
    )
