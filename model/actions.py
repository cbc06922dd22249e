"""The action vocabulary (docs/protocol.md, "Actions"): one table, ``ACTIONS``, from which the
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
        _spec("dml_fail", "sink", "AsyncRunCallback error path, Reporter.Report (sarama_async_producer.go, reporter.go)",
              "a message of an instance fails; its instance is blocked and the reporter gets (D, de)",
              [D, ("lifecycle", "int"), ("de", "int")], sink, ghost_params=("lifecycle",)),
        _spec("first_event", "dm", "BasicDispatcher.updateDispatcherStatusToWorking (basic_dispatcher.go)",
              "an initializing instance becomes working; Working to statuses and heartbeat", [D], dispatchers),
        _spec("reset", "environment", "dispatcherStat.reset, doReset (eventcollector/dispatcher_stat.go)",
              "the event collector resets D's stream: its dispatcherEpoch goes up by one", [D], dispatchers),
        _spec("move_maintainer", "environment",
              "MoveMaintainerOperator.Schedule (coordinator/operator/operator_move.go), Maintainer.onRemoveMaintainer",
              "the current maintainer becomes removing; the destination starts once it has stopped",
              [("to", M)], maintainer),
        _spec("stop_maintainer", "environment",
              "Maintainer.onRemoveMaintainer, Maintainer.Close (maintainer.go), MoveMaintainerOperator.Schedule",
              "a removing maintainer stops (its operators vanish); then the destination starts and bootstraps",
              [("m", M)], maintainer),
        _spec("crash_maintainer", "environment",
              "node removal, MoveMaintainerOperator.OnNodeRemove (coordinator/operator/operator_move.go), "
              "messageCenter.SendCommand (pkg/messaging/message_center.go)",
              "a maintainer's node crashes; sends to it fail; the other node takes over",
              [("m", M)], maintainer),
        _spec("add_operator", "environment", "operator.Controller.AddOperator (maintainer/operator/operator_controller.go)",
              "another operator for D appears at the current maintainer", [D, ("kind", "kind")], maintainer),
        _spec("lose", "environment", "(network)", "the head of a lossy channel is dropped",
              [("channel", "channel")], channels),
        _spec("duplicate", "environment", "(network retry)", "the head of a duplicating channel is repeated",
              [("channel", "channel")], channels),
        _spec("dm_take_event", "dm",
              "collectRecoverableEvents, reconcileRecoverDispatchers, filterNonPending, enqueueRecoverDispatcherRequest "
              "(dispatcher_manager.go)",
              "the recover loop turns the head of events into one request", [], dm),
        _spec("dm_add_pending", "dm", "recoverTracker.add (recover_tracker.go)",
              "the recover loop writes the pending entries of the request it built", [], dm),
        _spec("dm_resend_tick", "dm", "resendPendingRecoverRequests (dispatcher_manager.go)",
              "resend unhandled local entries; clear removed non-local ones",
              [("order", "order")], dm),  # only with resend_order=any and 2 or more entries
        _spec("dm_timeout_tick", "dm", "reportRecoverPendingTimeout (dispatcher_manager.go), recoverTracker.takeExpired",
              "a pending entry expired: fallback timeout", [], dm),
        _spec("dm_recv_response", "dm", "HeartBeatCollector.RecvMessages (heartbeat_collector.go), "
              "onRecoverDispatcherResponse (dispatcher_manager.go)",
              "the DM applies the head of responses[from]", [("from", M)], dm),
        _spec("dm_status", "dm", "collectComponentStatusWhenChanged, onDispatcherStatusForRecover (dispatcher_manager.go)",
              "the status loop reads a Working status and clears the recover state", [D], status_loop),
        _spec("dm_recv_schedule", "dm",
              "SchedulerDispatcherRequestHandler.Handle (helper.go), removeDispatcher, prepareMergeDispatcher, "
              "newEventDispatchers (dispatcher_manager_helper.go)",
              "the DM applies Remove(D), Create(D) or a merge request from schedule[from]", [("from", M)], dispatchers),
        _spec("dispatcher_close", "dm", "RemoveDispatcherTask.Execute (task.go), TryClose (basic_dispatcher.go), "
              "getDispatcherStatus, cleanEventDispatcher",
              "a removing instance closes (by force when pending); Stopped to heartbeat", [D], dispatchers),
        _spec("dm_heartbeat", "dm", "HeartBeatTask.Execute (task.go), aggregateDispatcherHeartbeats",
              "the periodic complete heartbeat tells the maintainer what changed about D", [D], dispatchers),
        _spec("dm_recv_bootstrap", "orchestrator",
              "DispatcherOrchestrator.handleBootstrapRequest (dispatcher_orchestrator.go), createBootstrapResponse",
              "the DM takes the first bootstrap from node `from` as its maintainer (and rebinds with the knob); "
              "the answer initializes the maintainer running there", [("from", M)], orchestrator),
        _spec("hbc_send", "collector", "HeartBeatCollector.sendRecoverDispatcherMessages (heartbeat_collector.go)",
              "the collector sends the head of requests to its target", [], collector),
        _spec("bootstrap_resend", "maintainer:{m}", "Bootstrapper.handleResendMessage (pkg/bootstrap/bootstrap.go)",
              "an uninitialized maintainer sends its bootstrap again", [("m", M)], maintainer),
        _spec("maintainer_recv_request", "maintainer:{m}",
              "Maintainer.onRecoverDispatcherRequest, recoverDispatcherHandler.handle, tryRecoverDispatcher "
              "(maintainer/recoverable.go)",
              "maintainer m answers a recover request", [("m", M)], maintainer),
        _spec("operator_send", "maintainer:{m}",
              "operator.Controller.Execute, MoveDispatcherOperator.Schedule (maintainer/operator/operator_move.go)",
              "m's operator for D sends its current command (again while its phase is unchanged)",
              [("m", M), D], maintainer),
        _spec("maintainer_recv_status", "maintainer:{m}",
              "Maintainer.onHeartbeatRequest (maintainer.go), Controller.HandleStatus, MoveDispatcherOperator.Check",
              "maintainer m reads a dispatcher status and drives its operator", [("m", M)], maintainer),
    )
}


def label_values(spec: ActionSpec, state, args: tuple) -> tuple:
    """The shown value of each parameter of ``spec`` for internal ``args`` in ``state``."""
    if spec.name == "dml_fail":  # internal args (d, i): the label shows the message's lifecycle and de
        d, i = args
        message = state.producer[d][i]
        return (dispatcher_name(d), message.lifecycle, message.de)
    return tuple(SHOW[kind](value) for (_, kind), value in zip(spec.params, args))


def actor_of(action: Action) -> str:
    actor = ACTIONS[action.name].actor
    return actor.replace("{m}", str(action.arg("m"))) if "{" in actor else actor
