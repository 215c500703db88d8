"""The scaling child (`mode="scaling"`): CPU per operation at the points the workload
declares — its smallest payload at its first depth, its largest payload, its deepest
extra stack — played round by round in one process, so drift and the process's own
speed cancel between points; the sdk arm then samples each point once and charges the
samples to telemetry lines. Last, a soak: `soak_ops` operations timed in segments.
Both arms run it; the parent pairs them (otelaudit.measure.scaling)."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from typing import Any, Dict, List, Optional, Tuple

from otelaudit.attribute.ownership import Ownership
from otelaudit.child.drive import run_concurrently
from otelaudit.model import RawProfile, RunSpec
from otelaudit.model.scaling import ScalePoint, ScalingRun, SiteCost

SOAK_SEGMENTS = 12  # four quarters of three: the early and late quarters are compared
# Rounds stop once this much has passed, after MIN_ROUNDS: a large point can cost many
# times the base one (a regex over 16 KB), and blocks are sized from the base.
MIN_ROUNDS, MAX_ROUNDS_S = 6, 3.0  # 6: the fewest whose range is a 95% interval
PROFILE_S = 0.25  # sampled per point, sdk arm
# ... in chunks whose median a site's cost is: on a loaded machine one sample can stand for
# a stall of tens of ms, charged to whatever line ran, and it lands in one chunk only.
CHUNKS = 3
MAX_SITES = 8
Point = Tuple[int, int]  # (payload bytes, extra frames)


def points_of(workload: Any) -> List[Point]:
    """The base point first, then one point per declared axis with a second value."""
    sizes, depths = tuple(workload.sizes), tuple(workload.depths)
    size, depth = (sizes[0] if sizes else 0), (depths[0] if depths else 0)
    points = [(size, depth)]
    if len(sizes) > 1:
        points.append((sizes[-1], depth))
    if len(depths) > 1:
        points.append((size, depths[-1]))
    return points


class Nested:
    """The workload at one size, its operation called from `depth` extra coroutine frames:
    awaiting coroutines are linked frames, so stack walks see every one."""

    def __init__(self, workload: Any, point: Point) -> None:
        self.workload, (self.size, self.depth) = workload, point

    async def operation(self) -> None:
        self.workload.size = self.size
        await _descend(self.workload, self.depth)


async def _descend(workload: Any, depth: int) -> None:
    if depth > 0:
        await _descend(workload, depth - 1)
    else:
        await workload.operation()


async def _cpu_us_per_op(runner: Any, ops: int, concurrency: int) -> float:
    start = time.process_time()
    await run_concurrently(runner, ops, concurrency)
    return (time.process_time() - start) * 1e6 / max(ops, 1)


async def scaling_phase(workload: Any, spec: RunSpec, ownership: Optional[Ownership]) -> ScalingRun:
    """`ownership` is given in the sdk arm only: it alone is sampled."""
    started = time.perf_counter()
    points = points_of(workload) if spec.segments else []  # no rounds: a soak alone
    runners: List[Any] = [Nested(workload, point) for point in points]  # each drives as a workload
    for runner in runners:  # a payload's first use builds it; caches fill per size
        await run_concurrently(runner, max(spec.ops // 4, 1), spec.concurrency)
    rounds: List[List[float]] = [[] for _ in points]
    for index in range(spec.segments):
        # A rotation, not a shuffle: each point leads equally often, and one child needs no random order.
        for offset in range(len(points)):
            at = (index + offset) % len(points)
            rounds[at].append(await _cpu_us_per_op(runners[at], spec.ops, spec.concurrency))
        if index + 1 >= MIN_ROUNDS and time.perf_counter() - started > MAX_ROUNDS_S:
            break
    sites: List[Tuple[SiteCost, ...]] = [() for _ in points]
    if ownership is not None:
        from otelaudit.child.sampler import profile_ops

        for at, runner in enumerate(runners):
            chunks = [site_costs(await _sampled(profile_ops, runner, spec), ownership) for _ in range(CHUNKS)]
            sites[at] = typical(chunks)
    if points:
        workload.size = points[0][0]
    soak = [await _cpu_us_per_op(workload, max(spec.soak_ops // SOAK_SEGMENTS, 1), spec.concurrency)
            for _ in range(SOAK_SEGMENTS if spec.soak_ops else 0)]
    return ScalingRun(ops=spec.ops, points=tuple(ScalePoint(s, d, tuple(r), c) for (s, d), r, c in
                                                 zip(points, rounds, sites)),
                      soak_ops=max(spec.soak_ops // SOAK_SEGMENTS, 1) if soak else 0, soak_us=tuple(soak),
                      seconds=round(time.perf_counter() - started, 3))


async def _sampled(profile_ops: Any, runner: Any, spec: RunSpec) -> RawProfile:
    """Batches until a chunk's share of PROFILE_S has passed (at least one batch)."""
    batch, done = max(spec.ops // 4, 1), 0

    async def sample() -> None:
        nonlocal done
        began = time.perf_counter()
        while done == 0 or time.perf_counter() - began < PROFILE_S / CHUNKS:
            await run_concurrently(runner, batch, spec.concurrency)
            done += batch

    profile: RawProfile = await profile_ops(sample, batch)
    return replace(profile, ops=done)


def typical(chunks: List[Tuple[SiteCost, ...]]) -> Tuple[SiteCost, ...]:
    """Each site at its median µs/op over the chunks (0 where a chunk never sampled it)."""
    found: Dict[Tuple[str, int], List[SiteCost]] = {}
    for chunk in chunks:
        for cost in chunk:
            found.setdefault((cost.file, cost.line), []).append(cost)
    missing = {key: [0.0] * (len(chunks) - len(costs)) for key, costs in found.items()}
    merged = [replace(costs[0], us_per_op=statistics.median([c.us_per_op for c in costs] + missing[key]))
              for key, costs in found.items()]
    return tuple(sorted(merged, key=lambda c: -c.us_per_op)[:MAX_SITES])


def site_costs(profile: RawProfile, ownership: Ownership) -> Tuple[SiteCost, ...]:
    """Each sample goes to the first frame above its leaf that is not the standard library
    (nor a built-in), when telemetry code owns it: a regex or a stack walk is charged to
    the telemetry line calling it, the library's own work under a wrapper to nobody."""
    totals: Dict[Tuple[str, int, str], float] = {}
    kinds: Dict[str, Optional[bool]] = {}
    for stack, seconds in zip(profile.stacks, profile.seconds):
        for index in reversed(stack):
            frame = profile.frames[index]
            if frame.file not in kinds:
                kinds[frame.file] = _telemetry(frame.file, ownership)
            kind = kinds[frame.file]
            if kind is None:
                continue
            if kind:
                key = (frame.file, frame.line, frame.function)
                totals[key] = totals.get(key, 0.0) + seconds
            break
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:MAX_SITES]
    return tuple(SiteCost(f, line, fn, s * 1e6 / max(profile.ops, 1), ownership.owner_name(f))
                 for (f, line, fn), s in ranked)


def _telemetry(file: str, ownership: Ownership) -> Optional[bool]:
    """None for the standard library and built-ins (look further up), else whether telemetry owns it."""
    if file.startswith("<") or ownership.is_stdlib(file):
        return None
    owner = ownership.owner(file)
    return owner is not None and owner.telemetry
