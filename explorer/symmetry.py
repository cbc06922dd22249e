"""Symmetry reduction: search a model up to a symmetry of its states.

``SymmetricModel(model)`` is ``model`` with one change: its ``fingerprint`` is
``model.symmetric_fingerprint``, a fingerprint equal for every state of one orbit under the
model's symmetry group (for recover-check: permutations of dispatcher IDs). The engine is not
touched and knows nothing of it; this module does not import any model (duck typing).

Why traces stay real behaviours. The BFS stores only fingerprints. The first *actual* state of
an orbit it meets is the one it queues and expands; every later member of the orbit is taken
for "seen". A state keeps only its parent's index and its position in the parent's successor
list, and a trace is rebuilt by replaying those positions with ``model.successors`` on actual
states from an actual initial state. So every counterexample, witness and coverage count is an
actual behaviour of the unreduced model, and ``replay_trace`` on the plain model accepts it.

When the result equals the unreduced one. If the model's transition relation commutes with
every permutation ``p`` of the group (``successors(p(s)) == p(successors(s))`` as sets, and the
initial states are a union of orbits), the orbits the BFS meets are exactly the orbits of the
reachable states, at the same BFS depth; so a *symmetric* safety property (one whose truth is
unchanged when the dispatchers are renamed: an invariant or step property that quantifies
over every dispatcher) gets the same verdict, with a counterexample of the same (shortest)
length. "Distinct states" then counts orbits, not states.

What is refused. Liveness (``check_symmetry_safe``): its verdict is computed on the explored
graph, and in the quotient graph an edge into an already-seen orbit points at the orbit's
first member, not at the actual successor; a lasso built on it would not be an actual cycle,
and a per-dispatcher property (``P[d1]``) with per-action fairness is not invariant under
renaming in the first place. A property that names one dispatcher (``handled[d1]``) is not
symmetric and must not be checked with the reduction either (the engine cannot tell; the
caller must not ask).
"""

from __future__ import annotations


class SymmetricModel:
    """``model`` with ``fingerprint = model.symmetric_fingerprint``. A model whose
    ``symmetry_problem()`` names a reason (its transitions do not commute with the renaming in
    this configuration) is refused with ``ValueError``. Everything else (init_states,
    successors, is_terminal, fields, action_names, out_of_scope, actor, message_flow,
    go_function, config, observe, ...) is ``model``'s own, through ``__getattr__``."""

    def __init__(self, model) -> None:
        symmetric = getattr(model, "symmetric_fingerprint", None)
        if symmetric is None:
            raise TypeError(f"{type(model).__name__} has no symmetric_fingerprint: it declares no symmetry")
        problem = getattr(model, "symmetry_problem", None)
        reason = problem() if problem is not None else None
        if reason:  # a partial symmetry would silently drop orbits: "holds" would prove nothing
            raise ValueError(f"no symmetry reduction: {reason}")
        self.model = model
        # the one override: orbit members share a fingerprint. (Remembering it per state by the
        # state's own fingerprint, measured: no faster at 3 dispatchers with 2 failures, 7%
        # slower with a move too: the orbit key costs about 3 own fingerprints, a hit saves little.)
        self.fingerprint = symmetric

    def __getattr__(self, name):
        # only called for attributes not found on the wrapper itself
        return getattr(self.__dict__["model"], name)

    def __repr__(self) -> str:
        return f"SymmetricModel({self.model!r})"


def check_symmetry_safe(properties) -> None:
    """Raise ``ValueError`` (one line) if any of ``properties`` cannot be checked under the
    symmetry reduction: today, every liveness property (see the module docstring)."""
    liveness = [p.name for p in properties if getattr(p, "kind", None) == "liveness"]
    if liveness:
        raise ValueError(
            f"symmetry reduction checks safety only; drop the liveness properties "
            f"({', '.join(liveness)}) or run without --symmetry")
