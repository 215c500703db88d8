"""The report every command produces: per-scenario results with their precision, noise
floor and instruction counts, the environment and settings they were measured under, the
cold-start section and the version-comparison section. Frozen dataclasses;
`otelaudit.model.files` reads and writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Literal, Optional, Tuple

from otelaudit.model.coldstart import ColdStartReport
from otelaudit.model.comparison import Version
from otelaudit.model.growth import CostGrowth
from otelaudit.model.run import PhaseSizes
from otelaudit.model.counts import Telemetry
from otelaudit.model.results import (ArmSummary, CallCount, Comparison, DiffFlame, Estimate, Failure, Finding,
                                     Hotspot, MemoryGrowth, RepeatedCall, Status, Verdict)

# 1.1 added `comparison`, 1.2 `complete`; a minor version only adds names (see the README).
SCHEMA_VERSION = "1.3"

# Why a scenario's interleaved rounds stopped (see otelaudit.plan.adaptive).
StopReason = Literal["fixed-rounds", "precision-reached", "budget-exhausted", "max-rounds", "overhead-settled"]


@dataclass(frozen=True)
class NoiseFloor:
    """The identical-arm (A/A) comparison run alongside: control − baseline CPU per op.
    `floor_pct` is the largest difference the identical arms could not rule out, as a
    share of the baseline; no verdict is finer than it."""

    rounds: int
    difference_us: Estimate
    floor_us: float
    floor_pct: float
    verdict: Verdict


@dataclass(frozen=True)
class PrecisionReached:
    """How many rounds ran and why they stopped; the half-width is the SDK overhead's 95% CI."""

    rounds: int
    stop: StopReason
    half_width_us: float
    half_width_pct: float
    elapsed_s: float
    target: Optional[str] = None
    budget_s: Optional[float] = None


@dataclass(frozen=True)
class InstructionCounts:
    """Deterministic cost: instructions per operation for each arm, from `method`
    (hardware counters or Valgrind) over `ops` operations minus a zero-operation run."""

    method: str
    ops: int
    per_op: Dict[str, float]
    overhead_per_op: float
    ratio: float
    spread_pct: float
    disagreement: Optional[str] = None
    verdict: Optional[Verdict] = None


@dataclass(frozen=True)
class Stage:
    """What one stage of a scenario measured, and when it was done (seconds after the
    scenario started): triage findings exist before the overhead is measured."""

    name: Literal["triage", "timed-rounds", "profiles", "verification", "knobs"]
    done_s: float
    what: str


@dataclass(frozen=True)
class ABResult:
    """Side B against side A, the same arm of the same scenario in each (otelaudit.compare.abtest)."""

    a: str
    b: str
    ops: int
    comparison: Optional[Comparison] = None
    noise_floor: Optional[NoiseFloor] = None
    precision: Optional[PrecisionReached] = None
    baseline_cpu_us_per_op: float = 0.0
    instructions: Optional[InstructionCounts] = None
    failure: Optional[str] = None


@dataclass(frozen=True)
class VersionComparison:
    """`otelaudit compare`: B − A, and the findings (call-count evidence) that changed."""

    a: Version
    b: Version
    result: ABResult
    appeared: Tuple[Finding, ...]
    disappeared: Tuple[Finding, ...]
    pin_differences: Tuple[str, ...] = ()
    warnings: Tuple[str, ...] = ()
    further: Tuple["VersionComparison", ...] = ()  # the same two releases on further scenarios (SDK releases)


@dataclass(frozen=True)
class ScenarioResult:
    instrumentor: str
    distribution: Optional[str]
    version: Optional[str]
    scenario: Optional[str]
    status: Status
    library: Optional[str] = None
    library_version: Optional[str] = None
    concurrency: int = 0
    ops_per_run: int = 0
    expected_per_op: Optional[Telemetry] = None
    telemetry_per_op: Optional[Telemetry] = None
    arms: Dict[str, ArmSummary] = field(default_factory=dict)
    overhead: Optional[Comparison] = None
    api_overhead: Optional[Comparison] = None
    export_overhead: Optional[Comparison] = None  # the export arm over the sdk arm (--arms ...,export)
    export_protocol: Optional[str] = None
    call_counts: Tuple[CallCount, ...] = ()
    repeated_calls: Tuple[RepeatedCall, ...] = ()
    hotspots: Tuple[Hotspot, ...] = ()
    findings: Tuple[Finding, ...] = ()
    failure: Optional[Failure] = None
    warnings: Tuple[str, ...] = ()
    targeted: bool = False
    flame: Optional[DiffFlame] = None
    duration_s: float = 0.0
    noise_floor: Optional[NoiseFloor] = None
    precision: Optional[PrecisionReached] = None
    instructions: Optional[InstructionCounts] = None
    sizing: Optional[PhaseSizes] = None  # how the phases were sized from the cost of one operation
    stages: Tuple[Stage, ...] = ()
    memory_growth: Optional[MemoryGrowth] = None  # the sdk arm's retained bytes per operation (schema 1.1)
    cost_growth: Tuple[CostGrowth, ...] = ()  # the scaling children: cost per KB, per frame, per 10k ops run
    partial: bool = False  # True in a report rewritten after triage, before the timed rounds


@dataclass(frozen=True)
class Environment:
    python: str
    implementation: str
    platform: str
    machine: str
    cpu_count: int
    packages: Dict[str, str]


@dataclass(frozen=True)
class ScanSettings:
    rounds: int
    seconds_per_run: float
    timeout_s: float
    seed: int
    quick: bool
    precision_target: Optional[str] = None
    budget_s: Optional[float] = None
    control_arm: bool = True
    deterministic: bool = False
    jobs: int = 1
    shard: Optional[str] = None
    arms: Optional[str] = None  # "--arms" as given ("baseline,sdk,export"); None: the default arms
    export_protocol: Optional[str] = None  # the export arm's, when it ran


@dataclass(frozen=True)
class Report:
    schema_version: str
    otelaudit_version: str
    created: str
    command: str
    environment: Environment
    settings: ScanSettings
    results: Tuple[ScenarioResult, ...]
    warnings: Tuple[str, ...] = ()
    cold_start: Optional[ColdStartReport] = None  # `otelaudit coldstart`
    comparison: Optional[VersionComparison] = None  # `otelaudit compare` (schema 1.1)
    complete: bool = True  # False while a scan is still running, and left so if it was interrupted (1.2)
