"""Robust statistics for noisy shared machines: medians, percentile-bootstrap 95%
confidence intervals, paired (by round) differences and ratios, and a verdict that
never claims more than its interval supports. Pure Python: samples are small."""

from __future__ import annotations

import random
from typing import Callable, List, Sequence

from otelaudit.model import Estimate, Verdict

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
# Overhead below this share of the baseline is treated as "nothing to report" when the
# whole interval lies under it.
EQUIVALENCE_MARGIN = 0.02
# Below this many paired rounds even "every round agrees" is not significant at 95%
# (a sign test of 4 rounds: 1/16 = 6%), so no verdict is claimed.
MIN_ROUNDS_FOR_VERDICT = 5


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values, q in [0, 1]."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap(
    values: Sequence[float],
    statistic: Callable[[Sequence[float]], float] = median,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Estimate:
    """Percentile bootstrap CI of `statistic`; a single value gives a zero-width interval."""
    point = statistic(values)
    if len(values) < 2:
        return Estimate(point, point, point)
    rng = random.Random(seed)
    n = len(values)
    stats: List[float] = sorted(statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    alpha = (1.0 - CONFIDENCE) / 2.0
    return Estimate(point, percentile(stats, alpha), percentile(stats, 1.0 - alpha))


def paired_difference(treated: Sequence[float], baseline: Sequence[float], seed: int = 0) -> Estimate:
    """treated − baseline, round by round, then the bootstrapped median of the differences."""
    _check_paired(treated, baseline)
    return bootstrap([t - b for t, b in zip(treated, baseline)], seed=seed)


def paired_ratio(treated: Sequence[float], baseline: Sequence[float], seed: int = 0) -> Estimate:
    """treated / baseline, round by round (1.0 means no change)."""
    _check_paired(treated, baseline)
    return bootstrap([t / b if b else float("inf") for t, b in zip(treated, baseline)], seed=seed)


def verdict(difference: Estimate, baseline_level: float, rounds: int, margin: float = EQUIVALENCE_MARGIN) -> Verdict:
    """`overhead` when the interval excludes zero upwards; `no-detectable-overhead` when
    it lies wholly under `margin` × baseline; `inconclusive` otherwise, and always when
    there are too few rounds to tell."""
    if rounds < MIN_ROUNDS_FOR_VERDICT:
        return "inconclusive"
    if difference.ci_low > 0:
        return "overhead"
    if difference.ci_high < margin * abs(baseline_level):
        return "no-detectable-overhead"
    return "inconclusive"


def _check_paired(a: Sequence[float], b: Sequence[float]) -> None:
    if len(a) != len(b) or not a:
        raise ValueError(f"paired samples need equal, non-zero lengths (got {len(a)} and {len(b)})")
