"""otelaudit: measure the overhead OpenTelemetry instrumentations add to Python services.

The public face: everything in `__all__` is imported from here (`from otelaudit import
scan, Scenario`). Names load on first use (PEP 562): every measuring child starts with
`python -m otelaudit.child.X`, which imports this module first, and the cold-start child
must not find the library's imports done already, so importing it imports nothing.
"""

__version__ = "0.1.0"

# The module that defines each public name.
_HOMES = {
    "otelaudit.coldstart.audit": ("ColdStartOptions", "cold_start"),
    "otelaudit.errors": ("CountingError", "EnvironmentBuildError", "ExitCode", "OtelauditError", "ReportFormatError",
                         "ScenarioError", "ServerError", "ServerMissing", "UnknownTargetError", "UsageError"),
    "otelaudit.model": ("Failure", "Finding", "Report", "ScenarioResult", "Telemetry"),
    "otelaudit.pipeline": ("ScanOptions", "scan"),
    "otelaudit.scenarios.api": ("Scenario", "Workload", "WorkloadContext"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ColdStartOptions",
    "CountingError",
    "EnvironmentBuildError",
    "ExitCode",
    "Failure",
    "Finding",
    "OtelauditError",
    "Report",
    "ReportFormatError",
    "ScanOptions",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "ServerError",
    "ServerMissing",
    "Telemetry",
    "UnknownTargetError",
    "UsageError",
    "Workload",
    "WorkloadContext",
    "__version__",
    "cold_start",
    "scan",
]

# Not `typing.TYPE_CHECKING`: importing typing here would be an import the face must not make.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from otelaudit.coldstart.audit import ColdStartOptions, cold_start
    from otelaudit.errors import (CountingError, EnvironmentBuildError, ExitCode, OtelauditError, ReportFormatError,
                                  ScenarioError, ServerError, ServerMissing, UnknownTargetError, UsageError)
    from otelaudit.model import Failure, Finding, Report, ScenarioResult, Telemetry
    from otelaudit.pipeline import ScanOptions, scan
    from otelaudit.scenarios.api import Scenario, Workload, WorkloadContext
del TYPE_CHECKING


def __getattr__(name: str) -> object:
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'otelaudit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(__all__))
