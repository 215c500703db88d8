"""Sizes every phase of a scenario by time, from its calibrated cost per operation: a
timed run fills `seconds_per_run`; the tracemalloc phase, the call-count probe and the
rounds themselves get bounded shares of time, so one 100 ms operation costs seconds,
not minutes. Fast operations keep the counts they always had (the caps bind first)."""

from __future__ import annotations

import math
from dataclasses import dataclass
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
MEMORY_SHARE = 1 / 3  # the tracemalloc phase gets at most this share of a timed phase's time
MIN_MEMORY_OPS = 2
MIN_PROBE_OPS = 5
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


def scenario_budget_s(default_s: float, rounds_budget_s: Optional[float]) -> float:
    """A `--budget` for the rounds raises the scenario's budget to leave room for the rest."""
    return max(default_s, (rounds_budget_s or 0.0) / ROUNDS_SHARE)


def size_phases(asked: Asked, rate_ops_s: float, startup_s: float, concurrency: int = 1) -> PhaseSizes:
    """`rate_ops_s` from calibration; `startup_s` what a child costs before its first operation."""
    rate = max(rate_ops_s, 1e-3)
    ops = ops_for(rate, asked.seconds_per_run, few=max(3, concurrency))
    memory_ops = _bounded(rate * asked.seconds_per_run * MEMORY_SHARE / TRACEMALLOC_SLOWDOWN,
                          MIN_MEMORY_OPS, asked.memory_ops)
    probe_ops = _bounded(rate * PROBE_S / PROBE_SLOWDOWN, MIN_PROBE_OPS, asked.probe_ops)
    warmup = max(ops // 10, concurrency * 2)
    growth_ops, growth_warmup = growth_sizes(asked, rate, warmup)
    run_s = startup_s + (warmup + ops + memory_ops * TRACEMALLOC_SLOWDOWN) / rate
    pair_s = 2 * startup_s + 2 * (warmup + ops) / rate  # one sampled profile pair
    triage_s = startup_s + probe_ops * PROBE_SLOWDOWN / rate + pair_s
    triage_s += (growth_warmup + GROWTH_SEGMENTS * growth_ops * GROWTH_SLOWDOWN) / rate
    fit = math.floor(max(asked.budget_s * ROUNDS_SHARE - triage_s, 0.0) / (asked.arms * run_s))
    rounds = min(asked.rounds, max(fit, MIN_ROUNDS_FOR_VERDICT))
    return PhaseSizes(op_ms=round(1e3 / rate, 3), startup_s=round(startup_s, 3), ops=ops, memory_ops=memory_ops,
                      probe_ops=probe_ops, rounds=rounds, asked_rounds=asked.rounds, budget_s=round(asked.budget_s, 1),
                      estimated_s=round(triage_s + rounds * (asked.arms + asked.verified_arms) * run_s
                                        + (asked.profile_pairs - 1) * pair_s, 1),
                      growth_ops=growth_ops, growth_warmup_ops=growth_warmup)


def growth_sizes(asked: Asked, rate: float, warmup: int) -> Tuple[int, int]:
    """Operations per segment of the memory-growth child, and its untraced warm-up: its
    traced segments get six timed runs' worth of time (1.5 to 3 s), enough operations
    that a bounded cache turns over in the first segments and leaves the last ones flat."""
    traced_s = min(max(6 * asked.seconds_per_run, 1.5), 3.0)
    per_segment = _bounded(rate * traced_s / (GROWTH_SEGMENTS * GROWTH_SLOWDOWN), MIN_GROWTH_OPS, MAX_GROWTH_OPS)
    return per_segment, int(min(max(rate * GROWTH_WARMUP_S, warmup), MAX_GROWTH_WARMUP_OPS))


def verification_s(sizes: PhaseSizes) -> float:
    """One fix's what-if arms: its control and its patched run in every round."""
    return sizes.rounds * 2 * (sizes.startup_s + sizes.ops * 1.1 * sizes.op_ms / 1e3)


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


def memory_note(sizes: PhaseSizes, asked_memory_ops: int) -> str:
    return (f"memory per operation measured over {sizes.memory_ops} of {asked_memory_ops} operations per run "
            f"(tracemalloc is kept to a third of a run's time; one operation costs {duration(sizes.op_ms * 1e3)})")
