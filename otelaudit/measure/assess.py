"""Turns a scenario's measured runs into its result: arm summaries and comparisons, the
precision and noise floor, instruction counts, hotspots and the flame graph, findings.
Each step takes a ScenarioResult and returns a new one."""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, FrozenSet, Optional, Sequence, Tuple

from otelaudit.discover.instrumentors import Target
from otelaudit.errors import CountingError
from otelaudit.measure import analysis
from otelaudit.measure.export import present_arms, with_export
from otelaudit.model import ARMS, Instrumentor, PhaseSizes, RunResult, ScenarioResult
from otelaudit.plan import sizing
from otelaudit.plan.options import ScanOptions
from otelaudit.plan.rounds import arms_for, kept_rounds, precision_reached, retry_notes, with_noise_floor
from otelaudit.rules import calls as rules
from otelaudit.rules import memory as memory_rules
from otelaudit.rules import scaling as scaling_rules
from otelaudit.run.scenario import Measured, ScenarioRun
from otelaudit.scenarios.api import Scenario

if TYPE_CHECKING:
    from otelaudit.attribute.ownership import Ownership


def triaged(result: ScenarioResult, triage: Measured, target: Target, ignore: FrozenSet[str],
             done_s: float) -> ScenarioResult:
    """The scenario as triage leaves it: counted and sampled findings, no overhead yet."""
    assert target.scenario is not None
    partial = replace(with_memory(with_probe(result, triage.probe), triage.memory), status="ok", partial=True, sizing=triage.sizes,
                      ops_per_run=triage.ops, stages=triage.stages, duration_s=round(done_s, 3))
    return with_findings(with_profiles(partial, triage, target), target.scenario, ignore)


def with_sizes(result: ScenarioResult, sizes: Optional[PhaseSizes], options: ScanOptions) -> ScenarioResult:
    if sizes is None:
        return result
    notes: Tuple[str, ...] = (sizing.budget_note(sizes),) if sizes.budget_cut else ()
    notes += (sizing.memory_note(sizes, options.memory_ops),) if sizes.memory_ops < options.memory_ops else ()
    notes += sizing.cut_notes(sizes, result.concurrency, options.quick)
    return replace(result, sizing=sizes, warnings=result.warnings + notes)


def with_probe(result: ScenarioResult, probe: Optional[RunResult]) -> ScenarioResult:
    if probe is not None and probe.failure is not None:
        return replace(result, warnings=result.warnings + (f"call-count probe failed: {probe.failure.message}",))
    if probe is not None:
        return replace(result, call_counts=probe.call_counts, repeated_calls=probe.repeated_calls,
                       warnings=result.warnings + ((f"call-count probe: {probe.warning}",) if probe.warning else ()))
    return result


def with_memory(result: ScenarioResult, run: Optional[RunResult]) -> ScenarioResult:
    """The memory-growth child's slopes and retentions, or why there are none."""
    if run is not None and run.failure is not None:
        return replace(result, warnings=result.warnings + (f"memory-growth run failed: {run.failure.message}",))
    return replace(result, memory_growth=run.memory_growth) if run is not None else result


def with_scaling(result: ScenarioResult, runs: Sequence[RunResult]) -> ScenarioResult:
    """The scaling children's growths (baseline and sdk paired), or why there are none."""
    failed = [r.failure.message for r in runs if r.failure is not None]
    if failed:
        return replace(result, warnings=result.warnings + (f"scaling run failed: {failed[0]}",))
    if len(runs) == 1 and runs[0].warning:
        return replace(result, warnings=result.warnings + (runs[0].warning,))
    if len(runs) != 2 or runs[0].scaling is None or runs[1].scaling is None:
        return result
    from otelaudit.measure.scaling import cost_growth

    return replace(result, cost_growth=cost_growth(runs[0].scaling, runs[1].scaling))


