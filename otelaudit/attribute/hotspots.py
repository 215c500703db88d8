"""Sampled differential hotspots: from the profiles `otelaudit.child.sampler` took, the
time under each telemetry call site (the innermost frame telemetry code owns, unless it
only passes the library's own call through) is charged to it per operation, and set
against the sdk-minus-baseline difference. Unlike the probe it finds costs nobody
catalogued, at the price of sampling noise; run it in its own child, never a timed one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import DefaultDict, Dict, List, Sequence, Tuple


from otelaudit.model import Estimate, Frame, Hotspot, RawProfile
from otelaudit.attribute.ownership import Ownership
from otelaudit.measure.stats import median, median_interval

MIN_SHARE = 0.01  # sites costing less than this share of the overhead are noise, not findings
PASS_THROUGH_SLACK = 3  # frames below a wrapper searched for the library call the application makes itself
CHAIN_DEPTH = 24  # callers kept above a call site, as in the probe
Key = Tuple[str, int, str]  # (file, line, function): the identity of a frame


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
    match of the caller with any of the next PASS_THROUGH_SLACK frames counts. The caller's
    side has slack too, for the wrapped callee itself: a library may add frames of its own
    only when a hook is installed (aiohttp runs middlewares through `impl`), so one of the
    next PASS_THROUGH_SLACK frames above calling it directly in the baseline also counts."""
    cache: Dict[str, bool] = {}
    pairs = [(a.file, a.function, b.file, b.function, adjacent) for profile in baseline
             for a, b, adjacent in _pairs(profile)]
    direct = {pair[:4] for pair in pairs}
    immediate = {pair[:4] for pair in pairs if pair[4]}
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
            if callees and any((a[0], a[2], callees[0][0], callees[0][2]) in immediate
                               for a in keys[max(0, top - 1 - PASS_THROUGH_SLACK):max(0, top - 1)]):
                continue
            site = sites.setdefault(keys[at], _Site([0.0] * len(profiles), defaultdict(float), (0.0, (), 0)))
            site.seconds[n] += seconds
            site.leaves[keys[-1]] += seconds / max(profile.ops, 1)
            if seconds > site.heaviest[0]:
                site.heaviest = (seconds, keys, at)
    return sites


def _pairs(profile: RawProfile) -> List[Tuple[Frame, Frame, bool]]:
    """Every (caller, descendant, direct callee?) sampled: direct callees, and Python functions
    up to PASS_THROUGH_SLACK frames down (a built-in deeper down says nothing about a wrapper)."""
    frames = profile.frames
    return [(frames[stack[i]], frames[stack[j]], j == i + 1) for stack in profile.stacks for i in range(len(stack))
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
        share = _share(estimates[key], denominator)
        if share.estimate < min_share:
            continue
        _, stack, at = site.heaviest
        leaf = _costliest_leaf(site.leaves)
        chain = tuple(reversed(stack[max(0, at - CHAIN_DEPTH):]))
        found.append(Hotspot(_frame(key, ownership), _frame(leaf, ownership), estimates[key], share.estimate,
                             tuple(_frame(k, ownership) for k in chain), share=share))
    return tuple(sorted(found, key=lambda h: (-h.us_per_op.estimate, h.call_site.file, h.call_site.line)))


def _share(sampled: Estimate, denominator: float) -> Estimate:
    if denominator <= 0:
        return Estimate(0.0, 0.0, 0.0)
    return Estimate(*(min(max(v / denominator, 0.0), 1.0) for v in (sampled.estimate, sampled.ci_low, sampled.ci_high)))


def scaled_to_overhead(found: Sequence[Hotspot], overhead: Estimate) -> Tuple[Hotspot, ...]:
    """Profiles measure wall time with a profiler attached, which inflates heavy Python
    code and counts waits; the timed rounds measure CPU cleanly. So a site's µs/op is its
    sampled share times the measured overhead, the interval from both intervals, capped at
    the overhead's upper bound. A noise-level overhead (interval reaching 0) scales to 0."""
    top = max(overhead.ci_high, 0.0)
    scaled = []
    for hotspot in found:
        share = hotspot.share or Estimate(hotspot.share_of_overhead, hotspot.share_of_overhead,
                                          hotspot.share_of_overhead)
        us = Estimate(min(share.estimate * max(overhead.estimate, 0.0), top),
                      share.ci_low * max(overhead.ci_low, 0.0), min(share.ci_high * top, top))
        scaled.append(replace(hotspot, us_per_op=us, scaled=True))
    return tuple(sorted(scaled, key=lambda h: (-h.us_per_op.estimate, h.call_site.file, h.call_site.line)))


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
