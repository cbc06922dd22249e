"""The recover-dispatcher protocol's properties (PROTOCOL.md section 5) and the findings
catalog, over the model in ``model/`` and the property kinds of ``explorer/``."""

from .properties import LIVENESS, SAFETY, properties_for

PROPERTY_NAMES = tuple(SAFETY) + tuple(LIVENESS)

__all__ = ["LIVENESS", "PROPERTY_NAMES", "SAFETY", "properties_for"]
