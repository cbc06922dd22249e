"""The findings catalog (``shared/FINDINGS.md``) as data, and how a verdict is computed.

A finding is decided by one or more *checks*: a property (by name, see
:mod:`invariants.properties`) on a configuration (config overrides applied on top of each
preset). Its verdict on a preset is computed by exhaustive exploration, never typed in:

* **violated**: some check's property is violated (the shortest counterexample is kept);
* **holds**: every check's property holds and every search was exhaustive;
* **boundary**: every check holds, and the finding's *assumption-dropped* check (the same
  property with the stated assumption taken away, e.g. the fuse turned off) is violated: safe
  only under that assumption, whose counterexample the report shows;
* **incomplete**: a search was cut by a bound before a verdict could be reached.

Some checks add *isolation* overrides (documented per finding) that switch off a mechanism of
another finding, so that a verdict speaks about this finding's mechanism and not about a
neighbour's: they are applied to every preset alike.

On ``proposed`` every check also runs with one more maintainer move (up to the bound of two):
a fix must survive a move. A finding may list *hypothetical* checks: configurations Go cannot
produce (a move that bumps the changefeed epoch), run and reported under that label, never
counted in a verdict.
"""

from __future__ import annotations

from typing import Callable

import attrs

from explorer import explore
from explorer.result import HOLDS, INCOMPLETE, VIOLATED, Result, Trace

from .properties import properties_for

BOUNDARY = "boundary"
PRESET_ORDER = ("pr4139", "design", "proposed")

# The documents (the design and its review replies) claim what *the design* achieves, so a
# finding's ``claimed`` verdict is compared with its verdict on ``design`` only: ``pr4139`` is
# the code before the design's fixes (the findings are open against it, claimed nothing) and
# ``proposed`` is this project's fixes, which the documents do not describe.
CLAIMS_DESCRIBE = "design"
CLAIM_SCOPE = ("The documents' claims are compared with the design preset only: they describe the "
               "design; pr4139 is the code before its fixes and proposed this project's fixes.")


@attrs.frozen
class Check:
    """One property on one configuration (overrides on top of the preset)."""

    prop: str
    config: dict = attrs.field(factory=dict)
    why: str = ""  # what this configuration isolates or exercises


@attrs.frozen
class Finding:
    id: str
    title: str
    documents: str
    claim: str  # what the documents claim
    expected: str  # what FINDINGS.md expected from reading the code
    checks: tuple[Check, ...]
    claimed: str | None = None  # the verdict the documents imply for `design`, if they imply one
    assumption: str = ""  # for a boundary: the assumption the verdict rests on
    dropped: Check | None = None  # the check with that assumption taken away
    hypothetical: tuple[Check, ...] = ()  # what-if checks Go cannot produce: reported, never decisive


@attrs.frozen
class CheckOutcome:
    check: Check
    preset: str
    status: str
    states: int
    seconds: float
    trace: Trace | None
    model: object = attrs.field(repr=False, eq=False)
    property_name: str = ""  # the (per-dispatcher) property that decided it


@attrs.frozen
class FindingVerdict:
    finding: Finding
    preset: str
    status: str
    outcomes: tuple[CheckOutcome, ...]
    dropped: CheckOutcome | None = None
    hypothetical: tuple[CheckOutcome, ...] = ()

    @property
    def all_outcomes(self) -> tuple[CheckOutcome, ...]:
        """Every check run for this cell: the deciding ones, the assumption-dropped one, and the
        hypothetical ones."""
        return self.outcomes + ((self.dropped,) if self.dropped else ()) + self.hypothetical

    @property
    def states(self) -> int:
        return sum(o.states for o in self.all_outcomes)

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.all_outcomes)

    @property
    def disagrees_with_documents(self) -> bool | None:
        """Whether the verdict differs from what the documents claim; None where nothing is
        compared: another preset than ``CLAIMS_DESCRIBE``, a finding the documents claim no
        verdict for, or a verdict not reached. The one definition every output shows."""
        claimed = self.finding.claimed
        if self.preset != CLAIMS_DESCRIBE or claimed is None or self.status == INCOMPLETE:
            return None
        return self.status != claimed

    @property
    def counterexample(self) -> CheckOutcome | None:
        """The outcome whose trace the report shows: the violated check, or for a boundary the
        assumption-dropped one."""
        for outcome in self.outcomes:
            if outcome.status == VIOLATED:
                return outcome
        if self.status == BOUNDARY:
            return self.dropped
        return None


def run_check(check: Check, preset: str, *, max_seconds: float | None = None,
              progress: Callable[[dict], None] | None = None) -> CheckOutcome:
    from model import RecoverModel, make_config

    config = make_config(preset, check.config)
    model = RecoverModel(config)
    props = properties_for(config, [check.prop])
    result: Result = explore(model, props, deadlock=False, max_seconds=max_seconds, progress=progress)
    if result.interrupted:  # the search caught Ctrl-C to return what it had; a verdict needs all
        raise KeyboardInterrupt
    decided = [v for v in result.verdicts.values() if v.status == VIOLATED]
    if decided:
        verdict = min(decided, key=lambda v: len(v.trace))
        status, trace, name = VIOLATED, verdict.trace, verdict.name
    else:
        status = HOLDS if all(v.status == HOLDS for v in result.verdicts.values()) else INCOMPLETE
        trace, name = None, check.prop
    return CheckOutcome(check, preset, status, result.distinct, result.elapsed, trace, model, name)


MOVE_BOUND = 2  # model.config's bound on maintainer_moves
ONE_MORE_MOVE_ON = ("proposed",)


def with_one_more_move(check: Check) -> Check | None:
    """``check`` with one more maintainer move, or ``None`` at the bound."""
    moves = check.config.get("maintainer_moves", 0)
    if moves >= MOVE_BOUND:
        return None
    why = f"{check.why}; one more maintainer move" if check.why else "one more maintainer move"
    return Check(check.prop, dict(check.config, maintainer_moves=moves + 1), why)


def checks_on(finding: Finding, preset: str) -> tuple[Check, ...]:
    """The checks that decide ``finding`` on ``preset``: its own, and on ``proposed`` each again
    with one more maintainer move."""
    checks = finding.checks
    if preset in ONE_MORE_MOVE_ON:
        checks += tuple(c for c in map(with_one_more_move, finding.checks) if c is not None)
    return checks


def decide(finding: Finding, preset: str, **options) -> FindingVerdict:
    outcomes = tuple(run_check(c, preset, **options) for c in checks_on(finding, preset))
    hypothetical = tuple(run_check(c, preset, **options) for c in finding.hypothetical)
    statuses = {o.status for o in outcomes}
    if VIOLATED in statuses:
        return FindingVerdict(finding, preset, VIOLATED, outcomes, hypothetical=hypothetical)
    if INCOMPLETE in statuses:
        return FindingVerdict(finding, preset, INCOMPLETE, outcomes, hypothetical=hypothetical)
    if finding.dropped is None:
        return FindingVerdict(finding, preset, HOLDS, outcomes, hypothetical=hypothetical)
    dropped = run_check(finding.dropped, preset, **options)
    status = {VIOLATED: BOUNDARY, HOLDS: HOLDS}.get(dropped.status, INCOMPLETE)
    return FindingVerdict(finding, preset, status, outcomes, dropped, hypothetical)

