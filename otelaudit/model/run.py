"""What the parent asks of a measuring child, as JSON: a RunSpec (a scan run, with the
what-if fix it should apply, if any), a ColdSpec (a cold-start child) or a StartSpec (an
interpreter started and timed, for what auto-instrumentation adds to start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Literal, Optional, Tuple

from otelaudit.model.coldstart import ColdArm, StartArm
from otelaudit.model.results import Arm


@dataclass(frozen=True)
class WhatIf:
    """A suggested fix to apply in the child: `attribute` of `module` memoised for calls from one site."""

    module: str
    attribute: str  # "version" or "Class.method"
    site_file: str
    site_line: int
    memoise: bool = True  # False: the same stand-in, calling through — the control arm
    # Set for a function found by its code (no importable name): `attribute` is its name,
    # `callee_line` a line inside it; `module` is unused.
    callee_file: Optional[str] = None
    callee_line: int = 0


RunMode = Literal["measure", "calibrate", "probe", "profile", "memory", "scaling"]


@dataclass(frozen=True)
class RunSpec:
    """Everything a measuring child needs; it travels as JSON."""

    scenario_module: str
    scenario_name: str
    arm: Arm
    round: int
    ops: int
    warmup_ops: int
    concurrency: int
    instrumentor_value: Optional[str] = None
    instrumentor_distribution: Optional[str] = None
    instrumentor_version: Optional[str] = None
    instrument_kwargs: Dict[str, object] = field(default_factory=dict)
    also_instrument: Tuple[str, ...] = ()
    servers: Dict[str, Tuple[str, int]] = field(default_factory=dict)
    whatif: Optional[WhatIf] = None
    mode: RunMode = "measure"
    calibrate_s: float = 0.0
    memory_ops: int = 50
    segments: int = 6  # "memory" mode: checkpoints after the warm-up, `ops` operations apart; "scaling": rounds
    soak_ops: int = 0  # "scaling" mode: operations run after the points, timed in segments
    # Counting runs export on the main thread: see telemetry.install_sdk.
    inline_export: bool = False
    library: str = ""  # the scenario's library: a zygote may have imported it (run.forkserver)
    # What the child imports after the library, before its first operation (the sdk arm's
    # instrumentation and SDK): a zygote may have imported it too, left unfrozen (child.forkserver).
    preload: Tuple[str, ...] = ()
    export_protocol: str = "http/protobuf"  # the export arm's OTLP protocol (or "grpc")


@dataclass(frozen=True)
class PhaseSizes:
    """How one scenario's phases were sized from its calibrated cost per operation and its
    time budget, recorded on its result so a reader knows what each figure rests on."""

    op_ms: float  # one operation of the calibrated (sdk) arm, wall time
    startup_s: float  # one child's start-up: interpreter, imports, setup
    ops: int  # per timed run (and per profile run)
    memory_ops: int  # per timed run, under tracemalloc, after the timed phase
    probe_ops: int
    rounds: int  # timed rounds planned
    asked_rounds: int  # before the time budget
    budget_s: float  # the scenario's share of the scan's time
    estimated_s: float  # what the planned phases should take
    growth_ops: int = 0  # memory-growth child: operations between two checkpoints
    growth_warmup_ops: int = 0  # ... and before the first, untraced, so bounded caches fill
    warmup_ops: int = 0  # before each timed, profiled or counted phase
    control: bool = True  # False: the A/A control arm was dropped to fit the budget
    memory_rounds: int = 3  # the rounds whose runs end with the tracemalloc phase

    @property
    def budget_cut(self) -> bool:
        return self.rounds < self.asked_rounds


@dataclass(frozen=True)
class ColdSpec:
    """A cold-start child: import the library (and, instrumented, the instrumentation),
    instrument(), then the first and the steady operations of the scenario."""

    arm: ColdArm
    round: int
    library: str
    scenario_module: str
    scenario_name: str
    instrumentor_value: str
    instrumentor_distribution: Optional[str] = None
    instrumentor_version: Optional[str] = None
    instrument_kwargs: Dict[str, object] = field(default_factory=dict)
    servers: Dict[str, Tuple[str, int]] = field(default_factory=dict)
    first_ops: int = 3
    steady_ops: int = 30
    probe: bool = False  # record the environment scans of each phase instead of timing alone
    patch_module: Optional[str] = None  # OA201 verification: this module runs from `patch_source`
    patch_source: Optional[str] = None


@dataclass(frozen=True)
class StartSpec:
    """An interpreter started and timed to its exit: `python -c pass` as it is, with
    `path_first` (opentelemetry-instrument's sitecustomize) first on PYTHONPATH, or under
    `launcher`; the breakdown arm runs `otelaudit.child.auto` instead."""

    arm: StartArm
    round: int
    path_first: Optional[str] = None
    launcher: Tuple[str, ...] = ()
