"""Sizes the scaling children (both arms, after the memory-growth child): blocks of
operations at each declared point, a few rounds, and the soak. Sized from the calibrated
cost of one operation; when the pair would cost more than its cap (a few seconds with
--quick, a small share of the scenario's budget otherwise) it is skipped, and said so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from otelaudit.child.scaling import MIN_ROUNDS, PROFILE_S, SOAK_SEGMENTS, points_of
from otelaudit.model import PhaseSizes
from otelaudit.render._units import duration

BLOCK_S = 0.01  # one point's block: well above process_time's resolution
MIN_BLOCK_OPS = 3  # a heavier operation still gets a few per block: one alone swings with every cache miss
# From 6 rounds the range of the paired differences is a ≥ 96.9% interval for their median
# (measure.stats.median_interval); 11 give the 2nd to 10th, ~98.8%.
ROUNDS, QUICK_ROUNDS = 11, 7
SOAK_RUNS = 2  # the default scan's cheap soak, per arm: as long as this many timed runs
MAX_SOAK_OPS = 200_000
QUICK_MAX_S, BUDGET_SHARE = 5.0, 0.05
FORKED_CHILD_S = 0.3  # a child forked from a warm zygote, to its first operation


@dataclass(frozen=True)
class ScalingPlan:
    ops: int  # per point and round
    rounds: int
    soak_ops: int
    estimated_s: float = 0.0  # both children, at the fewest rounds
    skipped: Optional[str] = None

    @property
    def runs(self) -> bool:
        return self.rounds > 0 or self.soak_ops > 0


def scales(workload: Any) -> bool:
    """Whether the workload declares a second payload size or stack depth."""
    return len(getattr(workload, "sizes", ())) > 1 or len(getattr(workload, "depths", ())) > 1


def plan(workload: Any, sizes: PhaseSizes, quick: bool, soak_ops: Optional[int],
         seconds_per_run: float = 0.3) -> ScalingPlan:
    """An explicit `soak_ops` (--soak N) is run whatever it costs: it was asked for."""
    op_s = max(sizes.op_ms, 1e-3) / 1000
    ops = max(MIN_BLOCK_OPS, int(BLOCK_S / op_s))
    points = len(points_of(workload)) if scales(workload) else 0
    rounds = (QUICK_ROUNDS if quick else ROUNDS) if points else 0
    soak = soak_ops if soak_ops is not None else (
        0 if quick else min(max(round(SOAK_RUNS * seconds_per_run / op_s), SOAK_SEGMENTS), MAX_SOAK_OPS))
    # Both children fork from zygotes calibration left running: its start-up (which may include
    # starting a zygote) overstates theirs. The sdk child alone samples each point.
    start_s = min(sizes.startup_s, FORKED_CHILD_S)
    arm_s = start_s + points * (MIN_ROUNDS + 1) * ops * op_s + soak * op_s
    estimated, cap = 2 * arm_s + points * PROFILE_S, QUICK_MAX_S if quick else BUDGET_SHARE * sizes.budget_s
    if (rounds or soak) and estimated > cap and soak_ops is None:
        return ScalingPlan(ops, 0, 0, estimated, f"scaling run and soak skipped: ~{estimated:.0f} s for both arms, "
                           f"over their cap of {cap:.0f} s (one operation costs {duration(sizes.op_ms * 1e3)})")
    return ScalingPlan(ops, rounds, soak, estimated)
