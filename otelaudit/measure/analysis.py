"""Turns the runs of one scenario into its result: per-arm summaries, paired
comparisons against the baseline, and the validity check (an instrumented arm that
produced no telemetry makes the measurement invalid, never "0% overhead")."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from otelaudit.measure import stats
from otelaudit.model import ArmSummary, Comparison, Estimate, Failure, RunResult, Telemetry

# When runs fail for several reasons, the one reported is the most specific.
FAILURE_PRIORITY = ("missing-library", "instrument-failed", "timeout", "workload-crashed")


def complete_rounds(runs: Sequence[RunResult], arms: Sequence[str]) -> Dict[str, List[RunResult]]:
    """Runs by arm, restricted to rounds in which every arm succeeded, ordered by round."""
    by_round: Dict[int, Dict[str, RunResult]] = {}
    for run in runs:
        if run.ok:
            by_round.setdefault(run.round, {})[run.arm] = run
    full = [r for r in sorted(by_round) if all(a in by_round[r] for a in arms)]
    return {arm: [by_round[r][arm] for r in full] for arm in arms}


def first_failure(runs: Sequence[RunResult]) -> Optional[Failure]:
    failures = [r.failure for r in runs if r.failure is not None]
    if not failures:
        return None
    return min(failures, key=lambda f: FAILURE_PRIORITY.index(f.kind) if f.kind in FAILURE_PRIORITY else 99)


def summarise_arm(arm: str, runs: Sequence[RunResult]) -> ArmSummary:
    def est(values: Sequence[float]) -> Estimate:
        return stats.median_interval(list(values))

    def optional_ms(values: Sequence[Optional[float]]) -> Optional[Estimate]:
        present = [v * 1e3 for v in values if v is not None]
        return est(present) if present else None

    return ArmSummary(
        arm=arm,  # type: ignore[arg-type]
        rounds=len(runs),
        cpu_us_per_op=est([r.cpu_us_per_op for r in runs]),
        loop_cpu_us_per_op=est([r.loop_cpu_us_per_op for r in runs]),
        latency_p50_us=est([r.latency_p50_us for r in runs]),
        latency_p99_us=est([r.latency_p99_us for r in runs]),
        throughput_ops_s=est([r.throughput for r in runs]),
        peak_rss_kib=stats.median([r.peak_rss_kib for r in runs]),
        mem_peak_bytes_per_op=_median_present([r.mem_peak_bytes_per_op for r in runs]),
        mem_retained_bytes_per_op=_median_present([r.mem_retained_bytes_per_op for r in runs]),
        telemetry_per_op=_median_telemetry(runs),
        import_ms=optional_ms([r.import_s for r in runs]),
        instrument_ms=optional_ms([r.instrument_s for r in runs]),
    )


def _median_present(values: Sequence[Optional[float]]) -> float:
    """Over the runs that had a tracemalloc phase (the first rounds)."""
    present = [v for v in values if v is not None]
    return stats.median(present) if present else 0.0


def compare(arm: str, treated: Sequence[RunResult], baseline: Sequence[RunResult]) -> Comparison:
    def diff(attr: str) -> Estimate:
        return stats.paired_difference([getattr(r, attr) for r in treated], [getattr(r, attr) for r in baseline])

    cpu = diff("cpu_us_per_op")
    base_cpu = stats.median([r.cpu_us_per_op for r in baseline])
    return Comparison(
        arm=arm,  # type: ignore[arg-type]
        cpu_us_per_op=cpu,
        cpu_ratio=stats.paired_ratio([r.cpu_us_per_op for r in treated], [r.cpu_us_per_op for r in baseline]),
        loop_cpu_us_per_op=diff("loop_cpu_us_per_op"),
        latency_p50_us=diff("latency_p50_us"),
        latency_p99_us=diff("latency_p99_us"),
        throughput_ratio=stats.paired_ratio([r.throughput for r in treated], [r.throughput for r in baseline]),
        verdict=stats.verdict(cpu, base_cpu, len(treated)),
        rounds=len(treated),
    )


def validity_problem(sdk: Sequence[RunResult], expected: Telemetry) -> Optional[Failure]:
    """Zero telemetry under the SDK means the instrumentation was not exercised."""
    if not sdk:
        return None
    produced = _median_telemetry(sdk)
    if produced.total > 0:
        return None
    hints = sorted({r.warning for r in sdk if r.warning})
    why = f"; {hints[0]}" if hints else ""
    return Failure(
        "no-telemetry",
        f"instrumented arm produced no telemetry (expected {_describe(expected)} per operation){why}",
    )


def shortfall_warning(produced: Telemetry, expected: Telemetry) -> Tuple[str, ...]:
    short = [
        f"{name}: {getattr(produced, name):.2f}/op, expected {getattr(expected, name):g}"
        for name in ("spans", "metric_measurements", "log_records")
        if getattr(produced, name) < getattr(expected, name) * 0.99
    ]
    return tuple(f"less telemetry than the scenario expects ({s})" for s in short)


def _median_telemetry(runs: Sequence[RunResult]) -> Telemetry:
    per_op = [r.telemetry.per(r.ops) for r in runs]
    if not per_op:
        return Telemetry()
    return Telemetry(
        stats.median([t.spans for t in per_op]),
        stats.median([t.metric_measurements for t in per_op]),
        stats.median([t.log_records for t in per_op]),
    )


def _describe(t: Telemetry) -> str:
    parts = [f"{v:g} {n.replace('_', ' ')}" for n, v in
             (("spans", t.spans), ("metric_measurements", t.metric_measurements), ("log_records", t.log_records)) if v]
    return ", ".join(parts) or "some telemetry"
