"""Sizes every phase of a scenario by time, from its calibrated cost per operation: a
timed run fills `seconds_per_run`; the tracemalloc phase, the call-count probe and the
rounds themselves get bounded shares of time, so one 100 ms operation costs seconds,
not minutes. Fast operations keep the counts they always had (the caps bind first)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from otelaudit.measure.stats import MIN_ROUNDS_FOR_VERDICT
from otelaudit.model.run import PhaseSizes
from otelaudit.plan.interleave import ops_for
from otelaudit.render._units import duration

# Slowdowns of the traced phases against a plain one (measured on metadata-heavy code:
# tracemalloc ~2-3x, sys.setprofile ~3-4x); over-estimates keep the phases short.
TRACEMALLOC_SLOWDOWN = 3.0
PROBE_SLOWDOWN = 4.0
# The memory-growth child traces 32 frames per allocation: 10-40x on allocation-heavy operations (jinja2).
GROWTH_SLOWDOWN = 20.0
GROWTH_SEGMENTS = 6
MIN_GROWTH_OPS, MAX_GROWTH_OPS = 3, 500  # per segment
MAX_GROWTH_WARMUP_OPS = 2000  # fills bounded buffers up to the SDK's metric cardinality limit
GROWTH_WARMUP_S = 0.3
# ... and caches of a few hundred entries (functools.lru_cache's default 128, as on urllib.parse.urlsplit),
# which a workload cycling through ~100 distinct URLs fills: within 2 s, at least this many operations.
MIN_GROWTH_WARMUP_OPS, MAX_GROWTH_WARMUP_S = 300, 2.0
MEMORY_SHARE = 1 / 3  # the tracemalloc phase gets at most this share of a timed phase's time
MIN_MEMORY_OPS = 2
MIN_PROBE_OPS = 5
MIN_HEAVY_PROBE_OPS = 2  # counts per operation are deterministic: two operations show a repeat
WARMUP_SHARE = 0.25  # of a timed run's time at most, for the warm-up before it
VERIFY_ROUNDS = 5  # per suggested fix: the fewest that give its saving a distribution-free interval
MEMORY_ROUNDS = 3  # the tracemalloc phase runs in the first rounds only: bytes/op settle in three runs
PROBE_S = 1.5  # counts are deterministic: a second and a half of operations settles them
ROUNDS_SHARE = 0.6  # of a scenario's budget, for the timed rounds; the rest: triage, profiles, verification
DEFAULT_SCENARIO_BUDGET_S = 300.0
QUICK_SCENARIO_BUDGET_S = 90.0


@dataclass(frozen=True)
class Asked:
    """What the scan settings ask of one scenario, before its cost is known."""

    seconds_per_run: float
    rounds: int
    memory_ops: int
    probe_ops: int
    arms: int
    budget_s: float
    profile_pairs: int = 3
    verified_arms: int = 2  # one suggested fix's what-if pair per round; 0 when not verified
    control: bool = True  # the A/A control arm is among `arms`, and may be dropped to fit
    growth: bool = True  # False: no memory-growth child (--quick: it costs ~4 s a scenario)


def scenario_budget_s(default_s: float, rounds_budget_s: Optional[float]) -> float:
    """A `--budget` for the rounds raises the scenario's budget to leave room for the rest."""
    return max(default_s, (rounds_budget_s or 0.0) / ROUNDS_SHARE)


def size_phases(asked: Asked, rate_ops_s: float, startup_s: float, concurrency: int = 1,
                baseline_rate_ops_s: Optional[float] = None) -> PhaseSizes:
    """`rate_ops_s` from calibration of the instrumented arm, `baseline_rate_ops_s` of the
    baseline (which the A/A control arm repeats; unknown: as fast as the instrumented);
    `startup_s` what a child costs before its first operation. The first plan that fits
    the budget wins: the full one; then fewer operations per run (down to one); then no
    memory-growth child; then no A/A control arm. Each cut is stated in the report."""
    rates = Rates(max(rate_ops_s, 1e-3), max(baseline_rate_ops_s or rate_ops_s, rate_ops_s, 1e-3), startup_s)
    plans = [_plan(asked, rates, concurrency, heavy=False, growth=asked.growth)]
    plans.append(_plan(asked, rates, concurrency, heavy=True, growth=asked.growth))
    plans.append(_plan(asked, rates, concurrency, heavy=True, growth=False))
    if asked.control:
        plans.append(replace(_plan(replace(asked, arms=asked.arms - 1, control=False), rates, concurrency,
                                   heavy=True, growth=False), control=False))
    return next((plan for plan in plans if plan.estimated_s <= asked.budget_s), plans[-1])


