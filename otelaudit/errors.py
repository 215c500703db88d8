"""Exit codes and the errors the CLI reports.

    OtelauditError            a problem the user can act on; its message is one line
    └── UsageError            bad command-line input (exit 2)

A scenario that fails is data on its result, not an exception: `exit_code_for` maps
the worst failure of a scan to its exit code (the largest code wins).
"""

from __future__ import annotations

import enum
from typing import Iterable

from otelaudit.model import ScenarioResult


class ExitCode(enum.IntEnum):
    OK = 0
    INTERNAL_ERROR = 1
    USAGE = 2
    UNKNOWN_TARGET = 3
    NO_SCENARIO = 4
    MISSING_LIBRARY = 5
    NO_TELEMETRY = 6
    INSTRUMENT_FAILED = 7
    WORKLOAD_CRASHED = 8
    TIMEOUT = 9
    BUDGET_EXCEEDED = 10


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


def exit_code_for(results: Iterable[ScenarioResult]) -> ExitCode:
    code = ExitCode.OK
    for result in results:
        if result.failure is None:
            continue
        if result.failure.kind in INFORMATIONAL_UNLESS_TARGETED and not result.targeted:
            continue
        code = max(code, FAILURE_EXIT_CODES[result.failure.kind])
    return code
