"""``RecoverModel``: the engine interface over the actor modules.

Successors come in a deterministic order: the order of ``ACTIONS`` (docs/protocol.md, "Actions"),
then each action's enabled arguments in ascending internal order (dispatcher, maintainer and
channel indices). Once a fallback is raised there are no successors and the state is terminal.
No other state lacks successors: ``dm_resend_tick`` is enabled whenever the recover loop is not
between ``dm_take_event`` and ``dm_add_pending`` (and then ``dm_add_pending`` is), unless
``requests`` is full, and then ``hbc_send`` is. At quiescence the tick is a self-loop.
"""

from __future__ import annotations

from .actions import ACTIONS, Action, actor_of, label_values
from .observe import flatten, observe
from .state import MAINTAINERS, REQUESTS, STOPPED, dispatcher_name, initial_state, state_from_parts, state_parts
from .symmetry import orbit_key

_MASK = (1 << 64) - 1


class RecoverModel:
    def __init__(self, config):
        self.config = config
        # (spec, enabled-args function, transition, label cache) per action in scope, bound once;
        # a label cache maps internal args (for dml_fail: args, lifecycle and de) to the Action
        self._steps = tuple(
            (spec, getattr(spec.module, spec.name + "_args"), getattr(spec.module, spec.name), {})
            for spec in ACTIONS.values()
            if self.out_of_scope(spec.name) is None
        )
        # dml_fail's label shows a lifecycle and de its internal args do not hold: they join the key
        self._lifecycle_keyed = next((labels for spec, _, _, labels in self._steps if spec.name == "dml_fail"), None)

    # --- engine interface -----------------------------------------------------------------

    def init_states(self) -> list:
        return [initial_state(self.config)]

    def successors(self, state) -> list:
        if state.fallback:
            return []
        cfg = self.config
        lifecycle_keyed = self._lifecycle_keyed
        out = []
        append = out.append
        for spec, enabled, transition, labels in self._steps:
            for args in enabled(state, cfg):
                nxt = transition(state, cfg, *args)
                if nxt is not None:
                    key = (args, _message_of(state, args)) if labels is lifecycle_keyed else args
                    action = labels.get(key)
                    if action is None:
                        action = labels[key] = _label(spec, state, args)
                    append((action, nxt))
        return out

    def is_terminal(self, state) -> bool:
        return bool(state.fallback)

    def fields(self, state) -> dict:
        return flatten(observe(state))

    def observe(self, state) -> dict:
        return observe(state)

    # every leaf is an int or a bool and every node a tuple: hash() is process-independent;
    # the built-in itself, so a search calls no Python frame a transition
    fingerprint = staticmethod(hash)

    # the state in parts, for the batched search's frontier (explorer/batched.py); plain
    # functions, not methods: one call a state fewer
    parts = staticmethod(state_parts)
    from_parts = staticmethod(state_from_parts)

    def symmetry_problem(self) -> str | None:
        """Why renaming dispatchers is not a symmetry of this configuration, or ``None``.
        The config names no dispatcher (``model.symmetry``), but ``resend_order=sorted`` puts
        a lower index first in every resent batch, which a renaming does not preserve."""
        if self.config.dispatchers > 1 and self.config.resend_order != "any":
            return ("dispatchers are interchangeable only with resend_order=any "
                    "(resend_order=sorted resends in ascending dispatcher order)")
        return None

    def symmetric_fingerprint(self, state) -> int:
        """A fingerprint of ``state``'s orbit under permutations of dispatcher indices
        (``model.symmetry.orbit_key``): equal for states that differ only in which dispatcher
        is which. Stable under any PYTHONHASHSEED, like ``fingerprint``."""
        return hash(orbit_key(state)) & _MASK

    def action_names(self) -> tuple:
        return tuple(ACTIONS)

    def absorbing_actions(self) -> tuple:
        """Actions every step of which ends the behaviour (a terminal state), for the random
        walks' scheduler (``explorer.schedule``), which holds them back until late in a walk:
        the timeout fuse, enabled as soon as anything is pending, would otherwise end most
        walks within a few steps. A hint only: exhaustive search ignores it."""
        return ("dm_timeout_tick",) if self.config.timeout_fuse else ()

    def replica_args(self) -> dict:
        """The label argument that names a dispatcher, with every dispatcher's name: the
        dispatchers are interchangeable replicas, and the random walks' scheduler
        (``explorer.schedule``, ``focus``) keeps some of them idle in a walk, so that the
        behaviour's shared ``failures`` bound can go to one dispatcher's restart and its second
        failure. A hint only: exhaustive search ignores it."""
        return {"d": tuple(dispatcher_name(d) for d in range(self.config.dispatchers))}

    def actor(self, action: Action) -> str:
        return actor_of(action)

    def message_flow(self, state, action: Action) -> tuple | None:
        """(sender, receiver) of the message a step from ``state`` takes, for sequence diagrams;
        (sender, receiver, True) for one that is lost: ``hbc_send`` drops a request whose
        target maintainer has stopped."""
        m = action.arg("from") or action.arg("m")
        if action.name == "hbc_send":
            target = state.channels[REQUESTS][0].target
            if state.maintainers[target].status == STOPPED:
                return ("collector", f"maintainer:{MAINTAINERS[target]}", True)
        flows = {
            "dml_fail": ("sink", "dm"),
            "dm_take_event": ("sink", "dm"),
            "hbc_send": ("dm", "collector"),
            "maintainer_recv_request": ("collector", f"maintainer:{m}"),
            "dm_recv_response": (f"maintainer:{m}", "dm"),
            "dm_recv_schedule": (f"maintainer:{m}", "dm"),
            "dm_recv_bootstrap": (f"maintainer:{m}", "orchestrator"),
            "maintainer_recv_status": ("dm", f"maintainer:{m}"),
        }
        return flows.get(action.name)

    def go_function(self, action: Action) -> str:
        return ACTIONS[action.name].go

    def out_of_scope(self, name: str) -> str | None:
        """Why this config makes action ``name`` impossible, or ``None``."""
        cfg = self.config
        if name not in ACTIONS:
            raise KeyError(name)
        reasons = {
            "dml_fail": "messages_per_instance=0" if cfg.messages_per_instance == 0 else None,
            "first_event": (
                "initial_status=working and restart_budget=0"
                if cfg.initial_status == "working" and cfg.restart_budget == 0
                else None
            ),
            "move_maintainer": "maintainer_moves=0" if cfg.maintainer_moves == 0 else None,
            "stop_maintainer": "maintainer_moves=0" if cfg.maintainer_moves == 0 else None,
            "crash_maintainer": "crashes=0" if cfg.crashes == 0 else None,
            "dm_recv_bootstrap": "maintainer_moves=0 and crashes=0" if not cfg.maintainer_moves + cfg.crashes else None,
            "bootstrap_resend": (
                "maintainer_moves=0 and crashes=0" if not cfg.maintainer_moves + cfg.crashes
                and "bootstrap" not in cfg.lossy else None
            ),
            "reset": "resets=0" if cfg.resets == 0 else None,
            "add_operator": (
                "other_operators is empty" if not cfg.other_operators
                else "other_operator_limit=0" if cfg.other_operator_limit == 0 else None
            ),
            "lose": "no lossy channel" if not cfg.lossy else None,
            "duplicate": (
                "no duplicating channel" if not cfg.duplicating
                else "max_duplicates=0" if cfg.max_duplicates == 0 else None
            ),
            "dm_timeout_tick": "timeout_fuse=off" if not cfg.timeout_fuse else None,
        }
        return reasons.get(name)


# --- labels ------------------------------------------------------------------------------------


def _message_of(state, args) -> tuple:
    """The (lifecycle, de) of the message dml_fail's internal args ``(d, i)`` name."""
    d, i = args
    message = state.producer[d][i]
    return message.lifecycle, message.de


def _label(spec, state, args) -> Action:
    """The label of action ``spec`` with internal ``args`` in ``state``."""
    values = label_values(spec, state, args)
    return Action(spec.name, tuple(zip((p for p, _ in spec.params), values)))
