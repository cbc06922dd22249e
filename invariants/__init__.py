"""The recover-dispatcher protocol's properties (docs/protocol.md, "Properties") and the findings
catalog, over the model in ``model/`` and the property kinds of ``explorer/``."""

from .properties import LIVENESS, SAFETY, properties_for

PROPERTY_NAMES = tuple(SAFETY) + tuple(LIVENESS)

__all__ = ["LIVENESS", "PROPERTY_NAMES", "SAFETY", "properties_for"]
