"""The data of a cold-start audit (`otelaudit coldstart`): what one fresh child measured,
and the per-instrumentation and auto-instrumentation summaries the report carries in
its `cold_start` section. Frozen dataclasses only, encoded by `otelaudit.model.codec`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Literal, Optional, Tuple

from otelaudit.model.results import CallCount, Estimate, Failure, Finding

ColdArm = Literal["baseline", "instrumented", "auto"]  # auto: under opentelemetry-instrument's sitecustomize
Phase = Literal["import", "instrument"]
AutoArm = Literal["plain", "sitecustomize", "launcher"]
StartArm = Literal["plain", "sitecustomize", "launcher", "breakdown"]  # breakdown: initialize() timed inside


@dataclass(frozen=True)
class ImportEntry:
    """One line of `-X importtime` inside the measured phase, with the modules that imported it."""

    module: str
    self_us: int
    cumulative_us: int
    chain: Tuple[str, ...] = ()  # outermost importer first, ending with `module`


@dataclass(frozen=True)
class PhaseCalls:
    """Costly calls (package metadata, directory listings of sys.path) made in one phase."""

    phase: Phase
    calls: Tuple[CallCount, ...] = ()
    metadata_files_opened: int = 0
    path_listings: int = 0


@dataclass(frozen=True)
class ColdRun:
    """One fresh interpreter: library import, maybe the instrumentation's, instrument(),
    then the first operations after start-up and the steady state."""

    arm: ColdArm
    round: int
    library_import_s: float = 0.0
    instrumentation_import_s: float = 0.0
    instrument_s: Optional[float] = None
    library_import_cpu_s: float = 0.0
    instrumentation_import_cpu_s: float = 0.0
    instrument_cpu_s: float = 0.0
    first_op_us: Tuple[float, ...] = ()
    steady_op_us: float = 0.0
    first_op_done_at: float = 0.0  # epoch seconds, from the child
    to_first_op_s: Optional[float] = None  # process spawn to the end of the first operation
    telemetry_items: float = 0.0
    imports: Tuple[ImportEntry, ...] = ()
    module_files: Dict[str, str] = field(default_factory=dict)  # module -> file, probe runs only
    phase_calls: Tuple[PhaseCalls, ...] = ()
    failure: Optional[Failure] = None


@dataclass(frozen=True)
class ModuleCost:
    """A module the instrumentation adds on top of its library (medians over runs)."""

    module: str
    self_ms: float
    cumulative_ms: float
    chain: Tuple[str, ...]
    distribution: Optional[str] = None
    runs: int = 0


@dataclass(frozen=True)
class FirstCall:
    """The first operation after start-up against the steady state, one arm."""

    arm: ColdArm
    first_op_us: Estimate
    steady_op_us: Estimate
    first_minus_steady_us: Estimate


@dataclass(frozen=True)
class TargetColdStart:
    instrumentor: str
    distribution: Optional[str]
    version: Optional[str]
    library: Optional[str]
    status: Literal["ok", "invalid", "error", "not-covered"]
    import_ms: Optional[Estimate] = None  # paired: (library + instrumentation) − library
    instrumentation_import_ms: Optional[Estimate] = None  # in-process, instrumented arm
    instrument_ms: Optional[Estimate] = None
    import_cpu_ms: Optional[Estimate] = None  # as import_ms, in process CPU time (steadier on a busy machine)
    modules_added: int = 0
    top_modules: Tuple[ModuleCost, ...] = ()
    by_distribution: Dict[str, float] = field(default_factory=dict)  # self ms summed per owner
    phase_calls: Tuple[PhaseCalls, ...] = ()
    first_call: Tuple[FirstCall, ...] = ()
    first_call_extra_us: Optional[Estimate] = None  # paired: instrumented − baseline first-op excess
    to_first_op_ms: Dict[str, Estimate] = field(default_factory=dict)  # per arm: spawn → first operation done
    to_first_op_added_ms: Dict[str, Estimate] = field(default_factory=dict)  # per arm, paired against baseline
    # With --simulate-distributions: the instrumented arm again with N more distributions on the path.
    instrumentation_import_ms_simulated: Optional[Estimate] = None
    instrument_ms_simulated: Optional[Estimate] = None
    findings: Tuple[Finding, ...] = ()
    failure: Optional[Failure] = None
    warnings: Tuple[str, ...] = ()
    rounds: int = 0


@dataclass(frozen=True)
class AutoInstrumentorCost:
    """One instrumentor inside `opentelemetry-instrument`'s start-up (medians, ms)."""

    name: str
    dependency_check_ms: Estimate
    load_ms: Estimate
    instrument_ms: Estimate
    outcome: str = "instrumented"
    modules_imported: int = 0  # by its load and instrument(), the first instrumentor to need a module pays it
    packages_imported: Tuple[str, ...] = ()  # their top-level packages (a library imported eagerly shows here)


@dataclass(frozen=True)
class AutoInstrumentorTiming:
    """One instrumentor inside one breakdown child's initialize() (seconds)."""

    name: str
    dependency_check_s: float = 0.0
    load_s: float = 0.0
    instrument_s: float = 0.0
    outcome: str = "skipped"
    modules_imported: int = 0
    packages_imported: Tuple[str, ...] = ()


@dataclass(frozen=True)
class AutoBreakdown:
    """What one breakdown child timed of `opentelemetry-instrument`'s start-up, in process."""

    import_s: float
    initialize_s: float
    distro_s: float
    distro: str = ""
    instrumentors: Tuple[AutoInstrumentorTiming, ...] = ()


@dataclass(frozen=True)
class StartRun:
    """One started interpreter: spawn to exit, and the breakdown when the child made one."""

    arm: StartArm
    round: int
    wall_ms: float = 0.0
    breakdown: Optional[AutoBreakdown] = None
    failure: Optional[Failure] = None


@dataclass(frozen=True)
class AutoStartup:
    """What `opentelemetry-instrument` adds to `python -c pass`."""

    plain_ms: Estimate
    sitecustomize_ms: Estimate
    launcher_ms: Estimate
    initialize_added_ms: Estimate  # sitecustomize − plain, paired
    total_added_ms: Estimate  # launcher − plain, paired
    initialize_in_process_ms: Estimate
    distro_ms: Estimate
    instrumentors: Tuple[AutoInstrumentorCost, ...] = ()
    distro: str = ""
    rounds: int = 0
    failure: Optional[Failure] = None


@dataclass(frozen=True)
class ColdStartReport:
    rounds: int
    simulated_distributions: int  # 0: the real environment only
    targets: Tuple[TargetColdStart, ...] = ()
    auto: Optional[AutoStartup] = None
    auto_simulated: Optional[AutoStartup] = None  # the same with the simulated distributions added
    unknown_targets: Tuple[str, ...] = ()
    warnings: Tuple[str, ...] = ()