def analyse(result: ScenarioResult, scenario: Scenario, measured: Measured) -> ScenarioResult:
    result = with_scaling(with_memory(with_probe(result, measured.probe), measured.memory), measured.scaling)
    result = retry_notes(result, (*measured.runs, *measured.profiles, measured.probe, measured.memory,
                                  *measured.scaling))
    failure = analysis.first_failure(measured.runs)
    arms = present_arms(measured.runs)
    by_arm = analysis.complete_rounds(measured.runs, arms)
    result = replace(result, arms={arm: analysis.summarise_arm(arm, by_arm[arm]) for arm in arms if by_arm[arm]})
    if failure is not None:
        failure, kept = kept_rounds(failure, len(by_arm["sdk"]))
        if not kept:
            return replace(result, status="not-covered" if failure.kind == "missing-library" else "error", failure=failure)
        result = replace(result, failure=failure)  # measured from the rounds before it, and still failing the scan
    produced = result.arms["sdk"].telemetry_per_op
    invalid = analysis.validity_problem(by_arm["sdk"], scenario.expects)
    if invalid is not None:
        return replace(result, status="invalid", failure=invalid, telemetry_per_op=produced)
    return with_export(replace(
        result, status="ok", telemetry_per_op=produced,
        overhead=analysis.compare("sdk", by_arm["sdk"], by_arm["baseline"]),
        api_overhead=analysis.compare("api", by_arm["api"], by_arm["baseline"]) if "api" in by_arm else None,
        warnings=result.warnings + analysis.shortfall_warning(produced, scenario.expects),
    ), by_arm)


def with_precision(result: ScenarioResult, measured: Measured, options: ScanOptions) -> ScenarioResult:
    if measured.played is None or result.status != "ok":
        return result
    arms = arms_for(options.control_arm, options.arms)
    reached = precision_reached(measured.runs, measured.played, options.stop_rule(), arms)
    if reached is not None and measured.sizes is not None and measured.sizes.budget_cut:
        reached = replace(reached, stop="budget-exhausted", budget_s=measured.sizes.budget_s)
    return replace(with_noise_floor(result, measured.runs, arms_for(True, options.arms)), precision=reached)


def with_counts(result: ScenarioResult, session: "ScenarioRun") -> ScenarioResult:
    from otelaudit.measure import counting

    method = counting.available_method()
    if method is None:
        return replace(result, warnings=result.warnings + ("no instruction counter: install valgrind",))
    try:
        counts = counting.measure_arms(counting.InstructionCounter(method), lambda arm, n: session.spec(arm, -1, n),
                                       ARMS, session.scenario.env, session.options.timeout_s * 5,
                                       session.options.count_ops)
    except CountingError as error:
        return replace(result, warnings=result.warnings + (f"instruction counting failed: {error}",))
    if result.overhead is not None:
        counts = replace(counts, disagreement=counting.disagreement(counts, result.overhead))
    return replace(result, instructions=counts, warnings=result.warnings + ((counts.disagreement,) if counts.disagreement else ()))


def with_profiles(result: ScenarioResult, measured: Measured, target: Target) -> ScenarioResult:
    """Hotspots and the differential flame graph, both from the sampled profiles."""
    baseline = [r.profile for r in measured.profiles if r.arm == "baseline" and r.profile is not None]
    treated = [r.profile for r in measured.profiles if r.arm == "sdk" and r.profile is not None]
    if not baseline or not treated:
        return result
    from otelaudit.attribute.flamegraph import differential
    from otelaudit.attribute.hotspots import hotspots, scaled_to_overhead

    ownership = _ownership(target.instrumentor, target.scenario.distribution if target.scenario else None,
                           tuple(sys.path))
    found = hotspots(baseline, treated, ownership)
    if result.overhead is not None:
        found = scaled_to_overhead(found, result.overhead.cpu_us_per_op)
    return replace(result, hotspots=found, flame=differential(baseline, treated, ownership))


@functools.lru_cache(maxsize=8)
def _ownership(instrumentor: Instrumentor, library: Optional[str], path: Tuple[str, ...]) -> "Ownership":
    """Triage and the final result attribute the same scenario's frames: reading every
    installed distribution's file list (~1 s) once is enough. `path` (where the
    distributions are found) is in the key so another environment is read again."""
    from otelaudit.attribute.ownership import Ownership

    return Ownership.for_instrumentor(instrumentor, library)


def with_findings(result: ScenarioResult, scenario: Scenario, ignore: FrozenSet[str]) -> ScenarioResult:
    if result.status != "ok":
        return result
    findings = rules.findings_from_counts(result.call_counts, ignore)
    findings += rules.findings_from_repeats(result.repeated_calls, ignore)
    ceiling = result.overhead.cpu_us_per_op.ci_high if result.overhead else None
    findings = rules.with_hotspot_costs(findings, result.hotspots, ceiling)
    findings = scaling_rules.with_soak(findings, result.cost_growth)
    findings += scaling_rules.findings_from_growth(result.cost_growth, findings, ignore)
    findings += rules.findings_from_hotspots(result.hotspots, findings, ignore)
    findings += rules.excess_telemetry(result.telemetry_per_op, scenario.expects, ignore)
    findings += memory_rules.findings_from_growth(result.memory_growth, ignore)
    return replace(result, findings=tuple(rules.rank(findings)))
