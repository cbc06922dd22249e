"""What the commands of the ``recover-check`` command line share: exit codes and the one-line
usage error, the model a command names (:class:`Target`, from ``--preset`` or ``--example``),
and the options that name it. :mod:`explorer.cli` builds the parser and runs the commands;
:mod:`explorer.simulate_cli` adds ``simulate``; both import from here, never from each other.
Like them, this module wires the engine, the model and the properties together.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any, Callable, Sequence

import attrs

from .examples import EXAMPLES

EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for any tool whose reader left

EXIT_CODES = ("exit codes: 0 every property holds, 1 a violation, 2 bad input (one line naming the "
              "problem), 3 incomplete (a bound cut the search: never read as holds), 130 interrupted "
              "(Ctrl-C: what was done is printed)")
EPILOG_WIDTH = 100
QUIET_HELP = ("hide the live progress display on stderr (it is shown only on a terminal); results, "
              "warnings and errors still print")


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class _StoreOnce(argparse._StoreAction):
    """A single-valued option given twice is a usage error, not 'the last one wins'."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("_given_once", set())
        if option_string is not None and self.dest in given:
            raise UsageError(f"{option_string} given twice: give it once")
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        for prose in ("description", "epilog"):  # the raw formatter keeps line breaks: wrap here
            if kwargs.get(prose):
                kwargs[prose] = textwrap.fill(kwargs[prose], EPILOG_WIDTH)
        super().__init__(*args, **kwargs)
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(message)


@attrs.frozen
class Target:
    """What to explore: a model, its properties, and how to rebuild it (for JSON round trips).
    ``property_names`` are the names ``pick`` accepts; ``pick(names)`` gives their properties
    (a per-dispatcher property gives one per dispatcher)."""

    model: Any
    properties: list
    context: dict[str, Any]
    title: str
    property_names: tuple[str, ...]
    pick: Callable[[Sequence[str]], list] = attrs.field(repr=False)


def pick_properties(target: Target, names: Sequence[str]) -> list:
    unknown = [n for n in names if n not in target.property_names]
    if unknown:
        raise UsageError(f"unknown property {unknown[0]!r} for {target.title} "
                         f"(known: {', '.join(target.property_names)})")
    return target.pick(names)


def every_property(target: Target) -> dict[str, Any]:
    """Every property the target's model can be checked against, by its (per-dispatcher) name."""
    return {p.name: p for p in target.pick(target.property_names)}


