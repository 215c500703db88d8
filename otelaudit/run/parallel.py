"""`--jobs N`: audits several targets at once, one job per core. Every job owns one
core and pins its measuring children to it, so two measured processes never share a
core; N is capped at the cores this process may use. Results keep the targets' order.
An interrupt (Ctrl-C, SIGTERM) kills every job's live child and starts no other."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence, TypeVar

from otelaudit.run.cores import usable_cpus
from otelaudit.run.runner import Runner, SubprocessRunner, allow_children, stop_children

T = TypeVar("T")
R = TypeVar("R")


def effective_jobs(jobs: int) -> int:
    return max(1, min(jobs, len(usable_cpus())))


def run_all(items: Sequence[T], work: Callable[[T, Runner], R], jobs: int, runner: Optional[Runner] = None,
            on_done: Callable[[List[R]], None] = lambda done: None) -> List[R]:
    """`work(item, runner)` for every item; `on_done` gets the finished results (in item
    order) after each one. A given `runner` (tests) is shared and never pinned."""
    jobs = effective_jobs(jobs)
    finished: Dict[int, R] = {}
    lock = threading.Lock()
    interrupted = threading.Event()

    def record(index: int, result: R) -> None:
        with lock:
            if interrupted.is_set():  # measured while its children were being killed: not a result
                return
            finished[index] = result
            on_done([finished[i] for i in sorted(finished)])

    try:
        if jobs == 1:
            for index, item in enumerate(items):
                record(index, work(item, runner or SubprocessRunner()))
        else:
            _in_jobs(items, work, jobs, runner, record, interrupted)
    except BaseException:
        interrupted.set()
        stop_children()
        raise
    finally:  # every job has ended by now: what runs next in this process may start children again
        allow_children()
    return [finished[i] for i in range(len(items))]


def _in_jobs(items: Sequence[T], work: Callable[[T, Runner], R], jobs: int, runner: Optional[Runner],
             record: Callable[[int, R], None], interrupted: threading.Event) -> None:
    cores: "queue.Queue[int]" = queue.Queue()
    for cpu in usable_cpus()[:jobs]:
        cores.put(cpu)

    def job(index: int, item: T) -> None:
        cpu = cores.get()
        try:
            record(index, work(item, runner or SubprocessRunner(cpu=cpu)))
        finally:
            cores.put(cpu)

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="otelaudit-job")
    try:
        for future in [pool.submit(job, i, item) for i, item in enumerate(items)]:
            future.result()
    except BaseException:
        interrupted.set()
        stop_children()  # before the wait below: the running jobs' children end now, not in minutes
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
