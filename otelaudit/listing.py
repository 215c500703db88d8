"""`otelaudit list`: every installed instrumentor, whether a scenario covers it and the
library version that scenario would drive; then bundled scenarios not yet installable
here. Only metadata is read: no library or instrumentation is imported."""

from __future__ import annotations

from typing import List

from otelaudit.discovery import discover_instrumentors
from otelaudit.registry import load_catalog
from otelaudit.render_terminal import table
from otelaudit.scenario import library_version


def render_listing() -> str:
    instrumentors = discover_instrumentors()
    catalog = load_catalog()
    scenarios = catalog.scenarios
    rows: List[List[str]] = [["INSTRUMENTOR", "DISTRIBUTION", "VERSION", "SCENARIO", "LIBRARY"]]
    for instrumentor in instrumentors:
        scenario = scenarios.get(instrumentor.name)
        if scenario is None:
            coverage, library = "not covered", "—"
        else:
            coverage = scenario.name
            library = library_version(scenario) or f"missing: {scenario.install_hint}"
        rows.append([instrumentor.name, instrumentor.distribution, instrumentor.version, coverage, library])
    lines = table(rows) if instrumentors else ["no instrumentors installed (entry-point group opentelemetry_instrumentor)"]
    installed = {i.name for i in instrumentors}
    idle = sorted(name for name in scenarios if name not in installed)
    if idle:
        lines += ["", "scenarios whose instrumentor is not installed: " + ", ".join(idle)]
    lines += [f"warning: {error}" for error in catalog.errors]
    return "\n".join(lines)
