"""The model's configuration: the knobs of docs/protocol.md, "Knobs and presets", the bounds, and the presets.

A :class:`Config` is a frozen attrs value; build one with :func:`make_config` (a preset plus
overrides), which also converts the strings a command line gives (``"on"``, ``"2"``,
``"requests,bootstrap"``) and raises :class:`ConfigError` with one line naming the problem.

Knobs (each changes protocol behaviour; docs/protocol.md, "Knobs and presets"):

``rebind_on``               ``never`` | ``epoch_change`` | ``maintainer_change`` | ``every_bootstrap``
``check_source``            drop a response unless ``from`` is the DM's current maintainer
``epoch_policy``            ``per_instance`` (a new instance starts at de 1) | ``monotonic``
``working_clears``          ``any`` | ``matching_lifecycle`` | ``never``
``pending_before_enqueue``  write the pending entry before the request leaves
``timeout_fuse``            ``dm_timeout_tick`` exists
``switch_changes_epoch``    hypothetical, off in every preset: a maintainer move bumps the
                           changefeed epoch (Go never does: the epoch changes only when the
                           changefeed restarts, which closes every DM first)
``maintainer_overlap``      hypothetical, off in every preset: a move starts the destination at
                           once, beside the removing origin (Go starts it only once the origin
                           has stopped)

Knobs of the proposed fixes (off in ``pr4139`` and ``design``, on in ``proposed``):

``working_clears=newer_epoch``  a Working status clears ``pending[D]`` only when it comes from
                           an instance created with a larger ``de`` than the entry's (the status
                           carries its instance's creation epoch) (N3)
``handled_on``              ``any_answer`` (Go: ACCEPTED, RUNNING and SUPERSEDED stop resends) |
                           ``accepted`` (only ACCEPTED does; the others keep the entry resent) (N2)
``maintainer_dedup``        the maintainer remembers per D the largest ``de`` it restarted, and
                           the creation epoch of the newest instance it saw working (a Working
                           status and the bootstrap answer carry it), and answers SUPERSEDED to
                           an identity of an older failure (N4; across a move too)
``drop_stale_reports``      the recover loop drops a report whose ``de`` is below the epoch the
                           local instance was created with (a late failure of a closed
                           instance) (N5)
``add_checks_local``        ``dm_add_pending`` re-checks that D is still local and drops (and
                           clears) an identity whose instance was removed meanwhile (N7)
``rebind_held``             the bootstrap rebind also rebinds identities the recover loop built
                           but has not added yet, so no entry is added with a stale epoch (A3)
``absent_on_stopped``       the maintainer marks a replicating span absent when its dispatcher
                           reports a non-working status, or a complete heartbeat of its node no
                           longer lists it, with no operator running; the basic scheduler adds it
                           back: a dispatcher removed behind the maintainer's back (a delayed
                           Remove of a maintainer that stopped) is not lost
``incarnation_ids``         a maintainer picks an ID at start and sends it in its bootstrap; every
                           message between it and the DM names it: the DM's ``check_source`` and
                           ``schedule_checks_source`` compare it too, not just the node, and the
                           maintainer drops statuses addressed to an earlier incarnation. After a
                           move A -> B -> A, the first A's messages are stale
``schedule_checks_source``  the DM applies Remove/Create/merge requests only from the maintainer
                           it knows (``msg.From``): a delayed Remove of a maintainer that stopped
                           cannot hit the fresh instance its successor created
``bootstrap_term``          every maintainer start takes the changefeed's next term, carried in
                           its bootstrap requests; the DM's orchestrator ignores a bootstrap of a
                           lower term than the one it took last: a delayed copy of a stopped
                           maintainer's bootstrap cannot bind the DM to it again (N10)

Bounds (each keeps the state space finite and small; none changes what one step does):

``failures``               0-6 ``dml_fail`` steps per behaviour, all dispatchers together
                           (default 2)

``dispatchers``            1-3 dispatchers ``d1..d3`` on the DM's node (default 1)
``messages_per_instance``  0-3 messages each instance may lose to ``dml_fail`` (default 1)
``maintainer_moves``       0-2 ``move_maintainer`` steps per behaviour (default 0)
``other_operators``        kinds ``add_operator`` may use (default none)
``other_operator_limit``   0-3 ``add_operator`` steps per behaviour (default 1)
``channel_capacity``       1-1024 messages per channel of the request path (``requests``,
                           ``to_maintainer.*``, ``responses.*``); a sender finding it full waits
                           (its step is disabled); other channels are bounded by their senders
                           (default 1)
``events_capacity``        1-1024 report events queued; the reporter does not wait: a full ``events``
                           raises ``sink_error`` as in Go, whose channel holds 1024 (default 2)
``lossy``                  channels ``lose`` may drop the head of (default none)
``duplicating``            channels ``duplicate`` may repeat the head of (default none)
``max_duplicates``         0-3 ``duplicate`` steps per behaviour (default 1)
``restart_budget``         0-10 restart attempts a maintainer grants per dispatcher before it
                           answers FAILED (default 2; Go's ``recoverableMaxAttempts`` is 6 and
                           the first reading's default was 6, but every finding needs at most two
                           restarts and each extra one multiplies the space tenfold with a move)
``initial_status``         ``working`` | ``initializing``: the status of the initial instances
``slow_ticks``             on: the resend tick waits while a recover request or response is in
                           flight (the 5 s interval outlasts a round trip); off: resends may
                           overtake them, about twentyfold more states (default on)
``crashes``                0-1 ``crash_maintainer`` steps per behaviour (default 0)
``resets``                 0-2 ``reset`` steps per behaviour (default 0)
``bootstrap_copies``       1-3 bootstraps of one maintainer on their way at once (default 1): Go
                           re-sends every 500 ms until answered, so a copy may still be on its way
                           when an earlier one was answered; two double the states with a move, so
                           the findings that need it set it (N10) or widen to it (the deep grid)
``resend_order``           ``sorted``: ``dm_resend_tick`` lists the identities it resends in
                           ascending dispatcher order (default); ``any``: every order is a
                           successor, as Go's ``range t.pending`` over a map may yield any. Only a
                           batch of two or more differs. ``sorted`` singles out ``d1``, so the
                           dispatcher symmetry reduction (``model.symmetry``) needs ``any``

Channel names are those of docs/protocol.md, "Actors and state" with the per-maintainer ones suffixed:
``events statuses requests to_maintainer.A to_maintainer.B responses.A responses.B schedule.A
schedule.B heartbeat bootstrap``. In ``lossy`` and ``duplicating`` the bare group names
``to_maintainer``, ``responses`` and ``schedule`` stand for both members of the group; they are
expanded (and the tuple sorted into channel order) when the config is built.

What keeps the space finite: every instance has at most ``messages_per_instance`` failures,
and ``failures`` bounds them all; restarts are bounded by ``restart_budget`` per maintainer
incarnation, and incarnations by ``maintainer_moves`` and ``crashes``; so lifecycles per
dispatcher are at most ``1 + restart_budget * (1 + maintainer_moves + crashes)``. Resends are
bounded by ``channel_capacity`` (a full ``requests`` channel disables the tick) and
``slow_ticks``; an operator re-sends a command only when neither the command nor the DM's
answer is on its way; the complete heartbeat sends a status only when it is news and not on its
way already; resets, duplicates and other operators have their own bounds; ticks at quiescence
are self-loops.
"""

