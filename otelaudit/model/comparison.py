"""One side of a version comparison: what the describe child (`otelaudit.child.describe`)
found in a version's environment — the instrumentor, the scenario covering it and the
installed versions — and the side built from it, with the findings probed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from otelaudit.model.results import Finding, Instrumentor, Telemetry


@dataclass(frozen=True)
class ScenarioDescription:
    """The scenario as the parent needs it to plan runs in an interpreter it cannot import from."""

    name: str
    module: str
    library: str
    concurrency: int
    expects: Telemetry
    servers: Tuple[str, ...] = ()
    env: Dict[str, str] = field(default_factory=dict)
    instrument_kwargs: Dict[str, Any] = field(default_factory=dict)
    library_distribution: Optional[str] = None  # None: the standard library


@dataclass(frozen=True)
class Description:
    """The describe child's answer for one distribution."""

    instrumentor: Optional[Instrumentor]
    scenario: Optional[ScenarioDescription]
    packages: Dict[str, str]


@dataclass(frozen=True)
class Version:
    """One side of a comparison: where it runs and what it provides."""

    requirement: str
    python: str
    isolated: bool
    instrumentor: Instrumentor
    scenario: ScenarioDescription
    packages: Dict[str, str]
    findings: Tuple[Finding, ...] = ()
    telemetry_per_op: Optional[Telemetry] = None
