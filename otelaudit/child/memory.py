"""Memory that grows with every operation (`mode="memory"`, sdk arm, inline export):
retained bytes after every processor exported and the garbage was collected, at
`segments` + 1 checkpoints `ops` operations apart after an untraced warm-up. Bounded
buffers (caches, pools, the batch queue) fill in the warm-up or cancel between
checkpoints, so growth is a slope; its interval comes from the segments. tracemalloc
starts after the warm-up, so a snapshot holds only what the measured operations left
alive; each allocation is charged to a site in telemetry code, and the containers that
grew are named (child.holders)."""

from __future__ import annotations

import _tracemalloc
import gc
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from otelaudit.attribute.ownership import Ownership
from otelaudit.child import holders
from otelaudit.child.drive import run_concurrently
from otelaudit.measure.stats import median_interval
from otelaudit.model import Estimate, Frame, MemoryGrowth, Retention, RunSpec

DEPTH = 32  # frames per allocation: deep enough to pass the SDK and wrapt on the way up to the instrumentation
MAX_SITES = 12  # growing sites followed to their containers
MAX_RETENTIONS = 5
MIN_SEGMENTS, MAX_TRACED_S = 3, 5.0  # the plan aims at 1.5-3 s traced; operations that allocate a lot
# (GenAI clients: tracemalloc at this depth slows them ~80x) stop after three segments once this has passed
MIN_SITE_BYTES_PER_OP = 8.0  # a site growing slower is not followed (the rule's floor is far above it)
Site = holders.Site
Trace = Tuple[Site, ...]  # innermost frame first
Checkpoint = Dict[Trace, int]
_OWN = frozenset((tracemalloc.__file__, __file__, holders.__file__))  # the measurement's own bookkeeping


class Sites:
    """Charges an allocation's frames to one site in telemetry code, or to none: the first
    frame outside the standard library must be telemetry code; the site is then the
    innermost frame of the instrumentation under audit, else that first frame."""

    def __init__(self, ownership: Ownership) -> None:
        self.ownership = ownership
        self._files: Dict[str, Tuple[bool, bool, bool]] = {}
        self._traces: Dict[Trace, Optional[Site]] = {}

    def of(self, trace: Trace) -> Optional[Site]:
        if trace not in self._traces:
            self._traces[trace] = self._site(trace)
        return self._traces[trace]

    def of_object(self, obj: Any) -> Optional[Site]:
        frames = _object_frames(obj)
        return None if frames is None else self.of(frames)

    def _kind(self, file: str) -> Tuple[bool, bool, bool]:
        if file not in self._files:
            o = self.ownership
            self._files[file] = (o.is_stdlib(file), o.is_telemetry(file), o.is_audited(file))
        return self._files[file]

    def _site(self, trace: Trace) -> Optional[Site]:
        first = next((frame for frame in trace if not self._kind(frame[0])[0]), None)
        if first is None or not self._kind(first[0])[1]:
            return None
        return next((frame for frame in trace if self._kind(frame[0])[2]), first)

    def frame(self, site: Site) -> Frame:
        return Frame(site[0], site[1], holders.enclosing_function(*site), self.ownership.owner_name(site[0]))


def _object_frames(obj: Any) -> Optional[Trace]:
    """Where `obj` was allocated, innermost first: the raw form when the C module offers it
    (`Traceback` objects cost a Python call per frame)."""
    raw = getattr(_tracemalloc, "_get_object_traceback", None)
    if raw is not None:
        found: Optional[Trace] = raw(obj)
        return found
    traceback = tracemalloc.get_object_traceback(obj)
    return None if traceback is None else _trace(traceback)


def _trace(traceback: Sequence[Any]) -> Trace:
    return tuple((frame.filename, frame.lineno) for frame in reversed(traceback))


def _retained() -> Checkpoint:
    """Live bytes by traceback. The snapshot's raw traces ((domain, size, frames innermost
    first, ...)) are summed directly: `Snapshot.statistics` and `filter_traces` build a
    Python object per trace and took seconds per checkpoint."""
    snapshot = tracemalloc.take_snapshot()
    raw = getattr(snapshot.traces, "_traces", None)
    traces = raw if raw is not None else [(0, t.size, tuple((f.filename, f.lineno) for f in reversed(t.traceback)))
                                          for t in snapshot.traces]
    point: Checkpoint = {}
    for trace in traces:
        frames = trace[2]
        if frames and frames[0][0] not in _OWN:
            point[frames] = point.get(frames, 0) + trace[1]
    return point


