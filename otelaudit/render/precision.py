"""The precision lines shared by the terminal and markdown reports: the rounds run and
why they stopped, the A/A noise floor, and instruction counts beside time."""

from __future__ import annotations

from typing import List, Sequence

from otelaudit.measure import noise
from otelaudit.plan import rounds
from otelaudit.model import InstructionCounts, Report, ScenarioResult


def lines(result: ScenarioResult) -> List[str]:
    found = []
    if result.precision is not None:
        found.append(rounds.describe(result.precision))
    if result.noise_floor is not None:
        found.append(noise.describe(result.noise_floor))
    if result.instructions is not None:
        found.append(instructions(result.instructions))
    return found


def instructions(counts: InstructionCounts) -> str:
    arms = ", ".join(f"{arm} {value:,.0f}" for arm, value in counts.per_op.items())
    text = (f"instructions per op ({counts.method}, {counts.ops} ops minus a zero-op run): {arms}; "
            f"overhead {counts.overhead_per_op:+,.0f} (×{counts.ratio:.3f}), repeat spread {counts.spread_pct:.2f}%"
            + (f", verdict {counts.verdict}" if counts.verdict else ""))
    return text + (f" — {counts.disagreement}" if counts.disagreement else "")


def section(results: Sequence[ScenarioResult]) -> List[str]:
    body = [f"  {r.instrumentor}: {line}" for r in results for line in lines(r)]
    return ["", "Precision (verdicts are never finer than the A/A noise floor):", *body] if body else []


def scan_shape(report: Report) -> str:
    settings = report.settings
    parts = [f"{settings.jobs} job(s)" if settings.jobs > 1 else "", f"shard {settings.shard}" if settings.shard else ""]
    return "".join(f", {p}" for p in parts if p)
