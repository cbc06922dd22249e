"""Helpers shared by the engine tests that compare one search with another."""


def outcome(result):
    """Everything a search reports that must not depend on the engine or the worker count."""
    return (result.distinct, result.generated, result.depth, result.truncated,
            {name: (v.status, None if v.trace is None else [(str(s.action), s.state) for s in v.trace.steps])
             for name, v in result.verdicts.items()},
            [(c.name, c.fired, c.new_states) for c in result.coverage])


class OneStateOnly:
    """A model's one-state interface alone: the batched search must loop over its states."""

    def __init__(self, model):
        self.init_states, self.successors = model.init_states, model.successors
        self.is_terminal = getattr(model, "is_terminal", lambda s: False)
        self.fingerprint = getattr(model, "fingerprint", None)
        if hasattr(model, "action_names"):
            self.action_names = model.action_names