def _settle(flush: Callable[[], None]) -> None:
    flush()
    gc.collect()
    gc.collect()  # what the first collection's finalizers let go


async def growth_phase(workload: Any, spec: RunSpec, flush: Callable[[], None], ownership: Ownership) -> MemoryGrowth:
    """After the warm-up (`spec.warmup_ops`, run by the caller)."""
    started = time.perf_counter()
    _settle(flush)
    before = holders.container_sizes()
    tracemalloc.start(DEPTH)
    try:
        points = [_retained()]
        while len(points) <= spec.segments:
            await run_concurrently(workload, spec.ops, spec.concurrency)
            _settle(flush)
            points.append(_retained())
            if len(points) > MIN_SEGMENTS and time.perf_counter() - started > MAX_TRACED_S:
                break
        segments = len(points) - 1
        sites = Sites(ownership)
        by_site = _by_site(points, sites)
        retentions = _retentions(by_site, before, sites, spec.ops, segments)
    finally:
        tracemalloc.stop()
    total = [sum(point.values()) for point in points]
    telemetry = [sum(series[i] for series in by_site.values()) for i in range(len(points))]
    return MemoryGrowth(ops=spec.ops, segments=segments, warmup_ops=spec.warmup_ops,
                        bytes_per_op=_slope(total, spec.ops), telemetry_bytes_per_op=_slope(telemetry, spec.ops),
                        retentions=retentions, seconds=round(time.perf_counter() - started, 3))


def _by_site(points: Sequence[Checkpoint], sites: Sites) -> Dict[Site, List[int]]:
    """Retained bytes at each checkpoint, by telemetry site."""
    series: Dict[Site, List[int]] = {}
    for index, point in enumerate(points):
        for trace, size in point.items():
            site = sites.of(trace)
            if site is not None:
                series.setdefault(site, [0] * len(points))[index] += size
    return series


def _slopes(series: Sequence[float], ops: int) -> List[float]:
    return [(later - earlier) / max(ops, 1) for earlier, later in zip(series, series[1:])]


def _slope(series: Sequence[float], ops: int) -> Estimate:
    found = median_interval(_slopes(series, ops))
    return Estimate(*(round(value, 1) for value in (found.estimate, found.ci_low, found.ci_high)))


def _retentions(by_site: Dict[Site, List[int]], before: Dict[int, int], sites: Sites, ops: int,
                segments: int) -> Tuple[Retention, ...]:
    """Growing sites grouped by the container that holds their entries (the entries' own
    site first); sites no growing container holds are reported alone."""
    growing = sorted((s for s in by_site if _slope(by_site[s], ops).estimate >= MIN_SITE_BYTES_PER_OP),
                     key=lambda s: -(by_site[s][-1] - by_site[s][0]))[:MAX_SITES]
    if not growing:  # nothing to explain: the heap walk is the phase's dearest step
        return ()
    measured = ops * segments
    unclaimed = set(growing)
    found: List[Retention] = []
    for gained, container in holders.grown_containers(before, max(segments, measured // 4)):
        direct, nested = holders.entry_sites(container, sites.of_object)
        group = [s for s in growing if s in unclaimed and (s in direct or s in nested)]
        if not group:
            continue
        entry = max(group, key=lambda s: (direct[s], nested[s]))
        group.sort(key=lambda s: (s != entry, -(by_site[s][-1] - by_site[s][0])))
        unclaimed -= set(group)
        found.append(_retention(group, by_site, sites, ops, holders.describe(container), gained / max(measured, 1)))
    found += [_retention([s], by_site, sites, ops, None) for s in growing if s in unclaimed]
    found.sort(key=lambda r: -r.bytes_per_op.estimate)
    return tuple(found[:MAX_RETENTIONS])


def _retention(group: Sequence[Site], by_site: Dict[Site, List[int]], sites: Sites, ops: int,
               container: Optional[str], entries_per_op: float = 0.0) -> Retention:
    summed = [sum(by_site[s][i] for s in group) for i in range(len(by_site[group[0]]))]
    frames = tuple(sites.frame(s) for s in group)
    return Retention(bytes_per_op=_slope(summed, ops), site=frames[0], sites=frames, container=container,
                     entries_per_op=round(entries_per_op, 3))
