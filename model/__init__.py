"""The recover-dispatcher protocol as a finite, immutable state machine (see docs/protocol.md).

Modules: ``config`` (knobs, bounds, presets), ``state`` (records and layout), ``channels``,
``sink`` (Kafka producer and reporter), ``dispatchers`` (instances, schedule requests, close),
``tracker`` (recover tracker), ``dm`` (recover loop and response handler), ``status_loop``,
``collector``, ``maintainer`` (incarnations and operators), ``orchestrator``, ``actions`` (the
``ACTIONS`` table), ``observe``, ``model`` (``RecoverModel``), ``scenario`` (replay), and
``abstractions`` (what the model leaves out and where it departs from the first reading of the protocol).
"""

from .actions import ACTIONS, Action
from .config import PRESETS, Config, ConfigError, make_config
from .model import RecoverModel


class ScenarioError(ValueError):
    """A scenario that cannot be replayed; the message is one line."""


__all__ = [
    "ACTIONS",
    "Action",
    "Config",
    "ConfigError",
    "PRESETS",
    "RecoverModel",
    "ScenarioError",
    "make_config",
]
