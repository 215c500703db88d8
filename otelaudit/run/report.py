"""The Report every command ends with: one schema version, otelaudit's own version, when,
the command line, the environment (its core packages plus the audited instrumentations'
and libraries' distributions) and the settings; scan results, a cold-start section or a
version comparison. The schema version is the model's (otelaudit.model.SCHEMA_VERSION)."""

from __future__ import annotations

import datetime
from typing import Optional, Sequence

from otelaudit import __version__
from otelaudit.discover.environment import describe_environment
from otelaudit.discover.instrumentors import Target
from otelaudit.model import SCHEMA_VERSION, ColdStartReport, Report, ScanSettings, ScenarioResult, VersionComparison


def report_for(command: str, settings: ScanSettings, targets: Sequence[Target],
               results: Sequence[ScenarioResult] = (), cold_start: Optional[ColdStartReport] = None,
               warnings: Sequence[str] = (), comparison: Optional[VersionComparison] = None) -> Report:
    extra = [t.instrumentor.distribution for t in targets]
    extra += [t.scenario.distribution for t in targets if t.scenario and t.scenario.distribution]
    return Report(
        schema_version=SCHEMA_VERSION,
        otelaudit_version=__version__,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        command=command,
        environment=describe_environment(extra),
        settings=settings,
        results=tuple(results),
        warnings=tuple(warnings),
        cold_start=cold_start,
        comparison=comparison,
    )
