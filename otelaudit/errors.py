"""Exit codes and every error otelaudit raises, in one tree:

    OtelauditError                  a problem the user can act on; its message is one line (exit 1)
    ├── UsageError                  bad command-line input (exit 2)
    │   ├── ReportFormatError       a file that is no otelaudit report: corrupt, foreign (also a ValueError)
    │   └── UnknownKnobError        `--knobs` naming a setting otelaudit does not know (exit 13)
    ├── UnknownTargetError          no instrumentor, distribution or version by that name (exit 3)
    │   └── EnvironmentBuildError   the version asked for cannot be installed
    ├── ScenarioError               a scenario that cannot be defined or found again (exit 4)
    ├── IndexUnreachableError       the package index cannot be reached (exit 12)
    ├── ServerError                 a loopback server did not start (a crashed workload, exit 8)
    │   ├── ServerMissing           its software is not installed here (exit 5)
    │   └── PortInUseError          the loopback port asked for is taken (exit 14)
    └── CountingError               instruction counting failed (a warning on the result)

Third-party and OS errors are translated where they cross into otelaudit, with the cause
chained (`raise ServerError(...) from error`). A scenario that fails is data on its
result, not an exception: `exit_code_for` maps the worst failure of a scan to its exit
code (the largest code wins). Inside a measuring child, failures become that data before
they reach the parent. An interrupted command (Ctrl-C, or SIGTERM, which the CLI turns
into one) exits 130. Imports nothing heavy: the CLI imports it before anything else.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from otelaudit.model.report import ScenarioResult


class ExitCode(enum.IntEnum):
    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    UNKNOWN_TARGET = 3
    NO_SCENARIO = 4
    MISSING_LIBRARY = 5
    NO_TELEMETRY = 6
    INSTRUMENT_FAILED = 7
    WORKLOAD_CRASHED = 8  # a measuring child crashed, or was killed by a signal twice (it is retried once)
    TIMEOUT = 9  # a measuring child outlived --timeout (in its workload or before it began)
    BUDGET_EXCEEDED = 10
    OUTPUT_FAILED = 11  # a report file could not be written; the others and the table were
    INDEX_UNREACHABLE = 12  # compare: the package index did not answer
    UNKNOWN_KNOB = 13  # scan --knobs: no such setting
    PORT_IN_USE = 14  # app --server --port N: another process listens there


FAILURE_EXIT_CODES = {
    "unknown-target": ExitCode.UNKNOWN_TARGET,
    "no-scenario": ExitCode.NO_SCENARIO,
    "missing-library": ExitCode.MISSING_LIBRARY,
    "no-telemetry": ExitCode.NO_TELEMETRY,
    "instrument-failed": ExitCode.INSTRUMENT_FAILED,
    "workload-crashed": ExitCode.WORKLOAD_CRASHED,
    "timeout": ExitCode.TIMEOUT,
}

# Reported in a scan of everything installed, but not a failure of that scan: a user's
# environment often holds instrumentors for libraries it does not have.
INFORMATIONAL_UNLESS_TARGETED = {"no-scenario", "missing-library"}


class OtelauditError(Exception):
    exit_code = ExitCode.INTERNAL_ERROR


class UsageError(OtelauditError):
    exit_code = ExitCode.USAGE


class ReportFormatError(UsageError, ValueError):
    """Also a ValueError, as the JSON and codec errors it translates were."""


class UnknownKnobError(UsageError):
    exit_code = ExitCode.UNKNOWN_KNOB


class UnknownTargetError(OtelauditError):
    exit_code = ExitCode.UNKNOWN_TARGET


class EnvironmentBuildError(UnknownTargetError):
    """The version asked for cannot be installed: for the user, a target that is not there."""


class IndexUnreachableError(OtelauditError):
    exit_code = ExitCode.INDEX_UNREACHABLE


class ScenarioError(OtelauditError):
    exit_code = ExitCode.NO_SCENARIO


class ServerError(OtelauditError):
    exit_code = ExitCode.WORKLOAD_CRASHED


class ServerMissing(ServerError):
    """The server's software is not installed: the scenario is not covered here."""

    exit_code = ExitCode.MISSING_LIBRARY


class PortInUseError(ServerError):
    exit_code = ExitCode.PORT_IN_USE


class CountingError(OtelauditError):
    pass


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' (did you mean X?)' naming the closest of `choices`, or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:  # case and separators are the commonest typos: package_metadata for package-metadata
        wanted = word.lower().replace("_", "-")
        close = [c for c in choices if c.lower().replace("_", "-") == wanted][:1]
    return f" (did you mean {close[0]}?)" if close else ""


def exit_code_for(results: Iterable[ScenarioResult]) -> ExitCode:
    code = ExitCode.OK
    for result in results:
        if result.failure is None:
            continue
        if result.failure.kind in INFORMATIONAL_UNLESS_TARGETED and not result.targeted:
            continue
        code = max(code, FAILURE_EXIT_CODES[result.failure.kind])
    return code
