"""Drives a workload inside a measuring child: warm-up, a timed phase at the stated
concurrency (process CPU, event-loop thread CPU, per-operation latency), then a separate
traced phase for memory so tracemalloc never slows the timed one."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, List, Optional

from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Workload

# Bound before any instrumentor runs: an instrumentation that patches asyncio must not
# trace (and charge its cost to) the harness's own worker fan-out.
_gather = asyncio.gather


@dataclass(frozen=True)
class TimedPhase:
    ops: int
    wall_s: float
    cpu_s: float
    loop_cpu_s: float
    latencies_s: List[float]
    telemetry: Telemetry
    peak_rss_kib: Optional[int] = None  # the serving processes', when they are not this one


@dataclass(frozen=True)
class MemoryPhase:
    peak_bytes_per_op: float
    retained_bytes_per_op: float


async def run_concurrently(workload: Workload, ops: int, concurrency: int) -> List[float]:
    latencies = [0.0] * ops
    indices = iter(range(ops))  # shared by the workers: the loop runs one at a time

    async def worker() -> None:
        for index in indices:
            start = time.perf_counter()
            await workload.operation()
            latencies[index] = time.perf_counter() - start

    await _gather(*(worker() for _ in range(max(1, min(concurrency, ops)))))
    return latencies


async def timed_phase(
    workload: Workload, ops: int, concurrency: int, telemetry: Callable[[], Telemetry],
    flush: Callable[[], None] = lambda: None,
) -> TimedPhase:
    """`flush` empties the batch processors' queues before the clocks start (the warm-up's
    items are not this phase's) and again before they stop, so the phase pays for
    exporting exactly what it produced, whatever its size against the batch size."""
    flush()
    gc.collect()
    served = workload.usage()  # a server process's readings, taken around the clock like ours
    before = telemetry() if served is None else served.telemetry
    wall0, cpu0, loop0 = time.perf_counter(), time.process_time(), time.thread_time()
    latencies = await run_concurrently(workload, ops, concurrency)
    flush()
    wall1, cpu1, loop1 = time.perf_counter(), time.process_time(), time.thread_time()
    after, rss = telemetry(), None
    if served is not None:
        ended = workload.usage() or served
        cpu0, loop0, before, rss = served.cpu_s, served.loop_cpu_s, served.telemetry, ended.peak_rss_kib
        cpu1, loop1, after = ended.cpu_s, ended.loop_cpu_s, ended.telemetry
    produced = Telemetry(
        after.spans - before.spans,
        after.metric_measurements - before.metric_measurements,
        after.log_records - before.log_records,
    )
    return TimedPhase(ops, wall1 - wall0, cpu1 - cpu0, loop1 - loop0, latencies, produced, rss)


async def calibrate(workload: Workload, seconds: float, concurrency: int) -> TimedPhase:
    """Runs growing batches until `seconds` have passed; the rate sizes the real runs.
    One round of the workers goes first: when that alone takes a tenth of `seconds`, it
    counts as warm-up and the batches grow from its size, so a 100 ms operation is not run
    ten times before the clock looks; an operation slower than `seconds` is timed alone, warm."""
    start = time.perf_counter()
    await run_concurrently(workload, 1, 1)  # one operation alone first: one costing seconds shows at once
    if time.perf_counter() - start >= seconds:  # a second, warm one gives the rate; no round of workers
        start = time.perf_counter()
        await run_concurrently(workload, 1, 1)
        return TimedPhase(1, time.perf_counter() - start, 0.0, 0.0, [], Telemetry())
    start = time.perf_counter()
    await run_concurrently(workload, max(concurrency, 1), concurrency)
    done, first_s = max(concurrency, 1), time.perf_counter() - start
    heavy = first_s > seconds / 10
    batch = done if heavy else max(concurrency, 10)
    if heavy:  # the first, cold round is a warm-up: the rate comes from at least one more
        done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or done == 0:
        await run_concurrently(workload, batch, concurrency)
        done += batch
        batch = min(batch * 2, 10_000)
    wall = time.perf_counter() - start
    return TimedPhase(done, wall, 0.0, 0.0, [], Telemetry())


async def memory_phase(workload: Workload, ops: int, flush: Callable[[], None] = lambda: None) -> MemoryPhase:
    """`flush` exports what processors hold, so the batch queue never looks retained."""
    flush()
    gc.collect()
    tracemalloc.start()
    try:
        start_current, _ = tracemalloc.get_traced_memory()
        peaks = 0
        for _ in range(ops):
            tracemalloc.reset_peak()
            current, _ = tracemalloc.get_traced_memory()
            await workload.operation()
            peaks += tracemalloc.get_traced_memory()[1] - current
        flush()
        gc.collect()
        end_current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return MemoryPhase(peaks / max(ops, 1), (end_current - start_current) / max(ops, 1))


def thread_pool_for(concurrency: int) -> ThreadPoolExecutor:
    """Sync libraries run in this pool; sized so every concurrent operation has a thread."""
    return ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="otelaudit-workload")