# -- targets ---------------------------------------------------------------------------------
def _parse_pairs(pairs: Sequence[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{what} takes key=value, got {pair!r}")
        if key in out:
            raise UsageError(f"{key} given twice ({what} {key}={out[key]} and {what} {pair}): give it once")
        out[key] = value.strip()
    return out


def example_target(name: str, params: dict[str, Any]) -> Target:
    factory = EXAMPLES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise UsageError(f"unknown example {name!r} (known: {', '.join(sorted(EXAMPLES))})")
    if not isinstance(params, dict):
        raise UsageError(f"the parameters of example {name} must be an object of name: number")
    try:
        model = factory(**{str(k): int(v) for k, v in params.items()})
    except (TypeError, ValueError, OverflowError) as exc:
        raise UsageError(f"bad parameter for example {name}: {exc}") from None
    properties = model.properties()
    names = tuple(p.name for p in properties)
    return Target(model, properties, {"example": name, "params": dict(params)},
                  f"{name} {' '.join(f'{k}={v}' for k, v in params.items())}".strip(), names,
                  lambda chosen: [p for p in properties if p.name in chosen])


def recover_target(preset: str, overrides: dict[str, Any]) -> Target:
    from invariants import PROPERTY_NAMES, properties_for
    from model import ConfigError, RecoverModel, make_config

    try:
        config = make_config(preset, overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    model = RecoverModel(config)
    return Target(model, properties_for(config), {"preset": preset, "config": dict(overrides)},
                  f"recover model, preset {preset}", PROPERTY_NAMES,
                  lambda chosen: properties_for(config, list(chosen)))


def target_from_context(context: Any) -> Target:
    """The target a JSON result's ``model`` object names."""
    if not isinstance(context, dict):
        raise UsageError("the JSON has no 'model' object to rebuild the model from")
    if "example" in context:
        return example_target(context["example"], context.get("params") or {})
    if "preset" in context:
        return recover_target(context["preset"], context.get("config") or {})
    raise UsageError("the JSON's 'model' names neither an example nor a preset")


CONFIG_FLAGS = ("dispatchers", "messages_per_instance", "maintainer_moves", "other_operators",
                "channel_capacity", "lossy", "duplicating", "restart_budget")


def config_overrides(args) -> dict[str, Any]:
    """``--set`` pairs and the config flags; a key given twice, either way, is refused."""
    overrides: dict[str, Any] = _parse_pairs(args.set, "--set")
    for key in CONFIG_FLAGS:
        value = getattr(args, key, None)
        if value is None:
            continue
        if key in overrides:
            raise UsageError(f"{key} given twice (--set {key}={overrides[key]} and "
                             f"--{key.replace('_', '-')} {value}): give it once")
        overrides[key] = value
    return overrides


def target_from_args(args) -> Target:
    """The model ``--preset`` or ``--example`` names (exactly one of them)."""
    params = _parse_pairs(args.param, "--param")
    overrides = config_overrides(args)
    if args.preset is not None and args.example is not None:
        raise UsageError("--preset and --example name two models: give one")
    if args.example is not None:
        if overrides:
            raise UsageError(f"{', '.join(overrides)}: config options apply to --preset; an example takes --param")
        return example_target(args.example, params)
    if params:
        raise UsageError("--param applies to --example; the recover model takes --set KNOB=VALUE")
    if args.preset is None:
        raise UsageError(f"{args.command} needs --preset ({', '.join(preset_names())}) "
                         f"or --example ({', '.join(sorted(EXAMPLES))})")
    return recover_target(args.preset, overrides)


def preset_names() -> tuple[str, ...]:
    from model import PRESETS

    return tuple(PRESETS)


def live_line(console, quiet: bool, waiting: str, line: Callable[[dict], str]):
    """A live line on a terminal, ``line(stats)`` at each update (``waiting`` before the first);
    nothing otherwise: (the Live to enter, the update function), or (None, None)."""
    from rich.live import Live
    from rich.text import Text

    if quiet or not console.is_terminal:
        return None, None
    live = Live(Text(waiting), console=console, transient=True, refresh_per_second=4)
    return live, lambda stats: live.update(Text(line(stats)))


# -- options -----------------------------------------------------------------------------------
def _add_model_choice(p: argparse.ArgumentParser) -> None:
    from model import PRESETS

    g = p.add_argument_group("what to explore (exactly one of --preset and --example)")
    g.add_argument("--preset", metavar="P", help=f"the recover model with a preset: {', '.join(PRESETS)}")
    g.add_argument("--example", metavar="NAME",
                   help=f"a bundled example model: {', '.join(sorted(EXAMPLES))}")
    g.add_argument("--param", action="append", metavar="K=V",
                   help="an example's parameter (repeatable): two_phase_commit and two_phase_naive rms=1..14 "
                        "(default 3); water_jug big=N small=N (default 5, 3); chameneos n=2..8 m=1..20 "
                        "(default 3, 3); klotski none")


def add_config_options(p: argparse.ArgumentParser) -> None:
    from model.config import BOUNDS, KNOBS, describe

    g = p.add_argument_group("config of the recover model (each key once; the table below lists every key)")
    g.add_argument("--set", action="append", metavar="KEY=VALUE", help="set a knob or bound (repeatable)")
    for key in CONFIG_FLAGS:
        g.add_argument("--" + key.replace("_", "-"), dest=key, metavar="VALUE",
                       help=f"the same as --set {key}=VALUE: {describe(key)}")
    width = max(map(len, KNOBS + BOUNDS)) + 4
    rows = "\n".join(textwrap.fill(describe(key), EPILOG_WIDTH, initial_indent=f"  {key:<{width - 2}}",
                                    subsequent_indent=" " * width) for key in KNOBS + BOUNDS)
    p.epilog = (p.epilog or "") + f"\n\nconfig keys (meaning; values; default):\n{rows}"


def add_model_options(p: argparse.ArgumentParser) -> None:
    _add_model_choice(p)
    add_config_options(p)


def add_output_options(p: argparse.ArgumentParser, what: str) -> None:
    """``--json``, ``--full`` and ``--quiet``, shared by every command that prints traces."""
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")
    p.add_argument("--full", action="store_true", help="show every field in traces, not only changes")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value