from __future__ import annotations

import attrs

from .state import CHANNEL_GROUPS, CHANNEL_NAMES, OPERATOR_KINDS

__all__ = ["Config", "ConfigError", "PRESETS", "make_config", "KNOBS", "BOUNDS", "MEANING", "describe"]


class ConfigError(ValueError):
    """A bad configuration; the message is one line naming the problem."""


REBIND_ON = ("never", "epoch_change", "maintainer_change", "every_bootstrap")
EPOCH_POLICIES = ("per_instance", "monotonic")
WORKING_CLEARS = ("any", "matching_lifecycle", "newer_epoch", "never")
HANDLED_ON = ("any_answer", "accepted")
INITIAL_STATUSES = ("working", "initializing")
RESEND_ORDERS = ("sorted", "any")
OTHER_KINDS = OPERATOR_KINDS[1:]  # every kind but "restart"
GO_CHANNEL_CAPACITY = 1024  # Go's recover request and event channels hold 1024
GO_RESTART_BUDGET = 6  # Go's recoverableMaxAttempts


@attrs.frozen
class Config:
    # knobs
    rebind_on: str = "never"
    check_source: bool = False
    epoch_policy: str = "per_instance"
    working_clears: str = "any"
    pending_before_enqueue: bool = False
    timeout_fuse: bool = True
    switch_changes_epoch: bool = False
    maintainer_overlap: bool = False
    # knobs of the proposed fixes (invariants.findings names the finding each closes)
    handled_on: str = "any_answer"
    maintainer_dedup: bool = False
    drop_stale_reports: bool = False
    add_checks_local: bool = False
    rebind_held: bool = False
    schedule_checks_source: bool = False
    absent_on_stopped: bool = False
    incarnation_ids: bool = False
    bootstrap_term: bool = False
    # bounds
    failures: int = 2
    dispatchers: int = 1
    messages_per_instance: int = 1
    maintainer_moves: int = 0
    other_operators: tuple = ()
    other_operator_limit: int = 1
    channel_capacity: int = 1
    events_capacity: int = 2
    lossy: tuple = ()
    duplicating: tuple = ()
    max_duplicates: int = 1
    restart_budget: int = 2
    initial_status: str = "working"
    slow_ticks: bool = True
    resend_order: str = "sorted"
    crashes: int = 0
    resets: int = 0
    bootstrap_copies: int = 1


