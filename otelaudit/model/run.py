"""What the parent asks of a measuring child: a RunSpec travels to it as JSON, with the
what-if fix (WhatIf) it should apply, if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Literal, Optional, Tuple

from otelaudit.model.results import Arm


@dataclass(frozen=True)
class WhatIf:
    """A suggested fix to apply in the child: `attribute` of `module` memoised for calls from one site."""

    module: str
    attribute: str  # "version" or "Class.method"
    site_file: str
    site_line: int
    memoise: bool = True  # False: the same stand-in, calling through — the control arm


RunMode = Literal["measure", "calibrate", "probe", "profile"]


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
    # Counting runs export on the main thread: see telemetry.install_sdk.
    inline_export: bool = False


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

    @property
    def budget_cut(self) -> bool:
        return self.rounds < self.asked_rounds
