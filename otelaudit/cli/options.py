"""Options declared once, for the command line and the pytest plugin alike (which adds
them with the `--otelaudit-` prefix, as pytest-benchmark shares its declarations with
its CLI). Each option's dest is the keyword of the typed options object it sets, values
are converted while parsing (`--precision 2%` becomes a PrecisionTarget, once), and an
option not given is left out, so the options object's own default applies."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from otelaudit.model import Arm
    from otelaudit.plan.adaptive import PrecisionTarget, StopRule

AddOption = Callable[..., Any]  # argparse's add_argument or pytest's addoption


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):  # NaN too: it compares false with everything
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def precision_target(text: str) -> "PrecisionTarget":
    from otelaudit.plan.adaptive import parse_target

    try:
        return parse_target(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def duration(text: str) -> float:
    from otelaudit.plan.adaptive import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


class Option(NamedTuple):  # immutable like a frozen dataclass, without importing dataclasses for --help
    flag: str  # without dashes or prefix
    dest: str  # the options object's keyword
    help: str
    settings: Mapping[str, Any] = {}  # type, action, metavar; never mutated

    def add(self, add_option: AddOption, prefix: str = "") -> None:
        add_option(f"--{prefix}{self.flag}", dest=dest(prefix, self.dest), default=None, help=self.help,
                   **self.settings)


ROUNDS = Option("rounds", "rounds", "interleaved rounds per scenario at least (default 10; 5 with --quick and in "
                "the pytest plugin)", {"type": positive_int, "metavar": "N"})
SECONDS_PER_RUN = Option("seconds-per-run", "seconds_per_run", "timed phase of each measuring process (default "
                         "0.3; 0.1 with --quick, --precision or --budget, and in the pytest plugin)",
                         {"type": positive_float, "metavar": "S"})
TIMEOUT = Option("timeout", "timeout_s", "kill a measuring process after this many seconds (default 120)",
                 {"type": positive_float, "metavar": "S"})
SEED = Option("seed", "seed", "seed for the round order, for a reproducible plan", {"type": int, "metavar": "N"})
PRECISION = Option("precision", "precision", "add rounds until the overhead's 95%% CI half-width is this small: "
                   "2%% (of the baseline CPU per op) or 3us", {"type": precision_target, "metavar": "TARGET"})
BUDGET = Option("budget", "budget_s", "... or until this much time has gone on the rounds of a scenario (e.g. 60s, "
                "2m); the report says which stopped them", {"type": duration, "metavar": "TIME"})
NO_CONTROL = Option("no-control", "control_arm", "skip the identical A/A arm that measures the noise floor "
                    "(faster, less honest)", {"action": "store_false"})
DETERMINISTIC = Option("deterministic", "deterministic", "also count instructions per operation (hardware "
                       "counters, else Valgrind) and report them beside time", {"action": "store_true"})

ARMS = Option("arms", "arms", "the timed arms, comma-separated, from baseline, api, sdk, export (default "
              "baseline,api,sdk); baseline and sdk are always run; export: the SDK with the real OTLP exporters "
              "sending to a loopback sink, reported over the sdk arm", {"metavar": "ARM,..."})
EXPORT_PROTOCOL = Option("export-protocol", "export_protocol", "the export arm's OTLP protocol (default "
                         "http/protobuf)", {"choices": ("http/protobuf", "grpc")})
KNOBS = Option("knobs", "knobs", "also measure what each applicable setting saves (sampler, exclude-spans, "
               "metrics-off, header-capture, log-correlation; default all): OA3xx findings with the exact setting",
               {"nargs": "?", "const": "all", "metavar": "NAMES"})
SOAK = Option("soak", "soak_ops", "a soak of N operations per arm: the overhead per operation early against late, "
              "as µs/op per 10k operations (default: two timed runs' worth; none with --quick)",
              {"type": positive_int, "metavar": "N"})

WIDE = Option("wide", "wide", "the terminal report as one wide row per instrumentor with every column, "
              "whatever the terminal's width (default: fit the terminal)", {"action": "store_true"})

PRECISION_OPTIONS = (PRECISION, BUDGET, NO_CONTROL, DETERMINISTIC)
# What the pytest plugin shares with `otelaudit scan`.
MEASUREMENT = (ROUNDS, SECONDS_PER_RUN, TIMEOUT, *PRECISION_OPTIONS)  # shared with the pytest plugin


def arms(text: str) -> "Tuple[Arm, ...]":
    """`--arms` as arms in their canonical order, baseline and sdk added; a name that is
    not an arm is a one-line usage error that offers the nearest."""
    import difflib

    from otelaudit.errors import UsageError
    from otelaudit.model import SELECTABLE_ARMS

    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in SELECTABLE_ARMS:
            near = difflib.get_close_matches(name, SELECTABLE_ARMS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise UsageError(f"--arms: unknown arm {name!r}{hint}; choose from {', '.join(SELECTABLE_ARMS)}")
    return tuple(arm for arm in SELECTABLE_ARMS if arm in names or arm in ("baseline", "sdk"))


def check_exporter(chosen: "Tuple[Arm, ...]", protocol: str) -> None:
    """The export arm without its exporter installed is bad input, said before any child runs."""
    import importlib.util

    from otelaudit.errors import UsageError

    module = "opentelemetry.exporter.otlp.proto." + ("grpc" if protocol == "grpc" else "http")
    if "export" in chosen and importlib.util.find_spec(module) is None:
        raise UsageError(f"--arms export over {protocol} needs {module.replace('.', '-')}: "
                         "pip install 'otelaudit[export]'")


def dest(prefix: str, keyword: str) -> str:
    return f"{prefix}{keyword}".replace("-", "_")


def add_all(add_option: AddOption, options: Sequence[Option], prefix: str = "") -> None:
    for option in options:
        option.add(add_option, prefix)


def keywords(values: Any, options: Sequence[Option], prefix: str = "") -> Dict[str, Any]:
    """The options given, by keyword: from an argparse Namespace, or from pytest's
    config through a `getoption`-like callable."""
    get = values if callable(values) else lambda name: getattr(values, name)
    found = {o.dest: get(dest(prefix, o.dest)) for o in options}
    return {name: value for name, value in found.items() if value is not None}


def stop_rule(rounds: int, target: "Optional[PrecisionTarget]", budget_s: Optional[float]) -> "StopRule":
    from otelaudit.plan.adaptive import DEFAULT_MAX_ROUNDS, StopRule

    return StopRule(rounds, max(DEFAULT_MAX_ROUNDS, rounds), target, budget_s)
