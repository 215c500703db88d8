"""Runs one scenario's phases in fresh children: calibration sizes them, triage (call
counts and one sampled profile pair) is handed over at once, then the timed rounds and
the remaining profile pairs. `ScenarioRun` builds every spec the scenario needs."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from otelaudit.discover.instrumentors import Target
from otelaudit.model import Arm, PhaseSizes, RunMode, RunResult, RunSpec, Stage, WhatIf
from otelaudit.plan import scaling, sizing
from otelaudit.plan.adaptive import RoundsPlayed
from otelaudit.plan.interleave import interleave, play
from otelaudit.plan.options import ScanOptions
from otelaudit.plan.rounds import arms_for, timed_rounds
from otelaudit.run.progress import ScenarioProgress
from otelaudit.run.runner import Runner
from otelaudit.scenarios.api import Scenario

Progress = Callable[[str], None]
# What install_sdk imports (child.telemetry); with the instrumentation, an sdk-arm child's start-up.
SDK_MODULES = ("opentelemetry.sdk.trace", "opentelemetry.sdk.trace.export", "opentelemetry.sdk.metrics",
               "opentelemetry.sdk.metrics.export", "opentelemetry.sdk._logs", "opentelemetry.sdk._logs.export",
               "otelaudit.child.telemetry")


@dataclass(frozen=True)
class Measured:
    """The raw runs of one scenario: timed rounds, and the call-count probe if it ran."""

    runs: List[RunResult]
    ops: int
    probe: Optional[RunResult] = None
    memory: Optional[RunResult] = None  # the memory-growth child
    profiles: Tuple[RunResult, ...] = ()
    played: Optional[RoundsPlayed] = None
    sizes: Optional[PhaseSizes] = None
    stages: Tuple[Stage, ...] = ()
    scaling: Tuple[RunResult, ...] = ()  # the scaling children: baseline, then sdk; or one saying why none ran


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's runs share all but arm, round, size and mode: this builds and runs them."""

    scenario: Scenario
    target: Target
    options: ScanOptions
    runner: Runner
    servers: Dict[str, Tuple[str, int]]
    sizes: Optional[PhaseSizes] = None

    def spec(self, arm: Arm, round_index: int, ops: int, mode: RunMode = "measure",
             whatif: Optional[WhatIf] = None) -> RunSpec:
        scenario, instrumentor = self.scenario, self.target.instrumentor
        return RunSpec(
            scenario_module=scenario.module, scenario_name=scenario.name, arm=arm, round=round_index,
            ops=ops, warmup_ops=self.sizes.warmup_ops if self.sizes else max(ops // 10, scenario.concurrency * 2),
            concurrency=scenario.concurrency,
            instrumentor_value=instrumentor.value, instrumentor_distribution=instrumentor.distribution,
            instrumentor_version=instrumentor.version, instrument_kwargs=dict(scenario.instrument_kwargs),
            also_instrument=scenario.also_instrument,
            servers=dict(self.servers), whatif=whatif, mode=mode, calibrate_s=self.options.calibrate_s,
            memory_ops=self._memory_ops(round_index), library=scenario.library,
            preload=self._preload() if arm in ("sdk", "export") else (),
            export_protocol=self.options.export_protocol,
        )

    def _preload(self) -> Tuple[str, ...]:
        """In the order the child imports them: the instrumentations, then the SDK."""
        values = (self.target.instrumentor.value, *self.scenario.also_instrument)
        return tuple(v.partition(":")[0] for v in values if v) + SDK_MODULES

    def _memory_ops(self, round_index: int) -> int:
        if self.sizes is None:
            return self.options.memory_ops
        return self.sizes.memory_ops if round_index < self.sizes.memory_rounds else 0

    def run(self, spec: RunSpec) -> RunResult:
        return self.runner.run(spec, dict(self.scenario.env), self.options.timeout_s)


def measure_phases(session: ScenarioRun, on_progress: Progress, on_triage: Callable[[Measured], None]) -> Measured:
    """Calibration sizes the phases; triage (call counts, one sampled profile pair) comes
    next and is handed over at once; then the timed rounds and the other profile pairs."""
    name, options = session.target.instrumentor.name, session.options
    # The baseline first: it starts the zygote, so the instrumented arm's start-up is a child's own.
    started = time.perf_counter()
    baseline = session.run(session.spec("baseline", -1, 0, "calibrate"))  # the control arm's pace too
    # Calibrated on the instrumented arm, usually the slowest, so a round's length is bounded.
    began = time.perf_counter()
    calibration = session.run(session.spec("sdk", -1, 0, "calibrate"))
    if not calibration.ok:
        return Measured([calibration], 0)
    child_s = time.perf_counter() - began
    sizes = _sizes(session, calibration, child_s, baseline.throughput if baseline.ok else None)
    session, ops = replace(session, sizes=sizes), sizes.ops
    if isinstance(on_progress, ScenarioProgress):
        on_progress.estimate_s = sizes.estimated_s + time.perf_counter() - started
    on_progress(f"{name}: triage: counting calls ({sizes.probe_ops} ops)")
    probe = session.run(session.spec("sdk", -1, sizes.probe_ops, "probe"))
    arms: Tuple[Arm, ...] = ("baseline", "sdk")
    order = interleave(options.profile_rounds, random.Random(options.seed), arms)
    profiles = _profiles(session, [o for o in order if o[0] == 0], lambda m: on_progress(f"{name}: triage: {m}"))
    stages: Tuple[Stage, ...] = (Stage("triage", since(started), f"call counts over {sizes.probe_ops} operations and "
                    f"{len(profiles) // 2} sampled profile pair(s) of {ops} operations; µs/op from the profiler "
                    "(wall time, inflated by it) until the timed rounds"),)
    on_triage(Measured([], ops, probe, None, profiles, None, sizes, stages))
    memory = _memory_growth(session, on_progress) if sizes.growth_ops else None
    scaled = _scaling(session, on_progress)
    rule = options.stop_rule(sizes.rounds)
    timed_arms = arms_for(options.control_arm and sizes.control, options.arms)
    runs, played = timed_rounds(lambda arm, i: session.run(session.spec(arm, i, ops)), timed_arms,
                                rule, options.seed, lambda m: on_progress(f"{name}: timed {m}"))
    stages += (Stage("timed-rounds", since(started), f"{played.rounds} interleaved rounds of "
                     f"{len(timed_arms)} arms, {ops} operations per run: the CPU overhead"),)
    if not played.completed:
        return Measured(runs, ops, probe, memory, profiles, played, sizes, stages, scaled)
    later = _profiles(session, [o for o in order if o[0] > 0], lambda m: on_progress(f"{name}: {m}"))
    if later:
        stages += (Stage("profiles", since(started), f"{len(later) // 2} more sampled profile pair(s): shares "
                         "refined; hotspot µs/op are those shares of the measured overhead"),)
    return Measured(runs, ops, probe, memory, profiles + later, played, sizes, stages, scaled)


def _memory_growth(session: ScenarioRun, on_progress: Progress) -> RunResult:
    """After triage's handover, so the memory child never delays the first findings."""
    sizes = session.sizes
    assert sizes is not None
    on_progress(f"{session.target.instrumentor.name}: memory growth ({sizing.GROWTH_SEGMENTS} × {sizes.growth_ops} ops)")
    return session.run(replace(session.spec("sdk", -1, sizes.growth_ops, "memory"), inline_export=True,
                               warmup_ops=sizes.growth_warmup_ops, segments=sizing.GROWTH_SEGMENTS))


def _scaling(session: ScenarioRun, on_progress: Progress) -> Tuple[RunResult, ...]:
    """Both arms at the workload's declared payload sizes and stack depths, then the soak."""
    sizes, options = session.sizes, session.options
    assert sizes is not None
    planned = scaling.plan(session.scenario.workload, sizes, options.quick, options.soak_ops, options.seconds_per_run)
    if not planned.runs:
        return (RunResult("sdk", -1, warning=planned.skipped),) if planned.skipped else ()
    doing = [f"scaling ({planned.rounds} rounds × {planned.ops} ops)"] if planned.rounds else []
    doing += [f"soak ({planned.soak_ops} ops)"] if planned.soak_ops else []
    on_progress(f"{session.target.instrumentor.name}: {', '.join(doing)}")
    arms: Tuple[Arm, ...] = ("baseline", "sdk")
    return tuple(session.run(replace(session.spec(arm, -1, planned.ops, "scaling"), inline_export=True,
                                     segments=planned.rounds, soak_ops=planned.soak_ops)) for arm in arms)


def _profiles(session: ScenarioRun, order: Sequence[Tuple[int, Arm]], on_progress: Progress) -> Tuple[RunResult, ...]:
    sizes = session.sizes
    assert sizes is not None

    def profile(round_index: int, arm: Arm) -> RunResult:
        on_progress(f"sampling hotspots, pair {round_index + 1}/{session.options.profile_rounds} ({arm})")
        return session.run(session.spec(arm, round_index, sizes.ops, "profile"))

    return tuple(play(order, profile))


def since(started: float) -> float:
    return round(time.perf_counter() - started, 1)


def _sizes(session: ScenarioRun, calibration: RunResult, child_s: float,
           baseline_rate: Optional[float]) -> PhaseSizes:
    options = session.options
    asked = sizing.Asked(options.seconds_per_run, options.rounds, options.memory_ops, options.probe_ops,
                         len(arms_for(options.control_arm, options.arms)), options.scenario_budget_s, options.profile_rounds,
                         2 if options.verifies else 0, options.control_arm, not options.quick)
    startup_s = max(child_s - calibration.wall_s, 0.0)
    return sizing.size_phases(asked, calibration.throughput, startup_s, session.scenario.concurrency, baseline_rate)
