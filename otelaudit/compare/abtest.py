"""Two-sided comparisons: side B against side A, the same arm of the same scenario in
each (e.g. two versions of an instrumentation, each in its own environment), interleaved
round by round with an A/A control (A run twice), adaptive rounds, and optional
instruction counts. `otelaudit compare` and the precision benchmarks are built on it."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, Mapping, Optional, Tuple

from otelaudit.measure import analysis
from otelaudit.measure import counting
from otelaudit.measure import stats
from otelaudit.plan.adaptive import StopRule
from otelaudit.model import CONTROL, ABResult, Arm, InstructionCounts, RunResult
from otelaudit.measure.noise import floored, noise_floor
from otelaudit.model import RunSpec
from otelaudit.plan.interleave import ops_for
from otelaudit.plan.rounds import precision_reached, timed_rounds
from otelaudit.run.runner import SubprocessRunner

# The two sides travel as arms so the scan's analysis applies unchanged: A is "baseline",
# B is "sdk", and A's second run in each round is the control.
ARMS_AB: Tuple[Arm, ...] = ("baseline", "sdk", CONTROL)
SpecFor = Callable[[int, int], RunSpec]  # (round, ops) → the spec of the arm both sides run


@dataclass(frozen=True)
class Side:
    label: str
    make_spec: SpecFor
    python: str = sys.executable
    env: Mapping[str, str] = field(default_factory=dict)
    isolated: bool = False  # its own environment: the parent's PYTHONPATH must not leak in
    cpu: Optional[int] = None  # pinned to this core, as a `--jobs` job pins its children

    def run(self, spec: RunSpec, timeout_s: float) -> RunResult:
        return SubprocessRunner(self.python, cpu=self.cpu, isolated=self.isolated).run(spec, self.env, timeout_s)


@dataclass(frozen=True)
class ABSettings:
    rule: StopRule
    seconds_per_run: float = 0.5
    calibrate_s: float = 0.3
    seed: int = 0
    timeout_s: float = 120.0
    deterministic: bool = False
    count_ops: int = 2000
    count_repeats: int = 3


def compare_sides(a: Side, b: Side, settings: ABSettings,
                  on_progress: Callable[[str], None] = lambda m: None) -> ABResult:
    calibration = b.run(replace(b.make_spec(-1, 0), mode="calibrate", calibrate_s=settings.calibrate_s),
                        settings.timeout_s)
    if not calibration.ok:
        return ABResult(a.label, b.label, 0, failure=f"{b.label}: {calibration.failure.message}")  # type: ignore[union-attr]
    ops = ops_for(calibration.throughput, settings.seconds_per_run)
    sides: Dict[str, Side] = {"baseline": a, CONTROL: a, "sdk": b}

    def run_arm(arm: Arm, round_index: int) -> RunResult:
        side = sides[arm]
        return replace(side.run(side.make_spec(round_index, ops), settings.timeout_s), arm=arm, round=round_index)

    runs, played = timed_rounds(run_arm, ARMS_AB, settings.rule, settings.seed, on_progress)
    failure = analysis.first_failure(runs)
    if failure is not None:
        return ABResult(a.label, b.label, ops, failure=failure.message)
    by_arm = analysis.complete_rounds(runs, ARMS_AB)
    level = stats.median([r.cpu_us_per_op for r in by_arm["baseline"]])
    floor = noise_floor(by_arm[CONTROL], by_arm["baseline"])
    comparison = analysis.compare("sdk", by_arm["sdk"], by_arm["baseline"])
    result = ABResult(a.label, b.label, ops, floored(comparison, floor, level) if floor else comparison, floor,
                      precision_reached(runs, played, settings.rule, ARMS_AB), level)
    if settings.deterministic:
        on_progress("counting instructions")
        result = replace(result, instructions=count_sides(a, b, settings))
    return result


def count_sides(a: Side, b: Side, settings: ABSettings) -> Optional[InstructionCounts]:
    method = counting.available_method()
    if method is None:
        return None
    samples = {}
    for side in (a, b):
        counter = counting.InstructionCounter(method, side.python, side.isolated)
        samples[side.label] = counting.per_op(counter, side.make_spec(-1, settings.count_ops), side.env,
                                              settings.timeout_s * 5, settings.count_repeats)
    return counting.instruction_counts(method, settings.count_ops, samples, treated=b.label, baseline=a.label)
