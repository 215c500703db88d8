"""Cost that grows along an axis (payload size, stack depth, operations run): the
instrumented-minus-baseline CPU per operation from a low to a high point, per unit, with
its interval, and the telemetry line whose sampled time grew most."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from otelaudit.model.results import Estimate, Frame

Axis = Literal["size", "depth", "history"]
UNITS = {"size": "KB", "depth": "frame", "history": "10k ops"}


@dataclass(frozen=True)
class CostGrowth:
    """`growth` is the extra µs/op of overhead at `high` over `low` (bytes, frames or
    operations run); `per_unit` is it per KB, frame or 10k operations; `overhead_low` is
    the overhead at `low`. `site_share` is the site's part of the sampled growth."""

    axis: Axis
    low: int
    high: int
    overhead_low: Estimate
    growth: Estimate
    per_unit: Estimate
    rounds: int
    site: Optional[Frame] = None
    site_share: float = 0.0

    @property
    def unit(self) -> str:
        return UNITS[self.axis]
