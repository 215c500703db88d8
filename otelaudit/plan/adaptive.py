"""Adaptive interleaved rounds: play rounds until the SDK overhead's 95% CI half-width
reaches a target (`--precision 2%` or `3us`), a time budget (`--budget 60s`) runs out,
or a round cap is hit, and say which. Without a target or budget: a fixed count, cut
short (`settle`) once the overhead is known to a tenth of itself: more rounds would only
narrow an interval around a verdict no longer in doubt."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Sequence, Tuple

from otelaudit.measure import stats
from otelaudit.model import RunResult, StopReason

Unit = Literal["%", "us"]
DEFAULT_MAX_ROUNDS = 200
SETTLE_MIN_ROUNDS = 6
DEFAULT_SETTLE = 0.10


@dataclass(frozen=True)
class PrecisionTarget:
    value: float
    unit: Unit

    @property
    def text(self) -> str:
        return f"{self.value:g}{self.unit}"

    def reached(self, half_width_us: float, half_width_pct: float) -> bool:
        return (half_width_pct if self.unit == "%" else half_width_us) <= self.value


Width = Tuple[float, ...]  # (µs, % of the baseline[, the overhead's own estimate in µs])


@dataclass(frozen=True)
class StopRule:
    min_rounds: int
    max_rounds: int = DEFAULT_MAX_ROUNDS
    target: Optional[PrecisionTarget] = None
    budget_s: Optional[float] = None
    settle: Optional[float] = None  # stop once the half-width is at most this share of the overhead

    @property
    def adaptive(self) -> bool:
        return self.target is not None or self.budget_s is not None or self.settle is not None

    @property
    def planned(self) -> Optional[int]:
        """The rounds a progress line can promise: all of a fixed count, at most a settling one's."""
        if self.target is None and self.budget_s is None:
            return self.max_rounds if self.settle is not None else self.min_rounds
        return None


def settling(rounds: int, settle: float) -> StopRule:
    """A fixed count of `rounds`, cut short from SETTLE_MIN_ROUNDS on once the overhead has settled."""
    if rounds <= SETTLE_MIN_ROUNDS:
        return StopRule(rounds)
    return StopRule(SETTLE_MIN_ROUNDS, rounds, settle=settle)


@dataclass(frozen=True)
class RoundsPlayed:
    rounds: int
    stop: StopReason
    elapsed_s: float
    completed: bool  # False when a run failed and the rounds were abandoned


def parse_target(text: str) -> PrecisionTarget:
    """'2%' (of the baseline CPU per op) or '3us' / '3µs' (absolute, per op)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(%|us|µs)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"precision must look like 2% or 3us, got {text!r}")
    return PrecisionTarget(float(match.group(1)), "%" if match.group(2) == "%" else "us")


def parse_duration(text: str) -> float:
    """'60s', '2m', '90' (seconds)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(s|m|min)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"budget must look like 60s or 2m, got {text!r}")
    return float(match.group(1)) * (60.0 if match.group(2) in ("m", "min") else 1.0)


def half_width(treated: Sequence[RunResult], baseline: Sequence[RunResult]) -> Width:
    """(µs, % of the baseline) half-width of the paired CPU-per-op difference's 95% CI, and
    the difference itself."""
    diff = stats.paired_difference([r.cpu_us_per_op for r in treated], [r.cpu_us_per_op for r in baseline])
    level = stats.median([r.cpu_us_per_op for r in baseline])
    half = (diff.ci_high - diff.ci_low) / 2.0
    return half, 100.0 * half / level if level else float("inf"), diff.estimate


def play_rounds(
    play: Callable[[int], bool],
    precision: Callable[[], Optional[Width]],
    rule: StopRule,
    clock: Callable[[], float] = time.monotonic,
) -> RoundsPlayed:
    """`play(i)` runs round i (False: a run failed); `precision()` is the current
    (µs, %) half-width, None while it can't be computed. The minimum rounds always run."""
    start = clock()
    rounds = 0
    while True:
        elapsed = clock() - start
        if rounds >= rule.min_rounds:
            stop = _stop_reason(rule, rounds, elapsed, precision)
            if stop is not None:
                return RoundsPlayed(rounds, stop, elapsed, True)
        if not play(rounds):
            return RoundsPlayed(rounds + 1, "fixed-rounds", clock() - start, False)
        rounds += 1


def _stop_reason(rule: StopRule, rounds: int, elapsed: float,
                 precision: Callable[[], Optional[Width]]) -> Optional[StopReason]:
    if not rule.adaptive:
        return "fixed-rounds"
    if rule.target is not None and rounds >= stats.MIN_ROUNDS_FOR_VERDICT:
        current = precision()
        if current is not None and rule.target.reached(current[0], current[1]):
            return "precision-reached"
    if rule.settle is not None and rounds < rule.max_rounds:
        current = precision()
        if current is not None and len(current) > 2 and current[0] <= rule.settle * abs(current[2]):
            return "overhead-settled"
    # A round costs about elapsed/rounds: stop when the next one would overrun the budget.
    if rule.budget_s is not None and elapsed + elapsed / max(rounds, 1) > rule.budget_s:
        return "budget-exhausted"
    if rounds >= rule.max_rounds:
        return "fixed-rounds" if rule.planned is not None else "max-rounds"
    return None
