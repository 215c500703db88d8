"""`--jobs N`: audits several targets at once, one job per core. Every job owns one
core and pins its measuring children to it, so two measured processes never share a
core; N is capped at the cores this process may use. Results keep the targets' order."""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence, TypeVar

from otelaudit.run.runner import Runner, SubprocessRunner

T = TypeVar("T")
R = TypeVar("R")


def usable_cpus() -> List[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def effective_jobs(jobs: int) -> int:
    return max(1, min(jobs, len(usable_cpus())))


def run_all(items: Sequence[T], work: Callable[[T, Runner], R], jobs: int, runner: Optional[Runner] = None,
            on_done: Callable[[List[R]], None] = lambda done: None) -> List[R]:
    """`work(item, runner)` for every item; `on_done` gets the finished results (in item
    order) after each one. A given `runner` (tests) is shared and never pinned."""
    jobs = effective_jobs(jobs)
    finished: Dict[int, R] = {}
    lock = threading.Lock()

    def record(index: int, result: R) -> None:
        with lock:
            finished[index] = result
            on_done([finished[i] for i in sorted(finished)])

    if jobs == 1:
        for index, item in enumerate(items):
            record(index, work(item, runner or SubprocessRunner()))
        return [finished[i] for i in range(len(items))]
    cores: "queue.Queue[int]" = queue.Queue()
    for cpu in usable_cpus()[:jobs]:
        cores.put(cpu)

    def job(index: int, item: T) -> None:
        cpu = cores.get()
        try:
            record(index, work(item, runner or SubprocessRunner(cpu=cpu)))
        finally:
            cores.put(cpu)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="otelaudit-job") as pool:
        for future in [pool.submit(job, i, item) for i, item in enumerate(items)]:
            future.result()
    return [finished[i] for i in range(len(items))]
