"""`otelaudit list`: every installed instrumentor, whether a scenario covers it and the
library version that scenario would drive; then bundled scenarios not yet installable
here. Only metadata is read: no library or instrumentation is imported."""

from __future__ import annotations

from typing import List

from otelaudit.discover.instrumentors import discover_instrumentors
from otelaudit.discover.catalog import load_catalog
from otelaudit.render._text import table
from otelaudit.scenarios.api import Scenario, library_version, scenario_for, unsupported_version


def render_listing() -> str:
    instrumentors = discover_instrumentors()
    catalog = load_catalog()
    scenarios = catalog.scenarios
    rows: List[List[str]] = [["INSTRUMENTOR", "DISTRIBUTION", "VERSION", "SCENARIO", "LIBRARY"]]
    used = set()
    for instrumentor in instrumentors:
        scenario = scenario_for(scenarios, instrumentor.name, instrumentor.distribution)
        if scenario is None:
            coverage, library = "not covered", "—"
        else:
            used.add(scenario.key)
            coverage = scenario.name
            library = _library_cell(scenario)
        rows.append([instrumentor.name, instrumentor.distribution, instrumentor.version, coverage, library])
    lines = table(rows) if instrumentors else ["no instrumentors installed (entry-point group opentelemetry_instrumentor)"]
    idle = sorted(key for key in scenarios if key not in used)
    if idle:
        lines += ["", "scenarios whose instrumentor is not installed: " + ", ".join(idle)]
    lines += [f"warning: {error}" for error in catalog.errors]
    return "\n".join(lines)


def _library_cell(scenario: Scenario) -> str:
    """The library version it would drive, or why it can't run here (library or server missing)."""
    from otelaudit.servers.running import unavailable

    version = library_version(scenario)
    if version is None:
        return f"missing: {scenario.install_hint}"
    problems = [reason for reason in map(unavailable, scenario.servers) if reason]
    if problems:
        return f"{version}, missing: {problems[0]}"
    return version if unsupported_version(scenario) is None else f"{version} (outside {scenario.supported_versions})"
