"""The observation of a state (``docs/protocol.md``, "Observation") and its flat ``fields`` view.

Beyond the basic observation: each pending entry's ghost ``lifecycle``; per dispatcher the
ghost ``restarted`` flag and ``first_de``; ``dm.held`` (identities built but not yet added);
``producer`` (the messages that may still fail); ``spans``; ``budget``; ``remote_restarts``;
each maintainer node's ghost ``incarnation``. Channel messages:

``events``      ``[{"d", "de", "lifecycle"}, ...]`` per event
``statuses``    ``{"d", "status": "working", "lifecycle"}``
``requests`` / ``to_maintainer.*``  ``{"target", "identities": [[d, de, me], ...], "lifecycles": [...]}``
``responses.*`` ``{"from", "incarnation", "entries": [{"identity": [d, de, me], "state", "lifecycle"}, ...]}``
``schedule.*``  ``{"op": "remove" | "create" | "merge", "d", "by_restart"}``, and ``"waits": n``
                while n responses of its node sent before it are unhandled (wire order)
``heartbeat``   ``{"target", "d", "status": "working" | "stopped"}``
``bootstrap``   ``{"from", "epoch"}``, and ``"waits"`` as on ``schedule.*``
"""

from __future__ import annotations

from .state import (
    ANSWERS,
    CHANNEL_NAMES,
    COMMANDS,
    EVENTS,
    FALLBACKS,
    MAINTAINER_STATUSES,
    MAINTAINERS,
    OPERATOR_KINDS,
    PHASES,
    RESTART,
    SPAN_PLACES,
    BOOTSTRAP,
    HEARTBEAT,
    REQUESTS,
    RESP_A,
    RESP_B,
    SCHED_A,
    SCHED_B,
    STATUSES,
    TO_A,
    TO_B,
    dispatcher_name,
)


def _identity(identity) -> list:
    return [dispatcher_name(identity.d), identity.de, identity.me]


def _request(request) -> dict:
    return {
        "target": MAINTAINERS[request.target],
        "identities": [_identity(i) for i in request.identities],
        "lifecycles": [i.lifecycle for i in request.identities],
    }


def _response(response) -> dict:
    return {
        "from": MAINTAINERS[response.sender],
        "incarnation": response.incarnation,
        "entries": [
            {"identity": _identity(a.identity), "state": ANSWERS[a.state], "lifecycle": a.identity.lifecycle}
            for a in response.answers
        ],
    }


def _event(event) -> list:
    return [{"d": dispatcher_name(r.d), "de": r.de, "lifecycle": r.lifecycle} for r in event]


def _status(status) -> dict:
    return {"d": dispatcher_name(status.d), "status": "working", "de": status.de, "lifecycle": status.lifecycle}


def _command(command) -> dict:
    shown = {"op": COMMANDS[command.op], "d": dispatcher_name(command.d), "by_restart": bool(command.by_restart)}
    return _with_waits(shown, command)


def _with_waits(shown: dict, message) -> dict:
    if message.waits:
        shown["waits"] = message.waits
    return shown


def _beat(beat) -> dict:
    return {"target": MAINTAINERS[beat.target], "d": dispatcher_name(beat.d), "status": "working" if beat.working else "stopped"}


def _bootstrap(bootstrap) -> dict:
    return _with_waits({"from": MAINTAINERS[bootstrap.sender], "epoch": bootstrap.epoch}, bootstrap)


_RENDER = {
    EVENTS: _event,
    STATUSES: _status,
    REQUESTS: _request,
    TO_A: _request,
    TO_B: _request,
    RESP_A: _response,
    RESP_B: _response,
    SCHED_A: _command,
    SCHED_B: _command,
    HEARTBEAT: _beat,
    BOOTSTRAP: _bootstrap,
}


def _pending(entry) -> dict:
    return {"de": entry.de, "me": entry.me, "removed": bool(entry.removed), "handled": bool(entry.handled), "lifecycle": entry.lifecycle}


def _instance(instance) -> dict:
    if not instance:
        return {"local": False}
    return {
        "local": True,
        "lifecycle": instance.lifecycle,
        "de": instance.de,
        "first_de": instance.first_de,
        "status": "working" if instance.working else "initializing",
        "blocked": bool(instance.blocked),
        "removing": bool(instance.removing),
        "restarted": bool(instance.restarted),
    }


def _operator(operator) -> dict:
    shown = {"kind": OPERATOR_KINDS[operator.kind]}
    if operator.kind == RESTART:
        shown["phase"] = PHASES[operator.phase]
    return shown


def _maintainer(maintainer) -> dict:
    return {
        "state": MAINTAINER_STATUSES[maintainer.status],
        "initialized": bool(maintainer.initialized),
        "epoch": maintainer.epoch,
        "operators": {dispatcher_name(d): _operator(op) for d, op in enumerate(maintainer.operators) if op},
        "attempts": {dispatcher_name(d): n for d, n in enumerate(maintainer.attempts) if n},
        "restarted_de": {dispatcher_name(d): n for d, n in enumerate(maintainer.restarted_de) if n},
        "incarnation": maintainer.incarnation,
    }


def observe(s) -> dict:
    names = [dispatcher_name(d) for d in range(len(s.instances))]
    return {
        "fallback": None if not s.fallback else FALLBACKS[s.fallback],
        "dm": {
            "maintainer": MAINTAINERS[s.dm.maintainer],
            "maintainer_epoch": s.dm.epoch,
            "pending": {names[d]: _pending(e) for d, e in enumerate(s.dm.pending) if e},
            "reported": {names[d]: de for d, de in enumerate(s.reported) if de},
            "held": [_identity(i) for i in s.dm.held],
        },
        "dispatchers": {names[d]: _instance(i) for d, i in enumerate(s.instances)},
        "producer": {
            names[d]: [{"lifecycle": m.lifecycle, "de": m.de, "fails_left": m.fails_left, "live": bool(m.live)} for m in msgs]
            for d, msgs in enumerate(s.producer)
        },
        "maintainers": {MAINTAINERS[m]: _maintainer(x) for m, x in enumerate(s.maintainers)},
        "spans": {names[d]: SPAN_PLACES[p] for d, p in enumerate(s.spans)},
        "channels": {CHANNEL_NAMES[c]: [_RENDER[c](msg) for msg in queue] for c, queue in enumerate(s.channels)},
        "budget": dict(zip(s.budget._fields, s.budget)),
        "restarts": {names[d]: n for d, n in enumerate(s.ghost.restarts)},
        "remote_restarts": s.ghost.remote_restarts,
        "accepted_report_lifecycle": {names[d]: n for d, n in enumerate(s.ghost.accepted) if n},
        "accepted_report_de": {names[d]: n for d, n in enumerate(s.ghost.accepted_de) if n},
    }


# observation paths whose value is shown as one field (a record that appears and disappears)
_WHOLE = (("dm", "pending"), ("dm", "reported"), ("maintainers", None, "operators"), ("maintainers", None, "attempts"))


def _keep_whole(path: tuple) -> bool:
    for pattern in _WHOLE:
        if len(path) == len(pattern) + 1 and all(p is None or p == q for p, q in zip(pattern, path)):
            return True
    return False


def flatten(value, path: tuple = ()) -> dict:
    """``{"dm.pending.d1": {...}, "dispatchers.d1.blocked": true, "channels.requests": [...]}``:
    dicts are flattened except the records listed in ``_WHOLE``; lists stay whole."""
    if isinstance(value, dict) and not _keep_whole(path):
        flat = {}
        for key, item in value.items():
            flat.update(flatten(item, path + (key,)))
        return flat
    return {".".join(path): value}