# key -> (kind, allowed): kind is "choice", "bool", "int" or "channels"/"kinds" (tuples)
_SPEC = {
    "rebind_on": ("choice", REBIND_ON),
    "check_source": ("bool", None),
    "epoch_policy": ("choice", EPOCH_POLICIES),
    "working_clears": ("choice", WORKING_CLEARS),
    "pending_before_enqueue": ("bool", None),
    "timeout_fuse": ("bool", None),
    "switch_changes_epoch": ("bool", None),
    "maintainer_overlap": ("bool", None),
    "handled_on": ("choice", HANDLED_ON),
    "maintainer_dedup": ("bool", None),
    "drop_stale_reports": ("bool", None),
    "add_checks_local": ("bool", None),
    "rebind_held": ("bool", None),
    "schedule_checks_source": ("bool", None),
    "absent_on_stopped": ("bool", None),
    "incarnation_ids": ("bool", None),
    "bootstrap_term": ("bool", None),
    "failures": ("int", (0, 6)),
    "dispatchers": ("int", (1, 3)),
    "messages_per_instance": ("int", (0, 3)),
    "maintainer_moves": ("int", (0, 2)),
    "other_operators": ("kinds", OTHER_KINDS),
    "other_operator_limit": ("int", (0, 3)),
    "channel_capacity": ("int", (1, GO_CHANNEL_CAPACITY)),
    "events_capacity": ("int", (1, GO_CHANNEL_CAPACITY)),
    "lossy": ("channels", None),
    "duplicating": ("channels", None),
    "max_duplicates": ("int", (0, 3)),
    "restart_budget": ("int", (0, 10)),
    "initial_status": ("choice", INITIAL_STATUSES),
    "slow_ticks": ("bool", None),
    "resend_order": ("choice", RESEND_ORDERS),
    "crashes": ("int", (0, 1)),
    "resets": ("int", (0, 2)),
    "bootstrap_copies": ("int", (1, 3)),
}
KNOBS = (
    "rebind_on",
    "check_source",
    "epoch_policy",
    "working_clears",
    "pending_before_enqueue",
    "timeout_fuse",
    "switch_changes_epoch",
    "maintainer_overlap",
    "handled_on",
    "maintainer_dedup",
    "drop_stale_reports",
    "add_checks_local",
    "rebind_held",
    "schedule_checks_source",
    "absent_on_stopped",
    "incarnation_ids",
    "bootstrap_term",
)
BOUNDS = tuple(k for k in _SPEC if k not in KNOBS)

