"""One side of a version comparison: what the describe child (`otelaudit.child.describe`)
found in a version's environment — the instrumentor, the scenario covering it and the
installed versions — and the side built from it, with the findings probed there and how
its environment was had (built, or reused from the cache, and how long that took)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from otelaudit.model.counts import Telemetry
from otelaudit.model.results import Finding, Instrumentor


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
    """One side of a comparison: where it runs and what it provides. `instrumentor` is
    None for a scenario of the SDK itself (compare opentelemetry-sdk==A opentelemetry-sdk==B)."""

    requirement: str
    python: str
    isolated: bool
    instrumentor: Optional[Instrumentor]
    scenario: ScenarioDescription
    packages: Dict[str, str]
    findings: Tuple[Finding, ...] = ()
    telemetry_per_op: Optional[Telemetry] = None
    environment: Optional[str] = None  # the cached environment's folder; None: this interpreter
    build_s: Optional[float] = None  # building it (or, reused, verifying it), seconds
    reused: bool = False
    notes: Tuple[str, ...] = ()  # e.g. this environment's pins it could not keep