@dataclass(frozen=True)
class Rates:
    instrumented: float  # operations per second of the calibrated sdk arm (api: at most as slow)
    baseline: float  # ... of the baseline, which the control arm repeats
    startup_s: float

    def run_s(self, ops: float, rate: float) -> float:
        return self.startup_s + ops / rate


def _plan(asked: Asked, rates: Rates, concurrency: int, heavy: bool, growth: bool) -> PhaseSizes:
    """`heavy`: the floors of a plan that did not fit, one operation where it was several."""
    rate = rates.instrumented
    ops = ops_for(rate, asked.seconds_per_run, few=1 if heavy else max(3, concurrency))
    memory_ops = _bounded(rate * asked.seconds_per_run * MEMORY_SHARE / TRACEMALLOC_SLOWDOWN,
                          1 if heavy else MIN_MEMORY_OPS, asked.memory_ops)
    memory_rounds = min(1 if heavy else MEMORY_ROUNDS, asked.rounds)
    probe_ops = _bounded(rate * PROBE_S / PROBE_SLOWDOWN, MIN_HEAVY_PROBE_OPS if heavy else MIN_PROBE_OPS,
                         asked.probe_ops)
    warmup = warmup_ops(ops, concurrency, rate, asked.seconds_per_run)
    growth_ops, growth_warmup = growth_sizes(asked, rate, warmup, concurrency) if growth else (0, 0)
    slow_s, fast_s = rates.run_s(warmup + ops, rate), rates.run_s(warmup + ops, rates.baseline)
    fast_arms = 2 if asked.control else 1  # baseline, and the control arm that repeats it
    round_s = (asked.arms - fast_arms) * slow_s + fast_arms * fast_s
    memory_s = memory_rounds * memory_ops * TRACEMALLOC_SLOWDOWN * ((asked.arms - fast_arms) / rate
                                                                    + fast_arms / rates.baseline)
    pair_s = slow_s + fast_s  # one sampled profile pair
    triage_s = rates.run_s(warmup + probe_ops * PROBE_SLOWDOWN, rate) + pair_s
    if growth_ops:
        triage_s += rates.run_s(growth_warmup + GROWTH_SEGMENTS * growth_ops * GROWTH_SLOWDOWN, rate)
    fit = math.floor(max(asked.budget_s * ROUNDS_SHARE - triage_s - memory_s, 0.0) / round_s)
    rounds = min(asked.rounds, max(fit, MIN_ROUNDS_FOR_VERDICT))
    estimated = (triage_s + rounds * round_s + min(rounds, VERIFY_ROUNDS) * asked.verified_arms * slow_s + memory_s
                 + (asked.profile_pairs - 1) * pair_s)
    return PhaseSizes(op_ms=round(1e3 / rate, 3), startup_s=round(rates.startup_s, 3), ops=ops, memory_ops=memory_ops,
                      probe_ops=probe_ops, rounds=rounds, asked_rounds=asked.rounds, budget_s=round(asked.budget_s, 1),
                      estimated_s=round(estimated, 1), growth_ops=growth_ops, growth_warmup_ops=growth_warmup,
                      warmup_ops=warmup, memory_rounds=memory_rounds)