_PR4139 = {
    "rebind_on": "never",
    "check_source": False,
    "epoch_policy": "per_instance",
    "working_clears": "any",
    "pending_before_enqueue": False,
    "timeout_fuse": True,
    "switch_changes_epoch": False,
    "maintainer_overlap": False,
    "handled_on": "any_answer",
    "maintainer_dedup": False,
    "drop_stale_reports": False,
    "add_checks_local": False,
    "rebind_held": False,
    "schedule_checks_source": False,
    "absent_on_stopped": False,
    "incarnation_ids": False,
    "bootstrap_term": False,
}
_DESIGN = dict(_PR4139, rebind_on="maintainer_change", check_source=True, epoch_policy="monotonic")
PRESETS: dict[str, dict] = {
    "pr4139": _PR4139,
    "design": _DESIGN,
    # design plus the smallest set of fixes under which every finding holds or is a stated
    # boundary; each knob names the finding it closes in invariants/findings.py (PROPOSED_FIXES),
    # and tests/test_findings.py shows that dropping any one of them breaks a check
    "proposed": dict(
        _DESIGN,
        working_clears="newer_epoch",  # N3: onDispatcherStatusForRecover
        handled_on="accepted",  # N2, A6: onRecoverDispatcherResponse / markResponseHandled
        maintainer_dedup=True,  # N4, N6: tryRecoverDispatcher
        drop_stale_reports=True,  # N5, N7: reconcileRecoverDispatchers
        schedule_checks_source=True,  # N8: SchedulerDispatcherRequestHandler.Handle
        absent_on_stopped=True,  # N9: Controller.HandleStatus / span.Controller
        incarnation_ids=True,  # N4, N8 after A -> B -> A: the DM tells A's incarnations apart
        bootstrap_term=True,  # N10: DispatcherOrchestrator.handleBootstrapRequest
    ),
}

# One line per key for help texts (the module docstring says more); ``describe`` adds the range
# and the default.
MEANING = {
    "rebind_on": "when a bootstrap rebinds the DM's pending entries to the new maintainer epoch",
    "check_source": "drop a response unless it comes from the DM's current maintainer",
    "epoch_policy": "dispatcher epochs: per_instance (a new instance starts at de 1) or monotonic",
    "working_clears": "which Working status clears a pending entry",
    "pending_before_enqueue": "write the pending entry before the request leaves",
    "timeout_fuse": "the pending timeout (dm_timeout_tick) exists",
    "switch_changes_epoch": "hypothetical: a maintainer move bumps the changefeed epoch (Go never does)",
    "maintainer_overlap": "hypothetical: a move starts the new maintainer before the old one stops",
    "handled_on": "which answers stop the resends: any_answer (Go) or accepted only",
    "maintainer_dedup": "the maintainer answers SUPERSEDED to a failure it restarted or older than the "
                        "instance it saw working (fix for N4, N6)",
    "drop_stale_reports": "the recover loop drops a report older than the local instance (fix for N5, N7)",
    "add_checks_local": "dm_add_pending re-checks that the dispatcher is still local (not needed: see N7)",
    "rebind_held": "the rebind also covers identities built but not yet added (needed only with "
                   "switch_changes_epoch)",
    "schedule_checks_source": "the DM applies schedule requests only from the maintainer it knows (fix for N8)",
    "absent_on_stopped": "a replicating span whose dispatcher stopped or is unlisted becomes absent and is "
                         "added back (fix for N9)",
    "incarnation_ids": "messages between the DM and a maintainer name its incarnation (fix for N4, N8 "
                       "after A -> B -> A)",
    "bootstrap_term": "the DM ignores a bootstrap of an older maintainer term than the last it took "
                      "(fix for N10)",
    "failures": "dml_fail steps per behaviour, all dispatchers together",
    "dispatchers": "dispatchers d1..dN on the DM's node",
    "messages_per_instance": "messages each dispatcher instance may lose to dml_fail",
    "maintainer_moves": "move_maintainer steps per behaviour",
    "other_operators": "operator kinds add_operator may use (comma-separated)",
    "other_operator_limit": "add_operator steps per behaviour",
    "channel_capacity": "messages per channel of the request path; a full channel makes its sender wait "
                        f"(Go: {GO_CHANNEL_CAPACITY})",
    "events_capacity": f"report events queued; a full queue raises sink_error (Go: {GO_CHANNEL_CAPACITY})",
    "lossy": "channels whose head lose may drop (comma-separated)",
    "duplicating": "channels whose head duplicate may repeat (comma-separated)",
    "max_duplicates": "duplicate steps per behaviour",
    "restart_budget": f"restart attempts a maintainer grants per dispatcher (Go: {GO_RESTART_BUDGET})",
    "initial_status": "the status of the initial dispatcher instances",
    "slow_ticks": "the resend tick waits while a request or response is in flight (Go: off)",
    "resend_order": "the order of a resent batch: sorted, or any (every order, as Go's map)",
    "crashes": "crash_maintainer steps per behaviour",
    "resets": "reset steps (a dispatcher's epoch bumps) per behaviour",
    "bootstrap_copies": "bootstraps of one maintainer on their way at once (Go re-sends every 500 ms until "
                        "answered)",
}


