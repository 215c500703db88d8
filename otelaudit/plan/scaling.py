"""Sizes the scaling children (both arms, after the memory-growth child): blocks of
operations at each declared point, a few rounds, and the soak. Sized from the calibrated
cost of one operation so a pair costs seconds, whatever the scenario."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from otelaudit.model import PhaseSizes

BLOCK_S = 0.01  # one point's block: well above process_time's resolution
# From 6 rounds the range of the paired differences is a ≥ 96.9% interval for their median
# (measure.stats.median_interval); 11 give the 2nd to 10th, ~98.8%.
ROUNDS, QUICK_ROUNDS = 11, 7
SOAK_S = 1.0  # the default scan's cheap soak, per arm
MAX_SOAK_OPS = 200_000


@dataclass(frozen=True)
class ScalingPlan:
    ops: int  # per point and round
    rounds: int
    soak_ops: int

    @property
    def runs(self) -> bool:
        return self.rounds > 0 or self.soak_ops > 0


def scales(workload: Any) -> bool:
    """Whether the workload declares a second payload size or stack depth."""
    return len(getattr(workload, "sizes", ())) > 1 or len(getattr(workload, "depths", ())) > 1


def plan(workload: Any, sizes: PhaseSizes, concurrency: int, quick: bool, soak_ops: Optional[int]) -> ScalingPlan:
    op_s = max(sizes.op_ms, 1e-3) / 1000
    ops = max(concurrency, int(BLOCK_S / op_s))
    rounds = (QUICK_ROUNDS if quick else ROUNDS) if scales(workload) else 0
    if soak_ops is None:
        soak_ops = 0 if quick else min(max(int(SOAK_S / op_s), 12 * concurrency), MAX_SOAK_OPS)
    return ScalingPlan(ops, rounds, soak_ops)
