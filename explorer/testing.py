"""Assertions for running properties under pytest (or any test runner), in the manner of
Stateright's ``assert_properties`` and Hypothesis' falsifying examples: a failure raises an
``AssertionError`` whose message is the readable counterexample (the fields each step
changed) and, when the caller knows one, the command that reproduces it.

    from explorer.testing import assert_holds, assert_violated, assert_sometimes

    assert_holds(model, properties, max_states=100_000)
    trace = assert_violated(model, [prop]).verdicts[prop.name].trace

A search cut short by a bound fails every assertion with "incomplete": what was not explored
proves neither that a property holds nor that it cannot be violated. Each returns the
:class:`~explorer.result.Result` on success. ``bounds`` are :func:`explorer.explore`'s keyword
arguments (``max_states``, ``max_depth``, ``max_seconds``, ``deadlock``, ``engine`` ...).
"""

from __future__ import annotations

from .result import HOLDS, INCOMPLETE, VIOLATED, Result, Verdict
from .checker import explore
from .trace import trace_text


def assert_holds(model, properties, *, reproduce: str | None = None, **bounds) -> Result:
    """Every property holds (and deadlock, unless ``deadlock=False``) on an exhaustive search."""
    result = explore(model, properties, **bounds)
    failures = [_violation_text(model, v) for v in result.verdicts.values() if v.status == VIOLATED]
    _fail_if(failures + _incomplete(result, result.verdicts), reproduce)
    return result


def assert_violated(model, properties, *, reproduce: str | None = None, **bounds) -> Result:
    """Every one of ``properties`` is violated (the others the search checks are not asked about)."""
    return _assert_each(model, properties, HOLDS, "{name} holds on all {states:,} reachable states: "
                        "expected a violation", reproduce, bounds)


def assert_sometimes(model, properties, *, reproduce: str | None = None, **bounds) -> Result:
    """Every one of ``properties`` (``Sometimes``) has a reachable witness."""
    not_sometimes = [p.name for p in properties if p.kind != "sometimes"]
    if not_sometimes:
        raise TypeError(f"assert_sometimes takes Sometimes properties, not {', '.join(not_sometimes)}")
    return _assert_each(model, properties, VIOLATED, "{name}: no reachable state satisfies it "
                        "({states:,} states, exhaustive)", reproduce, bounds)


def _assert_each(model, properties, wrong: str, message: str, reproduce: str | None, bounds) -> Result:
    """Fail with ``message`` for each of ``properties`` whose verdict is ``wrong``."""
    result = explore(model, properties, **bounds)
    asked = {p.name: result.verdicts[p.name] for p in properties}
    problems = [message.format(name=name, states=result.distinct) for name, v in asked.items() if v.status == wrong]
    _fail_if(problems + _incomplete(result, asked), reproduce)
    return result


def _incomplete(result: Result, verdicts: dict[str, Verdict]) -> list[str]:
    undecided = [name for name, v in verdicts.items() if v.status == INCOMPLETE]
    if not undecided:
        return []
    return [f"incomplete: {', '.join(undecided)} undecided; the search was cut short "
            f"({result.truncated}) after {result.distinct:,} states"]


def _fail_if(problems: list[str], reproduce: str | None) -> None:
    if problems:
        tail = [f"reproduce: {reproduce}"] if reproduce else []
        raise AssertionError("\n".join(problems + tail))


def _violation_text(model, verdict: Verdict) -> str:
    head = f"{verdict.name} violated ({verdict.kind})"
    if verdict.message:
        head += f": {verdict.message}"
    if verdict.trace is None:
        return head
    return head + "\n" + trace_text(model, verdict.trace)