def value_text(value) -> str:
    """A config value as a command line writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    return str(value)


def allowed_text(key: str) -> str:
    """The values ``key`` takes, as text."""
    kind, allowed = _SPEC[key]
    if kind == "bool":
        return "on|off"
    if kind == "int":
        return f"{allowed[0]}..{allowed[1]}"
    if kind == "channels":
        return "channels " + ", ".join(CHANNEL_NAMES) + " or the groups " + ", ".join(CHANNEL_GROUPS)
    if kind == "kinds":
        return "kinds " + ", ".join(allowed)
    return "|".join(allowed)


def describe(key: str) -> str:
    """``key``'s meaning, values and default (per preset where the presets differ)."""
    defaults = [value_text(PRESETS[p].get(key, getattr(Config(), key))) for p in PRESETS]
    default = defaults[0] if len(set(defaults)) == 1 else ", ".join(f"{p} {d}" for p, d in zip(PRESETS, defaults))
    return f"{MEANING[key]}; {allowed_text(key)}; default {default}"


_TRUE = ("on", "true", "yes", "1")
_FALSE = ("off", "false", "no", "0")


def _as_bool(key, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{key}: expected on/off (or true/false), got {value!r}")


def _as_int(key, value, bounds):
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ConfigError(f"{key}: expected an integer, got {value!r}") from None
    if not isinstance(value, int):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    low, high = bounds
    if not low <= value <= high:
        raise ConfigError(f"{key}: {value} is out of range {low}..{high}")
    return value


def _as_names(key, value) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{key}: expected a list of names, got {value!r}")


def _as_channels(key, value) -> tuple:
    chosen = set()
    for name in _as_names(key, value):
        if name in CHANNEL_GROUPS:
            chosen.update(CHANNEL_GROUPS[name])
        elif name in CHANNEL_NAMES:
            chosen.add(name)
        else:
            raise ConfigError(f"{key}: unknown channel {name!r} (channels: {', '.join(CHANNEL_NAMES)})")
    return tuple(name for name in CHANNEL_NAMES if name in chosen)


def _as_kinds(key, value) -> tuple:
    names = _as_names(key, value)
    for name in names:
        if name not in OTHER_KINDS:
            raise ConfigError(f"{key}: unknown operator kind {name!r} (kinds: {', '.join(OTHER_KINDS)})")
    return tuple(kind for kind in OTHER_KINDS if kind in names)


def convert(key: str, value):
    """The typed value of config ``key`` (strings from a command line accepted)."""
    if not isinstance(key, str) or key not in _SPEC:
        raise ConfigError(f"unknown config key {key!r} (keys: {', '.join(_SPEC)})")
    kind, allowed = _SPEC[key]
    if kind == "bool":
        return _as_bool(key, value)
    if kind == "int":
        return _as_int(key, value, allowed)
    if kind == "channels":
        return _as_channels(key, value)
    if kind == "kinds":
        return _as_kinds(key, value)
    if not isinstance(value, str) or value.strip() not in allowed:
        raise ConfigError(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
    return value.strip()


def make_config(preset: str = "pr4139", overrides: dict | None = None) -> Config:
    """The config of ``preset`` with ``overrides`` (config keys; values may be strings)."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r} (presets: {', '.join(PRESETS)})")
    if overrides is not None and not isinstance(overrides, dict):
        raise ConfigError(f"config overrides must be an object, got {type(overrides).__name__}")
    values = dict(PRESETS[preset])
    for key, value in (overrides or {}).items():
        values[key] = convert(key, value)
    return Config(**values)
