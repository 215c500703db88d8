"""Pairs the two arms' scaling children into cost growths. Per round, the instrumented
arm's change from the low to the high point minus the baseline's: each change is taken
within one process, so the two processes' speeds cancel; the median and its
distribution-free interval come from the rounds. The soak's slope splits
instrumented-minus-baseline CPU per segment into quarters as OA116's call counts are
split (child.probe_growth.quarters) and compares the early quarter with the late one."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from otelaudit.child.probe_growth import quarters
from otelaudit.measure.stats import median_interval
from otelaudit.model import Estimate, Frame
from otelaudit.model.growth import CostGrowth
from otelaudit.model.scaling import ScalePoint, ScalingRun, SiteCost

PER_10K = 10_000


def cost_growth(baseline: ScalingRun, treated: ScalingRun) -> Tuple[CostGrowth, ...]:
    """One growth per axis the points cover, then the soak's, if both arms soaked."""
    base = {(p.size, p.depth): p for p in baseline.points}
    found: List[CostGrowth] = []
    low = treated.points[0] if treated.points else None
    base_low = base.get((low.size, low.depth)) if low is not None else None
    if low is not None and base_low is not None:
        for high in treated.points[1:]:
            base_high = base.get((high.size, high.depth))
            if base_high is not None:
                growth = _between(low, high, base_low, base_high)
                found += [growth] if growth is not None else []
    soak = _soak(baseline, treated)
    return tuple(found + ([soak] if soak is not None else []))


def _between(low: ScalePoint, high: ScalePoint, base_low: ScalePoint, base_high: ScalePoint) -> Optional[CostGrowth]:
    n = min(len(low.cpu_us), len(high.cpu_us), len(base_low.cpu_us), len(base_high.cpu_us))
    if n == 0:
        return None
    steps = [(high.cpu_us[i] - low.cpu_us[i]) - (base_high.cpu_us[i] - base_low.cpu_us[i]) for i in range(n)]
    overhead = median_interval([low.cpu_us[i] - base_low.cpu_us[i] for i in range(n)])
    by_size = high.size != low.size
    span = (high.size - low.size) / 1024 if by_size else float(high.depth - low.depth)
    growth = median_interval(steps)
    site, share = grown_site(low.sites, high.sites)
    return CostGrowth("size" if by_size else "depth", low.size if by_size else low.depth,
                      high.size if by_size else high.depth, overhead, growth, scaled(growth, 1 / span), n,
                      site, share)


def grown_site(low: Sequence[SiteCost], high: Sequence[SiteCost]) -> Tuple[Optional[Frame], float]:
    """The telemetry line whose sampled µs/op grew most from low to high, and its share of
    all the growth sampled at telemetry lines."""
    before: Dict[Tuple[str, int], float] = {(s.file, s.line): s.us_per_op for s in low}
    grew = [(s.us_per_op - before.get((s.file, s.line), 0.0), s) for s in high]
    total = sum(delta for delta, _ in grew if delta > 0)
    if total <= 0:
        return None, 0.0
    delta, site = max(grew, key=lambda item: item[0])
    return Frame(site.file, site.line, site.function, site.distribution), delta / total


def _soak(baseline: ScalingRun, treated: ScalingRun) -> Optional[CostGrowth]:
    """Every early segment against every late one (they share segments, so the interval
    is a guide, not a guarantee); the distance is between the quarters' middles."""
    n = min(len(baseline.soak_us), len(treated.soak_us))
    if n < 4 or treated.soak_ops <= 0:
        return None
    overhead = [treated.soak_us[i] - baseline.soak_us[i] for i in range(n)]
    quarter, parts = quarters(overhead)
    early, late = parts[0], parts[-1]
    growth = median_interval([b - a for a in early for b in late])
    middle = quarter * treated.soak_ops // 2
    distance = (n - quarter) * treated.soak_ops
    return CostGrowth("history", middle, middle + distance, median_interval(list(early)), growth,
                      scaled(growth, PER_10K / distance), n)


def scaled(value: Estimate, factor: float) -> Estimate:
    return Estimate(value.estimate * factor, value.ci_low * factor, value.ci_high * factor)
