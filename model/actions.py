"""The action vocabulary (PROTOCOL.md section 3): one table, ``ACTIONS``, from which the
model's successor function, ``actor()``, ``go_function()`` and scenario parsing all read.

Each row names the actor (``{m}``/``{from}`` stand for that argument's maintainer), the Go
function(s) the action stands for, a one-line summary, its parameters in label order (with the
kind of value each takes), which of them are ghosts, and the module functions
``<name>_args(state, cfg)`` (an iterable of the enabled internal argument tuples) and
``<name>(state, cfg, *args)`` (the next state, or ``None`` while a send must wait on a full
channel). Internal arguments are small ints (a resend order: a tuple of them); labels show
names (``d1``, ``A``, ``move``, ``d2 d1``).
"""

from __future__ import annotations

from types import ModuleType

import attrs

from . import channels, collector, dispatchers, dm, maintainer, orchestrator, sink, status_loop
from .state import CHANNEL_NAMES, MAINTAINERS, OPERATOR_KINDS, dispatcher_name


@attrs.frozen(slots=True, cache_hash=True)
class Action:
    """A transition label: ``name`` and ``args`` as ``((param, value), ...)`` in label order."""

    name: str
    args: tuple = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.args)})"

    def arg(self, key: str, default=None):
        for k, v in self.args:
            if k == key:
                return v
        return default


# how an internal int argument is shown, per parameter kind
SHOW = {
    "dispatcher": dispatcher_name,
    "maintainer": lambda m: MAINTAINERS[m],
    "kind": lambda k: OPERATOR_KINDS[k],
    "channel": lambda c: CHANNEL_NAMES[c],
    "int": lambda x: x,
    "order": lambda ds: " ".join(map(dispatcher_name, ds)),
}


@attrs.frozen
class ActionSpec:
    name: str
    actor: str
    go: str
    summary: str
    params: tuple  # ((param name, kind), ...)
    module: ModuleType
    ghost_params: tuple = ()


def _spec(name, actor, go, summary, params, module, ghost_params=()):
    return ActionSpec(name, actor, go, summary, tuple(params), module, tuple(ghost_params))


D, M = ("d", "dispatcher"), "maintainer"

ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        _spec("dml_fail", "sink", "AsyncRunCallback error path, Reporter.Report",
              "a message of an instance fails; its instance is blocked and the reporter gets (D, de)",
              [D, ("lifecycle", "int")], sink, ghost_params=("lifecycle",)),
        _spec("first_event", "dm", "BasicDispatcher.updateDispatcherStatusToWorking",
              "an initializing instance becomes working; Working to statuses and heartbeat", [D], dispatchers),
        _spec("move_maintainer", "environment", "coordinator maintainer move, Maintainer bootstrap",
              "the current maintainer becomes removing, another starts and sends its bootstrap",
              [("to", M)], maintainer),
        _spec("stop_maintainer", "environment", "Maintainer.Close",
              "a removing maintainer stops; its operators, attempts and queued requests are gone",
              [("m", M)], maintainer),
        _spec("add_operator", "environment", "operator.Controller.AddOperator",
              "another operator for D appears at the current maintainer", [D, ("kind", "kind")], maintainer),
        _spec("lose", "environment", "(network)", "the head of a lossy channel is dropped",
              [("channel", "channel")], channels),
        _spec("duplicate", "environment", "(network retry)", "the head of a duplicating channel is repeated",
              [("channel", "channel")], channels),
        _spec("dm_take_event", "dm",
              "collectRecoverableEvents, reconcileRecoverDispatchers, filterNonPending, enqueueRecoverDispatcherRequest",
              "the recover loop turns the head of events into one request", [], dm),
        _spec("dm_add_pending", "dm", "recoverTracker.add",
              "the recover loop writes the pending entries of the request it built", [], dm),
        _spec("dm_resend_tick", "dm", "resendPendingRecoverRequests",
              "resend unhandled local entries; clear removed non-local ones",
              [("order", "order")], dm),  # only with resend_order=any and 2 or more entries
        _spec("dm_timeout_tick", "dm", "reportRecoverPendingTimeout, recoverTracker.takeExpired",
              "a pending entry expired: fallback timeout", [], dm),
        _spec("dm_recv_response", "dm", "onRecoverDispatcherResponse",
              "the DM applies the head of responses[from]", [("from", M)], dm),
        _spec("dm_status", "dm", "collectComponentStatusWhenChanged, onDispatcherStatusForRecover",
              "the status loop reads a Working status and clears the recover state", [D], status_loop),
        _spec("dm_recv_schedule", "dm", "SchedulerDispatcherRequestHandler.Handle, removeDispatcher, newEventDispatchers",
              "the DM applies Remove(D) or Create(D) from schedule[from]", [("from", M)], dispatchers),
        _spec("dispatcher_close", "dm", "RemoveDispatcherTask.Execute, TryClose, cleanEventDispatcher",
              "a removing instance closes (by force when pending); Stopped to heartbeat", [D], dispatchers),
        _spec("dm_recv_bootstrap", "orchestrator", "DispatcherOrchestrator.handleBootstrapRequest",
              "the DM learns the new maintainer (and rebinds with the knob)", [], orchestrator),
        _spec("hbc_send", "collector", "HeartBeatCollector.sendRecoverDispatcherMessages",
              "the collector sends the head of requests to its target", [], collector),
        _spec("maintainer_recv_request", "maintainer:{m}", "recoverDispatcherHandler.handle, tryRecoverDispatcher",
              "maintainer m answers a recover request", [("m", M)], maintainer),
        _spec("maintainer_recv_status", "maintainer:{m}", "MoveDispatcherOperator.Check (operator status update)",
              "maintainer m reads a dispatcher status and drives its operator", [("m", M)], maintainer),
    )
}


def label_values(spec: ActionSpec, state, args: tuple) -> tuple:
    """The shown value of each parameter of ``spec`` for internal ``args`` in ``state``."""
    if spec.name == "dml_fail":  # internal args (d, i): the label shows the message's lifecycle
        d, i = args
        return (dispatcher_name(d), state.producer[d][i].lifecycle)
    return tuple(SHOW[kind](value) for (_, kind), value in zip(spec.params, args))


def actor_of(action: Action) -> str:
    actor = ACTIONS[action.name].actor
    return actor.replace("{m}", str(action.arg("m"))) if "{" in actor else actor
