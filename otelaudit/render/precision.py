"""The precision lines every report shares: the rounds played and why they stopped, the
A/A noise floor, and instruction counts beside time. Widths are stated in time and as a
share of the overhead they qualify: a share of a tiny baseline ("±328 %") tells nothing."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.model import Estimate, InstructionCounts, NoiseFloor, PrecisionReached, Report, ScenarioResult
from otelaudit.render._units import duration, half_width


def lines(result: ScenarioResult) -> List[str]:
    overhead = result.overhead.cpu_us_per_op if result.overhead else None
    return describe_all(result.precision, result.noise_floor, result.instructions, overhead)


def describe_all(precision: Optional[PrecisionReached], floor: Optional[NoiseFloor],
                 counts: Optional[InstructionCounts], overhead: Optional[Estimate]) -> List[str]:
    found = []
    if precision is not None:
        found.append(rounds_played(precision, overhead))
    if floor is not None:
        found.append(noise_floor(floor, overhead))
    if counts is not None:
        found.append(instructions(counts))
    return found


def share_of(width_us: float, overhead: Optional[Estimate]) -> str:
    """`, 11% of the +94.8 µs overhead`, or that the width exceeds the overhead itself."""
    if overhead is None or overhead.estimate == 0:
        return ""
    size = duration(overhead.estimate, signed=True)
    if abs(width_us) > abs(overhead.estimate):
        return f", wider than the {size} overhead itself"
    share = abs(width_us) / abs(overhead.estimate)
    return f", {'under 1%' if share < 0.01 else format(share, '.0%')} of the {size} overhead"


def rounds_played(played: PrecisionReached, overhead: Optional[Estimate]) -> str:
    why = {"fixed-rounds": "the fixed round count",
           "precision-reached": f"the precision target {played.target}",
           "budget-exhausted": (f"the time budget ({duration(played.budget_s * 1e6)}) ran out" if played.budget_s
                                else "the time budget"),
           "max-rounds": "the round cap",
           "overhead-settled": "the overhead settling (its interval within a tenth of it)"}[played.stop]
    target = f" (target {played.target}: {played.half_width_pct:.2g}% of the baseline)" if (played.target or "").endswith("%") else ""
    return (f"{played.rounds} rounds in {duration(played.elapsed_s * 1e6)}, stopped by {why}; overhead known to "
            f"{half_width(played.half_width_us)}{share_of(played.half_width_us, overhead)}{target}")


def noise_floor(floor: NoiseFloor, overhead: Optional[Estimate]) -> str:
    text = (f"A/A noise floor {half_width(floor.floor_us)} over {floor.rounds} rounds"
            f"{share_of(floor.floor_us, overhead)}")
    return text + (" — the identical arms differed: treat every verdict with care" if floor.verdict == "overhead"
                   else "")


def instructions(counts: InstructionCounts) -> str:
    arms = ", ".join(f"{arm} {value:,.0f}" for arm, value in counts.per_op.items())
    text = (f"instructions per op ({counts.method}, {counts.ops} ops minus a zero-op run): {arms}; "
            f"overhead {counts.overhead_per_op:+,.0f} (×{counts.ratio:.3f}), repeat spread {counts.spread_pct:.2f}%"
            + (f", verdict {counts.verdict}" if counts.verdict else ""))
    return text + (f" — {counts.disagreement}" if counts.disagreement else "")


def section(results: Sequence[ScenarioResult]) -> List[str]:
    body = [f"  {r.instrumentor}: {line}" for r in results for line in lines(r)]
    floored = any(r.noise_floor is not None for r in results)
    title = ("Precision (verdicts are never finer than the A/A noise floor):" if floored else
             "Precision (no A/A control arm: a verdict rests on its interval alone):")
    return ["", title, *body] if body else []


def rounds_text(report: Report) -> str:
    """The rounds actually played, which adaptive stopping makes differ from the setting."""
    played = sorted({r.precision.rounds for r in report.results if r.precision is not None}
                    | {r.overhead.rounds for r in report.results if r.precision is None and r.overhead is not None})
    if not played:
        return f"{report.settings.rounds} interleaved rounds planned"
    count = str(played[0]) if len(played) == 1 else f"{played[0]}–{played[-1]}"
    return f"{count} interleaved round{'s' if played[-1] != 1 else ''}"


def scan_shape(report: Report) -> str:
    settings = report.settings
    parts = ["quick settings" if settings.quick else "", f"{settings.jobs} job(s)" if settings.jobs > 1 else "",
             f"shard {settings.shard}" if settings.shard else ""]
    return "".join(f", {p}" for p in parts if p)
