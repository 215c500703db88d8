"""The noise floor a scan was measured at: an identical second baseline arm (A/A) runs
in every round, and its paired difference to the baseline bounds what the machine can
resolve. `floored` keeps every verdict at or above that floor."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from otelaudit.measure import stats
from otelaudit.model import Comparison, NoiseFloor, RunResult


def noise_floor(control: Sequence[RunResult], baseline: Sequence[RunResult]) -> Optional[NoiseFloor]:
    if not control or len(control) != len(baseline):
        return None
    diff = stats.paired_difference([r.cpu_us_per_op for r in control], [r.cpu_us_per_op for r in baseline])
    level = stats.median([r.cpu_us_per_op for r in baseline])
    floor_us = max(abs(diff.ci_low), abs(diff.ci_high))
    return NoiseFloor(rounds=len(control), difference_us=diff, floor_us=floor_us,
                      floor_pct=100.0 * floor_us / level if level else float("inf"),
                      verdict=stats.verdict(diff, level, len(control)))


def floored(comparison: Comparison, floor: NoiseFloor, baseline_level: float,
            margin: float = stats.EQUIVALENCE_MARGIN) -> Comparison:
    """An overhead smaller than what identical arms showed is not claimed, and "no
    detectable overhead" (under `margin`) is not claimed when the floor is above it."""
    verdict = comparison.verdict
    if verdict == "overhead" and comparison.cpu_us_per_op.estimate <= floor.floor_us:
        verdict = "inconclusive"
    if verdict == "no-detectable-overhead" and floor.floor_us >= margin * abs(baseline_level):
        verdict = "inconclusive"
    return replace(comparison, verdict=verdict)


def describe(floor: NoiseFloor) -> str:
    return (f"A/A noise floor ±{floor.floor_pct:.2f}% ({floor.floor_us:.3g} µs/op) over {floor.rounds} rounds"
            + (" — the identical arms differed: treat every verdict with care" if floor.verdict == "overhead" else ""))
