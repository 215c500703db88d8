"""Deterministic cost: instructions per operation for each arm, from hardware counters
(`perf stat`) when the machine exposes them, else from Valgrind on a reduced operation
count. Each count is a run of N operations minus a zero-operation run of the same child,
so interpreter start-up and imports cancel; repeats show the (tiny) spread."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Literal, Mapping, Optional, Sequence

from otelaudit.errors import CountingError as CountingFailed  # its old name, which callers catch
from otelaudit.measure import stats
from otelaudit.model import Arm, Comparison, InstructionCounts, RunResult, Verdict
from otelaudit.model import RunSpec
from otelaudit.run.runner import SubprocessRunner, spawn

Method = Literal["perf", "valgrind"]
WARMUP_OPS = 20  # the same in the N-op and zero-op runs, so it cancels
# Below 0.1 % of the count, a difference says as much about the environment as about the
# code: a zero-operation run alone varies by ~0.015 % here (exit, result writing), and two
# environments' paths and sizes differ. A verdict never claims a finer difference.
COUNT_RESOLUTION = 0.001


def available_method() -> Optional[Method]:
    """Hardware counters if `perf stat` can read them here (often not on VMs), else Valgrind."""
    if shutil.which("perf"):
        probe = spawn(["perf", "stat", "-x,", "-e", "instructions:u", "true"], os.environ, 10)
        if re.search(r"^\d+,", probe.stderr, re.MULTILINE):
            return "perf"
    return "valgrind" if shutil.which("valgrind") else None


@dataclass(frozen=True)
class Counted:
    instructions: Optional[int]
    run: RunResult


class InstructionCounter:
    """Runs one child under the counting tool and reads the instructions it retired."""

    def __init__(self, method: Method, python: Optional[str] = None, isolated: bool = False) -> None:
        self.method = method
        self.python = python
        self.isolated = isolated

    def count(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> Counted:
        with tempfile.TemporaryDirectory(prefix="otelaudit-count-") as workdir:
            log = os.path.join(workdir, "count.log")
            runner = SubprocessRunner(self.python or sys.executable, isolated=self.isolated,
                                      prefix=self._prefix(log))
            run = runner.run(spec, env, timeout_s)
            text = open(log, encoding="utf-8", errors="replace").read() if os.path.exists(log) else ""
        return Counted(_parse(self.method, text), run)

    def _prefix(self, log: str) -> List[str]:
        if self.method == "perf":
            return ["perf", "stat", "-x,", "-e", "instructions:u", "-o", log, "--"]
        return ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                f"--log-file={log}"]


def _parse(method: Method, text: str) -> Optional[int]:
    pattern = r"^(\d+),+instructions" if method == "perf" else r"I\s+refs:\s+([\d,]+)"
    match = re.search(pattern, text, re.MULTILINE)
    return int(match.group(1).replace(",", "")) if match else None


def per_op(counter: InstructionCounter, spec: RunSpec, env: Mapping[str, str], timeout_s: float,
           repeats: int = 2) -> List[float]:
    """Instructions per operation, once per repeat: (N-op run − zero-op run) / N.
    Telemetry is exported on the main thread (`inline_export`): an export thread's timing
    would decide when the cyclic GC runs, and so the count. Nor is there an export timer,
    which would fire ~50× more often per operation under a counter than in a real run."""
    spec = replace(spec, warmup_ops=WARMUP_OPS, memory_ops=0, inline_export=True)
    values = []
    for _ in range(repeats):
        full, empty = counter.count(spec, env, timeout_s), counter.count(replace(spec, ops=0), env, timeout_s)
        if full.instructions is None or empty.instructions is None or not full.run.ok:
            failure = full.run.failure or empty.run.failure
            raise CountingFailed(failure.message if failure else f"{counter.method} reported no instruction count")
        values.append((full.instructions - empty.instructions) / spec.ops)
    return values


def instruction_counts(method: Method, ops: int, samples: Mapping[str, Sequence[float]],
                       treated: str = "sdk", baseline: str = "baseline") -> InstructionCounts:
    medians: Dict[str, float] = {str(arm): stats.median(values) for arm, values in samples.items()}
    spread = max((max(v) - min(v)) / stats.median(v) * 100.0 for v in samples.values() if stats.median(v))
    base = medians[baseline]
    overhead = medians[treated] - base
    return InstructionCounts(method=method, ops=ops, per_op=medians, overhead_per_op=overhead,
                             ratio=medians[treated] / base if base else float("inf"), spread_pct=spread,
                             verdict=count_verdict(samples[treated], samples[baseline]))


def count_verdict(treated: Sequence[float], baseline: Sequence[float],
                  margin: float = stats.EQUIVALENCE_MARGIN) -> Verdict:
    """Counts are nearly deterministic, but a run can still retire more instructions than
    its siblings (work timed by the clock, a collection landing differently): medians, and a
    noise floor from the median deviation of the repeats (robust to one such run per side).
    A difference over three robust standard deviations of a repeat, and over the counts'
    resolution, is an overhead."""
    deviations = [abs(v - stats.median(side)) for side in (treated, baseline) for v in side]
    nonzero = [d for d in deviations if d > 0] or [0.0]
    floor = max(3.0 * 1.4826 * stats.median(nonzero), COUNT_RESOLUTION * abs(stats.median(baseline)))
    difference = stats.median(treated) - stats.median(baseline)
    if difference > floor:
        return "overhead"
    if difference + floor < margin * abs(stats.median(baseline)):
        return "no-detectable-overhead"
    return "inconclusive"


def disagreement(counts: InstructionCounts, time: Comparison) -> Optional[str]:
    """Time and instructions tell different stories when the time interval excludes the
    instruction ratio by a clear margin: cost that executes no instructions (I/O, locks,
    waiting) or instructions that cost little (cache-friendly loops)."""
    count_pct = (counts.ratio - 1.0) * 100.0
    low, high = (time.cpu_ratio.ci_low - 1.0) * 100.0, (time.cpu_ratio.ci_high - 1.0) * 100.0
    gap = max(low - count_pct, count_pct - high, 0.0)
    if gap <= max(5.0, 0.25 * max(abs(count_pct), abs(low), abs(high))):
        return None
    more = "time" if low > count_pct else "instructions"
    return (f"time and instruction counts disagree: CPU time +{(time.cpu_ratio.estimate - 1) * 100:.1f}% "
            f"[{low:.1f}, {high:.1f}] vs instructions +{count_pct:.1f}%; "
            + ("the extra time executes few instructions (I/O, locks, system calls, cache misses)"
               if more == "time" else "the extra instructions are cheap (or time is dominated elsewhere)"))


def measure_arms(counter: InstructionCounter, make_spec: Callable[[Arm, int], RunSpec], arms: Sequence[Arm],
                 env: Mapping[str, str], timeout_s: float, ops: int, repeats: int = 2) -> InstructionCounts:
    samples: Dict[str, Sequence[float]] = {arm: per_op(counter, make_spec(arm, ops), env, timeout_s, repeats) for arm in arms}
    return instruction_counts(counter.method, ops, samples)
