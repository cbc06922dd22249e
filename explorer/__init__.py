"""recover-check's generic model-checking engine.

It knows nothing about TiCDC: a model is any object with ``init_states()`` and
``successors(state)`` (see :mod:`explorer.search` for the optional methods). ``explore`` runs an
exhaustive breadth-first search and checks invariants, step properties, "sometimes" properties,
deadlock and liveness under weak or strong fairness.
"""

from .properties import (
    Failed,
    Invariant,
    Liveness,
    Sometimes,
    StepProperty,
    always_eventually,
    clauses,
    eventually_always,
    leads_to,
)
from .result import HOLDS, INCOMPLETE, VIOLATED, Result, Step, Trace, Verdict
from .checker import explore

__all__ = [
    "HOLDS", "INCOMPLETE", "VIOLATED", "Failed", "Invariant", "Liveness", "Result", "Sometimes", "Step",
    "StepProperty", "Trace", "Verdict", "always_eventually", "clauses", "eventually_always", "explore",
    "leads_to",
]
