"""Finds scenarios: the bundled ones in `otelaudit.instrumentations` and those other
packages register under the `otelaudit_scenarios` entry-point group (an entry point
names a module with a `SCENARIO`, or a `Scenario` object). Each scenario records the
module it was loaded from, where the measuring child finds it again. Loading one must
not import its library; a scenario that fails to load is reported, never fatal."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Tuple

from otelaudit.scenarios.api import Scenario

ENTRY_POINT_GROUP = "otelaudit_scenarios"


@dataclass(frozen=True)
class Catalog:
    """Scenarios by `Scenario.key` (the entry-point name they cover, qualified by the
    instrumentor's distribution for distribution-bound ones), and load errors."""

    scenarios: Dict[str, Scenario]
    errors: Tuple[str, ...]


def _as_scenario(loaded: Any) -> Any:
    return getattr(loaded, "SCENARIO", loaded)


def load_catalog() -> Catalog:
    from otelaudit.discover.instrumentors import entry_points_in_group
    import otelaudit.instrumentations as package

    found: List[Scenario] = []
    errors: List[str] = []
    # (label, module the scenario lives in, loader)
    sources: List[Tuple[str, str, Callable[[], Any]]] = [
        (info.name, f"{package.__name__}.{info.name}",
         functools.partial(importlib.import_module, f"{package.__name__}.{info.name}"))
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
    ]
    sources += [(f"{ep.name} ({dist.metadata['Name']})", ep.value.partition(":")[0].strip(), ep.load)
                for ep, dist in entry_points_in_group(ENTRY_POINT_GROUP)]
    for label, module, load in sources:
        try:
            scenario = _as_scenario(load())
        except Exception as error:  # a broken scenario must not take the others down
            errors.append(f"scenario {label} failed to load: {type(error).__name__}: {error}")
            continue
        if isinstance(scenario, Scenario):
            found.append(scenario if scenario.module == module else replace(scenario, module=module))
    # Plugins come last, so a plugin's scenario replaces a bundled one for the same instrumentor.
    return Catalog({s.key: s for s in found}, tuple(errors))


def all_scenarios() -> Dict[str, Scenario]:
    return load_catalog().scenarios
