"""The plain data a scan's stages hand on: what a child run measured (RunResult, its call
counts and profiles), what the statistics made of it (Estimate, ArmSummary, Comparison) and
the evidence rules turn into findings. Frozen dataclasses only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Tuple

from otelaudit.model.counts import Delivery, Telemetry, WhatIfCounts
from otelaudit.model.scaling import ScalingRun

Arm = Literal["baseline", "api", "sdk", "export", "control"]
ARMS: Tuple[Arm, ...] = ("baseline", "api", "sdk")  # a scan's arms unless --arms adds "export" (never default)
SELECTABLE_ARMS: Tuple[Arm, ...] = ("baseline", "api", "sdk", "export")
CONTROL: Arm = "control"  # a second baseline in the same rounds (A/A): the noise floor (measure.noise)

Status = Literal["ok", "invalid", "error", "not-covered"]
Verdict = Literal["overhead", "no-detectable-overhead", "inconclusive"]

# Why a run or a scenario did not produce a measurement. Each maps to an exit code.
FailureKind = Literal[
    "unknown-target",
    "no-scenario",
    "missing-library",
    "no-telemetry",
    "instrument-failed",
    "workload-crashed",
    "timeout",
]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str


@dataclass(frozen=True)
class Frame:
    """One frame of a call chain; `distribution` owns the file ("stdlib" for the
    standard library, None when unknown)."""

    file: str
    line: int
    function: str
    distribution: Optional[str] = None


@dataclass(frozen=True)
class CallCount:
    """Calls per operation into a known-costly function, from one telemetry call site."""

    target: str
    category: str
    calls_per_op: float
    call_site: Frame
    distribution: str
    version: str
    chain: Tuple[Frame, ...] = ()


@dataclass(frozen=True)
class RepeatedCall:
    """A telemetry function called several times per operation with identical arguments."""

    function: Frame
    calls_per_op: float
    identical_calls_per_op: float
    callers: Tuple[Frame, ...] = ()


@dataclass(frozen=True)
class Finding:
    """Evidence turned into something to fix: where, how much, and how."""

    rule: str
    title: str
    call_site: Optional[Frame]
    target: Optional[str]
    distribution: Optional[str]
    version: Optional[str]
    calls_per_op: Optional[float]
    suggestion: str
    patch: Optional[str] = None
    us_per_op: Optional["Estimate"] = None
    share_of_overhead: Optional[float] = None
    verified_saving_us: Optional["Estimate"] = None
    chain: Tuple[Frame, ...] = ()
    score: float = 0.0
    bytes_per_op: Optional["Estimate"] = None  # memory retained per operation (OA112)
    setting: Optional[str] = None  # OA3xx: the exact setting that gives `verified_saving_us`
    no_whatif: Optional[str] = None  # why no what-if measures this finding's fix, when none does


@dataclass(frozen=True)
class RawProfile:
    """One child's samples as collapsed stacks: `stacks[i]` (root first, indices into
    `frames`) was sampled for `seconds[i]`. A frame is (file, line it was executing,
    function): for all but a stack's last frame, the line that made the call, as in the
    probe; built-ins are ("<built-in>", 0, qualified name). Samples are wall time; the
    event loop waiting in its selector is idle (`idle_s`), not part of `busy_s`."""

    ops: int
    duration_s: float
    idle_s: float
    frames: Tuple[Frame, ...]
    stacks: Tuple[Tuple[int, ...], ...]
    seconds: Tuple[float, ...]

    @property
    def busy_s(self) -> float:
        return sum(self.seconds)


@dataclass(frozen=True)
class Hotspot:
    """A telemetry call site that costs time, with the leaf below it that costs most and
    the heaviest stack through it (innermost first). `us_per_op` is the profiler's wall
    time until `scaled`: then its share (with `share`'s interval) of the timed rounds'
    measured CPU overhead, so it never exceeds that overhead's upper bound."""

    call_site: Frame
    leaf: Frame
    us_per_op: Estimate
    share_of_overhead: float
    chain: Tuple[Frame, ...]
    share: Optional[Estimate] = None
    scaled: bool = False


@dataclass(frozen=True)
class FlameStack:
    """One root-first stack (indices into `DiffFlame.frames`) and the µs per operation
    spent in its last frame itself, in each arm."""

    frames: Tuple[int, ...]
    baseline_us: float
    instrumented_us: float


@dataclass(frozen=True)
class DiffFlame:
    """A differential flame graph: sampled self time per stack in the baseline and the
    instrumented (sdk) arm, µs per operation, averaged over each arm's profiles. Frames are
    functions (line 0); stacks too small to see are folded into their parent."""

    frames: Tuple[Frame, ...]
    stacks: Tuple[FlameStack, ...]
    baseline_profiles: int
    instrumented_profiles: int


@dataclass(frozen=True)
class RunResult:
    """What one fresh child interpreter measured for one arm in one round."""

    arm: Arm
    round: int
    ops: int = 0
    concurrency: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    loop_cpu_s: float = 0.0
    latency_p50_us: float = 0.0
    latency_p99_us: float = 0.0
    peak_rss_kib: int = 0
    mem_peak_bytes_per_op: Optional[float] = None  # None: no tracemalloc phase in this run
    mem_retained_bytes_per_op: Optional[float] = None
    telemetry: Telemetry = field(default_factory=Telemetry)
    import_s: Optional[float] = None
    instrument_s: Optional[float] = None
    library_version: Optional[str] = None
    warning: Optional[str] = None
    call_counts: Tuple[CallCount, ...] = ()
    repeated_calls: Tuple[RepeatedCall, ...] = ()
    profile: Optional[RawProfile] = None
    memory_growth: Optional["MemoryGrowth"] = None
    scaling: Optional[ScalingRun] = None
    failure: Optional[Failure] = None
    whatif_counts: Optional[WhatIfCounts] = None  # a what-if run's stand-in, when it had one
    retried: Optional[str] = None  # how a first child died outside its workload, when its retry measured this
    delivery: Optional[Delivery] = None  # the export arm only

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def cpu_us_per_op(self) -> float:
        return self.cpu_s * 1e6 / max(self.ops, 1)

    @property
    def loop_cpu_us_per_op(self) -> float:
        return self.loop_cpu_s * 1e6 / max(self.ops, 1)

    @property
    def throughput(self) -> float:
        return self.ops / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Retention:
    """Memory telemetry code leaves alive on every operation: the allocation sites (the
    entries' site first), the container holding them and the bytes per operation."""

    bytes_per_op: Estimate
    site: Frame
    sites: Tuple[Frame, ...]
    container: Optional[str]  # "dict at module.Class._runs"; None when no growing container was found
    entries_per_op: float = 0.0  # entries the container gained per operation


@dataclass(frozen=True)
class MemoryGrowth:
    """Retained bytes (after flushing every processor and collecting garbage) at
    `segments` + 1 checkpoints `ops` operations apart, after `warmup_ops`: the slopes'
    median and its interval over the segments, for all traced code and for telemetry code."""

    ops: int
    segments: int
    warmup_ops: int
    bytes_per_op: Estimate
    telemetry_bytes_per_op: Estimate
    retentions: Tuple[Retention, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class ArmSummary:
    """One arm across rounds: medians with distribution-free 95% CIs."""

    arm: Arm
    rounds: int
    cpu_us_per_op: Estimate
    loop_cpu_us_per_op: Estimate
    latency_p50_us: Estimate
    latency_p99_us: Estimate
    throughput_ops_s: Estimate
    peak_rss_kib: float
    mem_peak_bytes_per_op: float
    mem_retained_bytes_per_op: float
    telemetry_per_op: Telemetry
    import_ms: Optional[Estimate] = None
    instrument_ms: Optional[Estimate] = None


@dataclass(frozen=True)
class Comparison:
    """An instrumented arm against the baseline, paired by round."""

    arm: Arm
    cpu_us_per_op: Estimate
    cpu_ratio: Estimate
    loop_cpu_us_per_op: Estimate
    latency_p50_us: Estimate
    latency_p99_us: Estimate
    throughput_ratio: Estimate
    verdict: Verdict
    rounds: int


@dataclass(frozen=True)
class Instrumentor:
    """An installed `opentelemetry_instrumentor` entry point."""

    name: str
    value: str
    distribution: str
    version: str
