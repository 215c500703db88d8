"""Finds scenarios: the bundled ones in `otelaudit.instrumentations` and those other
packages register under the `otelaudit_scenarios` entry-point group. Each scenario
module exposes a module-level `SCENARIO`; loading it must not import the library."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, List

from otelaudit.scenario import Scenario

ENTRY_POINT_GROUP = "otelaudit_scenarios"


def bundled_scenarios() -> List[Scenario]:
    import otelaudit.instrumentations as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if isinstance(scenario, Scenario):
            found.append(scenario)
    return found


def plugin_scenarios() -> List[Scenario]:
    from otelaudit.discovery import entry_points_in_group

    found = []
    for entry_point, _dist in entry_points_in_group(ENTRY_POINT_GROUP):
        loaded = entry_point.load()
        scenario = getattr(loaded, "SCENARIO", loaded)
        if isinstance(scenario, Scenario):
            found.append(scenario)
    return found


def all_scenarios() -> Dict[str, Scenario]:
    """Scenarios by instrumentor entry-point name; a plugin overrides a bundled one."""
    return {s.instrumentor: s for s in bundled_scenarios() + plugin_scenarios()}

