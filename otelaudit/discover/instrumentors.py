"""Discovers installed instrumentors (entry-point group `opentelemetry_instrumentor`) and
matches each to a scenario. Walks distributions directly so the same code works on
Python 3.9, whose `entry_points()` has no `group=` selection nor `EntryPoint.dist`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from otelaudit.model import Instrumentor
from otelaudit.scenarios.api import Scenario, scenario_for

INSTRUMENTOR_GROUP = "opentelemetry_instrumentor"


def entry_points_in_group(group: str) -> Iterator[Tuple[metadata.EntryPoint, metadata.Distribution]]:
    seen = set()
    for dist in metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group != group:
                continue
            key = (entry_point.name, entry_point.value)
            if key in seen:  # the same dist visible twice on sys.path
                continue
            seen.add(key)
            yield entry_point, dist


def discover_instrumentors() -> List[Instrumentor]:
    found = [
        Instrumentor(
            name=entry_point.name,
            value=entry_point.value,
            distribution=dist.metadata["Name"],
            version=dist.version,
        )
        for entry_point, dist in entry_points_in_group(INSTRUMENTOR_GROUP)
    ]
    return sorted(found, key=lambda i: i.name)


@dataclass(frozen=True)
class Target:
    """An instrumentor chosen for a scan, with its scenario when one covers it."""

    instrumentor: Instrumentor
    scenario: Optional[Scenario]
    targeted: bool


@dataclass(frozen=True)
class Selection:
    targets: Tuple[Target, ...]
    unknown: Tuple[str, ...]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def select_targets(
    names: Sequence[str],
    instrumentors: Iterable[Instrumentor],
    scenarios: Dict[str, Scenario],
) -> Selection:
    """Matches user-given names (entry-point or distribution names; none means all)."""
    installed = list(instrumentors)
    if not names:
        return Selection(tuple(Target(i, scenario_for(scenarios, i.name, i.distribution), False) for i in installed), ())
    chosen: List[Target] = []
    unknown: List[str] = []
    for name in names:
        wanted = _normalise(name)
        matches = [i for i in installed if _normalise(i.name) == wanted]
        matches = matches or [i for i in installed if _normalise(i.distribution) == wanted]
        sdk = _sdk_scenario(name, scenarios) if not matches else None
        chosen += [sdk] if sdk is not None else []
        if not matches and sdk is None:
            unknown.append(name)
        for match in matches:
            if all(t.instrumentor != match for t in chosen):
                chosen.append(Target(match, scenario_for(scenarios, match.name, match.distribution), True))
    return Selection(tuple(chosen), tuple(unknown))


def _sdk_scenario(name: str, scenarios: Dict[str, Scenario]) -> Optional[Target]:
    """A scenario of the SDK itself, named: its target is the installed SDK, with no instrumentor to load."""
    from otelaudit.scenarios.sdk import SDK, is_sdk_scenario

    found = next((s for s in scenarios.values() if s.name == name and is_sdk_scenario(s)), None)
    try:
        return Target(Instrumentor(found.name, "", SDK, metadata.version(SDK)), found, True) if found else None
    except metadata.PackageNotFoundError:
        return None