def warmup_ops(ops: int, concurrency: int, rate: float, seconds_per_run: float) -> int:
    """A tenth of the run, and every concurrent slot twice, but at most a quarter of a
    run's time: one heavy operation already pays the first call's one-time costs."""
    wanted = max(ops // 10, concurrency * 2)
    return max(1, min(wanted, int(rate * seconds_per_run * WARMUP_SHARE)))


def growth_sizes(asked: Asked, rate: float, warmup: int, concurrency: int = 1) -> Tuple[int, int]:
    """Operations per segment of the memory-growth child, and its untraced warm-up: its
    traced segments get six timed runs' worth of time (1.5 to 3 s), enough operations
    that a bounded cache turns over in the first segments and leaves the last ones flat.
    A segment runs every concurrent slot at least once: what a pool keeps per slot (the
    last response on each keep-alive connection, with its span) then cancels between
    checkpoints. Three operations a segment at concurrency 8 once read such a pool
    refilling after the warm-up's drain as 1 KiB retained per operation (aiohttp-client)."""
    traced_s = min(max(6 * asked.seconds_per_run, 1.5), 3.0)
    per_segment = _bounded(rate * traced_s / (GROWTH_SEGMENTS * GROWTH_SLOWDOWN), max(MIN_GROWTH_OPS, concurrency),
                           MAX_GROWTH_OPS)
    cache_fill = min(MIN_GROWTH_WARMUP_OPS, rate * MAX_GROWTH_WARMUP_S)
    return per_segment, int(min(max(rate * GROWTH_WARMUP_S, warmup, cache_fill), MAX_GROWTH_WARMUP_OPS))


def verification_s(sizes: PhaseSizes) -> float:
    """One fix's what-if arms: its control and its patched run in every round."""
    return verify_rounds(sizes) * 2 * (sizes.startup_s + (sizes.ops + sizes.warmup_ops) * 1.1 * sizes.op_ms / 1e3)


def verify_rounds(sizes: PhaseSizes) -> int:
    return min(sizes.rounds, VERIFY_ROUNDS)


def _bounded(value: float, low: int, high: int) -> int:
    return int(min(max(value, low), high)) if high > 0 else 0


def budget_note(sizes: PhaseSizes) -> str:
    """What the budget cost in precision: a CI narrows with the square root of the rounds."""
    wider = math.sqrt(sizes.asked_rounds / max(sizes.rounds, 1))
    return (f"time budget {sizes.budget_s:g} s: {sizes.rounds} of {sizes.asked_rounds} timed rounds fit "
            f"(one operation costs {duration(sizes.op_ms * 1e3)}); the overhead's CI is about {wider:.1f}× wider than "
            "the full plan's would be (a larger --budget raises it)")


def unverified_note(sizes: PhaseSizes, need_s: float) -> str:
    return (f"suggested fixes not verified: their what-if arms (~{need_s:.0f} s) would overrun the scenario's "
            f"time budget of {sizes.budget_s:g} s (a larger --budget, or a scan without --quick, leaves time for them)")


def quick_unverified_note(fixes: int, need_s: float) -> str:
    return (f"suggested fix{'es' if fixes > 1 else ''} not verified: --quick skips the what-if arms (~{need_s:.0f} s "
            "here); a scan without --quick measures the saving of each fix")


def cut_notes(sizes: PhaseSizes, concurrency: int, quick: bool = False) -> Tuple[str, ...]:
    """What the budget (or --quick) took besides rounds, said where the figures it touches are read."""
    cost = duration(sizes.op_ms * 1e3)
    notes: Tuple[str, ...] = ()
    if quick and sizes.growth_ops == 0:
        return ("memory growth not measured: --quick skips the memory-growth child (a few seconds per "
                "scenario); a scan without --quick measures it",) + cut_notes(replace(sizes, growth_ops=1), concurrency)
    if sizes.ops < max(3, concurrency):
        notes += (f"{sizes.ops} operation(s) per timed run (one costs {cost}): fewer than the scenario's "
                  f"concurrency of {concurrency}, to fit the time budget of {sizes.budget_s:g} s",)
    if sizes.growth_ops == 0:
        notes += (f"memory growth not measured: it would overrun the time budget of {sizes.budget_s:g} s "
                  f"(one operation costs {cost}; a larger --budget, or a scan without --quick, measures it)",)
    if not sizes.control:
        notes += ("no A/A control arm, to fit the time budget: the noise floor is not measured, so a verdict "
                  "rests on the interval alone",)
    return notes


def memory_note(sizes: PhaseSizes, asked_memory_ops: int) -> str:
    return (f"memory per operation measured over {sizes.memory_ops} of {asked_memory_ops} operations per run "
            f"in {sizes.memory_rounds} round(s) "
            f"(tracemalloc is kept to a third of a run's time; one operation costs {duration(sizes.op_ms * 1e3)})")
