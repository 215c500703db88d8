"""Sampled differential hotspots: pyinstrument samples a measuring child's operations, the
time under each telemetry call site (the innermost frame telemetry code owns, unless it
only passes the library's own call through) is charged to it per operation, and set
against the sdk-minus-baseline difference. Unlike the probe it finds costs nobody
catalogued, at the price of sampling noise; run it in its own child, never a timed one."""

from __future__ import annotations

import asyncio
import selectors
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Awaitable, Callable, DefaultDict, Dict, List, Optional, Sequence, Tuple

from pyinstrument import Profiler

from otelaudit.model import Frame, Hotspot, RawProfile
from otelaudit.ownership import Ownership
from otelaudit.stats import median, median_interval

INTERVAL = 0.0005  # seconds between samples: ~2,000 a second, at most a few µs of sampling each
MIN_SHARE = 0.01  # sites costing less than this share of the overhead are noise, not findings
PASS_THROUGH_SLACK = 3  # frames below a wrapper searched for the library call the application makes itself
CHAIN_DEPTH = 24  # callers kept above a call site, as in the probe
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

    def submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
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


@dataclass
class _Site:
    seconds: List[float]  # per profile
    leaves: DefaultDict[Key, float]  # leaf -> seconds per op, summed over profiles
    heaviest: Tuple[float, Tuple[Key, ...], int]  # (seconds, stack, index of the site in it)


def _attribute(profiles: Sequence[RawProfile], ownership: Ownership,
               baseline: Sequence[RawProfile] = ()) -> Dict[Key, _Site]:
    """Charges every stack's time to its innermost telemetry frame, unless the run of
    telemetry frames ending there only passes a call through: its caller calls its callee
    directly in the baseline (`with span: return wrapped(...)`), so the time below is the
    library's own work, paid in every arm. "Directly" allows a few frames of slack on the
    callee's side: a wrapper may enter the library one frame apart from where the
    application does (`__anext__` of a stream where `async for` enters `__aiter__`), so a
    match of the caller with any of the next PASS_THROUGH_SLACK frames counts."""
    cache: Dict[str, bool] = {}
    direct = {(a.file, a.function, b.file, b.function) for profile in baseline for a, b in _pairs(profile)}
    sites: Dict[Key, _Site] = {}
    for n, profile in enumerate(profiles):
        frames = [(f.file, f.line, f.function) for f in profile.frames]
        for stack, seconds in zip(profile.stacks, profile.seconds):
            keys = tuple(frames[i] for i in stack)
            owned = [_is_telemetry(file, ownership, cache) for file, _, _ in keys]
            at = next((i for i in range(len(keys) - 1, -1, -1) if owned[i]), None)
            if at is None:
                continue
            top = at
            while top > 0 and owned[top - 1]:
                top -= 1
            caller = keys[top - 1] if top else None
            callees = list(keys[at + 1:at + 2]) + [k for k in keys[at + 2:at + 1 + PASS_THROUGH_SLACK] if k[0][:1] != "<"]
            if caller and any((caller[0], caller[2], c[0], c[2]) in direct for c in callees):
                continue
            site = sites.setdefault(keys[at], _Site([0.0] * len(profiles), defaultdict(float), (0.0, (), 0)))
            site.seconds[n] += seconds
            site.leaves[keys[-1]] += seconds / max(profile.ops, 1)
            if seconds > site.heaviest[0]:
                site.heaviest = (seconds, keys, at)
    return sites


def _pairs(profile: RawProfile) -> List[Tuple[Frame, Frame]]:
    """Every (caller, descendant) pair sampled: direct callees, and Python functions up to
    PASS_THROUGH_SLACK frames down (a built-in deeper down says nothing about a wrapper)."""
    frames = profile.frames
    return [(frames[stack[i]], frames[stack[j]]) for stack in profile.stacks for i in range(len(stack))
            for j in range(i + 1, min(i + 1 + PASS_THROUGH_SLACK, len(stack)))
            if j == i + 1 or not frames[stack[j]].file.startswith("<")]


def _is_telemetry(file: str, ownership: Ownership, cache: Dict[str, bool]) -> bool:
    if file not in cache:  # Ownership.owner resolves real paths: too slow per sample
        cache[file] = not file.startswith("<") and ownership.is_telemetry(file)
    return cache[file]


def call_site_costs(profiles: Sequence[RawProfile], ownership: Ownership, *,
                    baseline: Sequence[RawProfile] = ()) -> Dict[Key, List[float]]:
    """µs per operation under each telemetry call site, one value per profile (0.0 where
    the site was not sampled), so the caller can take an interval across processes. Without
    `baseline` profiles a wrapper is charged with the wrapped library call too."""
    return {key: [s * 1e6 / max(p.ops, 1) for s, p in zip(site.seconds, profiles)]
            for key, site in _attribute(profiles, ownership, baseline).items()}


def hotspots(baseline: Sequence[RawProfile], treated: Sequence[RawProfile], ownership: Ownership,
             *, min_share: float = MIN_SHARE) -> Tuple[Hotspot, ...]:
    """Telemetry call sites of the treated profiles, costliest first. A share is the
    site's µs/op over the overhead, the treated minus the baseline median busy µs/op; when
    noise makes that smaller than all telemetry time, over the telemetry time instead, so
    shares never add up to more than 1."""
    sites = _attribute(treated, ownership, baseline)
    if not sites:
        return ()
    estimates = {key: median_interval([s * 1e6 / max(p.ops, 1) for s, p in zip(site.seconds, treated)])
                 for key, site in sites.items()}
    overhead = _busy_us_per_op(treated) - (_busy_us_per_op(baseline) if baseline else 0.0)
    denominator = max(overhead, sum(e.estimate for e in estimates.values()))
    found: List[Hotspot] = []
    for key, site in sites.items():
        share = estimates[key].estimate / denominator if denominator > 0 else 0.0
        if share < min_share:
            continue
        _, stack, at = site.heaviest
        leaf = _costliest_leaf(site.leaves)
        chain = tuple(reversed(stack[max(0, at - CHAIN_DEPTH):]))
        found.append(Hotspot(_frame(key, ownership), _frame(leaf, ownership), estimates[key], share,
                             tuple(_frame(k, ownership) for k in chain)))
    return tuple(sorted(found, key=lambda h: (-h.us_per_op.estimate, h.call_site.file, h.call_site.line)))


def _costliest_leaf(leaves: Dict[Key, float]) -> Key:
    """The costliest function below a site, at its costliest line: a leaf's time is
    spread over the lines it was executing."""
    by_function: DefaultDict[Tuple[str, str], float] = defaultdict(float)
    for (file, _, function), cost in leaves.items():
        by_function[(file, function)] += cost
    top = max(by_function, key=lambda name: (by_function[name], name))
    return max((key for key in leaves if (key[0], key[2]) == top), key=lambda key: (leaves[key], key))


def _busy_us_per_op(profiles: Sequence[RawProfile]) -> float:
    return median([p.busy_s * 1e6 / max(p.ops, 1) for p in profiles])


def _frame(key: Key, ownership: Ownership) -> Frame:
    return Frame(key[0], key[1], key[2], ownership.owner_name(key[0]))
