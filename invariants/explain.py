"""Explained counterexamples of the recover model: the engine's explanation
(:mod:`explorer.explain`) with what only this model knows: which knob changes are the candidate
fixes, and how a step is named so that it replays under another configuration.

Candidate fixes: every single knob change to a value that ``proposed`` or another preset gives
that knob, and each other preset whole. The knobs a check sets itself (the fuse, an isolation
such as ``working_clears=never``) define the scenario and are kept; so are the bounds. Blocking
this trace is not closing the finding: another trace may still violate under that knob (the
findings table says whether one does).

Whether a counterexample is a run of its preset itself (:func:`on_preset_itself`): replayed with
the check's isolation knobs at the preset's values. On ``pr4139`` a trace that is not may hold a
step the Go code takes otherwise (docs/trace_audit.md).
"""

from __future__ import annotations

import attrs

from explorer.evidence import evidence
from explorer.explain import MAX_NODES, Explanation, Variant, explain
from explorer.trace import TraceError, replay_trace, trace_to_json
from model import PRESETS, RecoverModel, make_config
from model.config import KNOBS, value_text
from model.scenario import matches

from .catalog import PRESET_ORDER, CheckOutcome
from .properties import properties_for


def portable_step(action) -> dict:
    """A trace step as a scenario names it (``model.scenario``), without what another
    configuration computes differently for the same step: ``dml_fail``'s ``de`` (the epoch
    policy decides it; the failing instance is named by ``d`` and its lifecycle)."""
    step = {"action": action.name, **dict(action.args)}
    if action.name == "dml_fail":
        del step["de"]
    return step


def replays_as(action, wanted) -> bool:
    """Whether ``action`` (of some configuration) is the step ``wanted`` (of another)."""
    return matches(action, portable_step(wanted))


def property_named(config, base: str, name: str):
    """The property ``name`` (``no_silent_stall[d1]``, say) among those of ``base`` on ``config``."""
    return next(p for p in properties_for(config, [base]) if p.name == name)


def knob_changes(preset: str, fixed: dict) -> list[tuple[str, dict]]:
    """(name, overrides) of each candidate fix on ``preset``: single knob changes to a value some
    preset gives that knob, then each other preset; knobs in ``fixed`` stay as they are."""
    here = PRESETS[preset]
    free = [k for k in KNOBS if k not in fixed]
    changes = []
    for knob in free:
        for value in dict.fromkeys(PRESETS[p][knob] for p in PRESET_ORDER):
            if value != here[knob]:
                changes.append((f"{knob}={value_text(value)}", {knob: value}))
    for other in PRESET_ORDER:
        if other != preset:
            changes.append((f"preset {other}", {k: PRESETS[other][k] for k in free if PRESETS[other][k] != here[k]}))
    return changes


def knob_variants(preset: str, fixed: dict, base: str, name: str) -> list[Variant]:
    """The models and properties to replay a counterexample of ``name`` on (see above)."""
    variants = []
    for label, change in knob_changes(preset, fixed):
        config = make_config(preset, {**fixed, **change})
        variants.append(Variant(label, RecoverModel(config), property_named(config, base, name)))
    return variants


def kept_note(fixed: dict) -> str:
    kept = [f"{k}={value_text(v)}" for k, v in fixed.items() if k in KNOBS]
    return ("knobs the check sets itself are kept: " + ", ".join(kept)) if kept else ""


def explain_trace(preset: str, fixed: dict, base: str, model, prop, trace, max_nodes: int = MAX_NODES,
                  max_states: int | None = None) -> Explanation:
    """The explanation of ``trace``, a counterexample to ``prop`` (one of property ``base``) on
    ``model`` = ``preset`` with overrides ``fixed`` (the caps are the nearest-run search's)."""
    variants = knob_variants(preset, fixed, base, prop.name)
    return explain(model, prop, trace, variants, replays_as, max_nodes, kept_note(fixed), max_states)


def explain_outcome(outcome: CheckOutcome, max_nodes: int = MAX_NODES) -> Explanation:
    """The explanation of a check's counterexample (a finding's, in the report)."""
    check = outcome.check
    prop = property_named(outcome.model.config, check.prop, outcome.property_name)
    return explain_trace(outcome.preset, dict(check.config), check.prop, outcome.model, prop, outcome.trace, max_nodes)


# A knob a check sets that asks its property's question rather than isolating a neighbour's
# mechanism: `recovers_without_fuse` asks what happens with the fuse off, on any preset. (A
# finding's dropped assumption is its question too: :attr:`Finding.assumption_knobs`.)
FRAMING = ("timeout_fuse",)


@attrs.frozen
class OnPreset:
    """Whether a counterexample is a run of its preset itself. ``isolation`` (knob -> the
    check's value) are the knobs the check changes to keep another finding's mechanism out,
    ``framing`` those that ask its own question (the fuse off, a dropped assumption). With the
    isolation knobs at the preset's values the trace is replayed field for field: ``shows`` is
    what it still shows there (:func:`explorer.evidence.evidence`), or ``failure`` why it is no
    such run (the first step that goes otherwise, or what it no longer shows)."""

    preset: str
    isolation: dict
    framing: dict
    shows: str | None = None
    failure: str | None = None

    @property
    def replays(self) -> bool:
        return self.failure is None

    def text(self) -> str:
        preset = f"`{self.preset}`"
        framing = f" It also changes {_knobs(self.framing)}: its question, not an isolation." if self.framing else ""
        if not self.isolation:
            return f"A run of {preset} with no isolation knob.{framing}"
        ours, theirs = _knobs(self.isolation), _knobs({k: PRESETS[self.preset][k] for k in self.isolation})
        if self.replays:
            return (f"A run of {preset} without the check's isolation too: with {theirs} instead of {ours}, it "
                    f"replays field for field and shows {self.shows}.{framing}")
        return (f"**Not a run of {preset} without the check's isolation**: with {theirs} instead of {ours}, "
                f"{self.failure}. This trace needs the isolation: the verdict on {preset} rests on the check's "
                f"configuration, isolation included.{framing}")


def _knobs(values: dict) -> str:
    return ", ".join(f"`{k}={value_text(v)}`" for k, v in values.items())


def on_preset_itself(outcome: CheckOutcome, framing: tuple[str, ...] = FRAMING) -> OnPreset:
    """Replay ``outcome``'s counterexample on its preset with the check's isolation knobs (every
    knob it changes from the preset's value but those in ``framing``) at the preset's values. On
    ``pr4139`` this asks whether the Go code can take the trace as printed: an isolation knob
    may remove a behaviour of Go's that the trace's order depends on."""
    fixed, preset = dict(outcome.check.config), outcome.preset
    changed = {k: v for k, v in fixed.items() if k in KNOBS and v != PRESETS[preset][k]}
    isolation = {k: v for k, v in changed.items() if k not in framing}
    framed = {k: v for k, v in changed.items() if k in framing}
    if not isolation:
        return OnPreset(preset, {}, framed)
    config = make_config(preset, {k: v for k, v in fixed.items() if k not in isolation})
    model = RecoverModel(config)
    prop = property_named(config, outcome.check.prop, outcome.property_name)
    try:
        replayed = replay_trace(model, trace_to_json(outcome.model, outcome.trace))
        return OnPreset(preset, isolation, framed, shows=evidence(model, prop, replayed))
    except TraceError as exc:
        return OnPreset(preset, isolation, framed, failure=str(exc))
