"""Samples a measuring child's operations with pyinstrument and collapses the samples into
a RawProfile (root-first stacks of interned frames, seconds each). Runs inside the child,
in a run of its own, never a timed one; `otelaudit.attribute.hotspots` reads the result."""

from __future__ import annotations

import asyncio
import selectors
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from time import perf_counter
from typing import Any, Awaitable, Callable, DefaultDict, Dict, List, Optional, Sequence, Tuple

from pyinstrument import Profiler

from otelaudit.model import Frame, RawProfile

INTERVAL = 0.0005  # seconds between samples: ~2,000 a second, at most a few µs of sampling each
Key = Tuple[str, int, str]  # (file, line, function): the identity of a frame
Record = Tuple[List[str], float]  # pyinstrument's raw sample: root-first frame infos, seconds
# The event loop waiting in its selector has nothing to run: that is idle, not cost.
_IDLE_FILE = selectors.__file__


async def profile_ops(run_ops: Callable[[], Awaitable[None]], ops: int, *,
                      interval: float = INTERVAL) -> RawProfile:
    """Samples `run_ops()` (which runs `ops` operations) on the event loop's thread and in
    every work item of the loop's default executor.

    async_mode="disabled": the operations run in many tasks, and pyinstrument's async
    modes would fold every sample outside the starting task into an `[await]` frame; here
    each sample keeps the real stack of whatever ran. pyinstrument samples only the thread
    that started it, so the default executor's `submit` is wrapped to profile each work
    item in its own thread (`run_in_executor(None, ...)`, `asyncio.to_thread`). Not seen:
    other executors, threads of their own (a BatchSpanProcessor's export thread), and the
    unsampled tail (< `interval`) of each work item, so items shorter than that vanish.
    Wall-time samples in worker threads include their socket and GIL waits.
    """
    loop = asyncio.get_running_loop()
    pool: Optional[ThreadPoolExecutor] = getattr(loop, "_default_executor", None)
    if pool is None:  # what the loop would create on first use
        pool = ThreadPoolExecutor(thread_name_prefix="asyncio")
        loop.set_default_executor(pool)
    records: List[Record] = []
    restore = _profile_work_items(pool, records, interval)
    profiler = Profiler(interval=interval, async_mode="disabled")
    start = perf_counter()
    profiler.start()
    try:
        await run_ops()
    finally:
        session = profiler.stop()
        restore()
    return collapse(list(session.frame_records) + records, ops, perf_counter() - start)


def _profile_work_items(pool: ThreadPoolExecutor, sink: List[Record], interval: float) -> Callable[[], None]:
    """Wraps `pool.submit` on the instance; returns the undo."""
    patched = "submit" in vars(pool)
    original = pool.submit

    def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        return original(_run_profiled, sink, interval, fn, *args, **kwargs)

    def restore() -> None:
        if patched:
            setattr(pool, "submit", original)
        else:
            delattr(pool, "submit")

    setattr(pool, "submit", submit)
    return restore


def _run_profiled(sink: List[Record], interval: float, fn: Callable[..., Any],
                  *args: Any, **kwargs: Any) -> Any:
    profiler = Profiler(interval=interval, async_mode="disabled")
    profiler.start()
    try:
        return fn(*args, **kwargs)
    finally:
        sink.extend(profiler.stop().frame_records)  # one call: atomic under the GIL


def collapse(records: Sequence[Record], ops: int, duration_s: float) -> RawProfile:
    """Parses pyinstrument's frame infos ("function\\0file\\0def line", then "\\1l<line>"
    and other attributes), interns the frames and sums identical stacks."""
    index: Dict[Key, int] = {}
    totals: DefaultDict[Tuple[int, ...], float] = defaultdict(float)
    idle = 0.0
    for infos, seconds in records:
        keys = [key for key in map(_parse, infos) if key]
        if any(file == _IDLE_FILE and function == "select" for file, _, function in keys):
            idle += seconds
        elif keys:
            totals[tuple(index.setdefault(key, len(index)) for key in keys)] += seconds
    frames = tuple(Frame(file, line, function) for file, line, function in index)
    stacks = tuple(totals)
    return RawProfile(ops, duration_s, idle, frames, stacks, tuple(totals[s] for s in stacks))


def _parse(info: str) -> Optional[Key]:
    """(file, line, function); None for pyinstrument's own frames (thread roots, [await])."""
    identifier, _, attributes = info.partition("\x01")
    parts = identifier.split("\x00")
    if len(parts) != 3 or parts[1] == "<thread>":
        return None
    function, file, first_line = parts
    line = next((int(a[1:]) for a in attributes.split("\x01") if a[:1] == "l" and a[1:].isdigit()), None)
    return file, line if line is not None else int(first_line or 0), function  # pyinstrument < 4: def line
