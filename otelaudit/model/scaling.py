"""What one scaling child (one arm) measured: CPU per operation at each point (payload
size, extra stack depth), round by round, the sampled time of each telemetry site there,
and CPU per operation through a soak. Plain values only: `results.RunResult` carries it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class SiteCost:
    """Sampled µs per operation charged to one telemetry line (the first frame outside the
    standard library above the sampled leaf, when telemetry code owns it)."""

    file: str
    line: int
    function: str
    us_per_op: float
    distribution: Optional[str] = None


@dataclass(frozen=True)
class ScalePoint:
    """CPU µs per operation at (payload bytes, extra frames), one value per round."""

    size: int
    depth: int
    cpu_us: Tuple[float, ...]
    sites: Tuple[SiteCost, ...] = ()  # sdk arm only, costliest first


@dataclass(frozen=True)
class ScalingRun:
    """The points' rounds (interleaved in the child, `ops` operations each), then CPU µs per
    operation in each soak segment of `soak_ops` operations, in run order."""

    ops: int
    points: Tuple[ScalePoint, ...]
    soak_ops: int = 0
    soak_us: Tuple[float, ...] = ()
    seconds: float = 0.0
