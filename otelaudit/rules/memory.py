"""OA112: memory that telemetry code leaves alive on every operation. The evidence is
the memory-growth child's (child.memory): the slope of retained bytes after every
processor exported and the garbage was collected, its interval over the segments, the
allocation site in telemetry code and the container holding the entries.

The floor is on the interval's lower bound: 64 bytes per operation is one small object
(an empty dict, a short string) kept per operation. Below it, a dict's table doubling and
the allocator's free lists move a segment by tens of bytes per operation; above it, every
entry a service keeps per request is caught (a million requests retain ≥ 64 MB).

Growth that no growing container explains must hold over MIN_UNHELD_OPS operations: a
pool or a periodic clean-up rises for tens of operations between its drops. aiohttp's
client keeps the spans of recent responses alive until its connector sweeps them, a
sawtooth of ~0.5 spans per operation for ~40 operations, which 27 traced operations once
read as 1.3 KiB retained per operation. A leak a container holds is named with it."""

from __future__ import annotations

from typing import FrozenSet, List, Optional

from otelaudit.attribute.ownership import display_path
from otelaudit.model import Estimate, Finding, MemoryGrowth, Retention
from otelaudit.render import _units as units

RULE = "OA112"
MIN_BYTES_PER_OP = 64.0
MIN_UNHELD_OPS = 200


def findings_from_growth(growth: Optional[MemoryGrowth], ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    if growth is None or RULE in ignore:
        return []
    measured = growth.ops * growth.segments
    return [_finding(r, growth) for r in growth.retentions if r.bytes_per_op.ci_low >= MIN_BYTES_PER_OP
            and (r.container is not None or measured >= MIN_UNHELD_OPS)]


def _finding(retention: Retention, growth: MemoryGrowth) -> Finding:
    site, cost = retention.site, retention.bytes_per_op
    held = f", held by the {retention.container}" if retention.container else ""
    measured = growth.ops * growth.segments
    return Finding(
        rule=RULE,
        title=f"{site.function}() at {display_path(site.file)}:{site.line} leaves {_sizes(cost)} alive per "
              f"operation{held} "
              f"(still growing after {measured} operations, past a warm-up of {growth.warmup_ops})",
        call_site=site, target=retention.container, distribution=site.distribution, version=None,
        calls_per_op=retention.entries_per_op or None, suggestion=_suggestion(retention),
        chain=retention.sites, bytes_per_op=cost,
    )


def _suggestion(retention: Retention) -> str:
    where = f"the {retention.container}" if retention.container else "whatever keeps these objects"
    return (f"Memory grows with every operation until the process runs out: remove the entry from {where} when "
            "the span or request ends (pop it in the end/error callback), hold objects you must not keep alive "
            "through a weakref.WeakValueDictionary or WeakKeyDictionary, or bound the collection "
            "(functools.lru_cache(maxsize=…), a deque with maxlen).")


def _sizes(cost: Estimate) -> str:
    """One unit for the estimate and its interval, as render._units does for durations."""
    unit, scale = next(((u, s) for u, s in (("MiB", 2.0 ** 20), ("KiB", 1024.0)) if cost.ci_high >= s), ("B", 1.0))
    low, point, high = (units.number(v / scale, cost.ci_high / scale) for v in (cost.ci_low, cost.estimate, cost.ci_high))
    return f"{point} {unit} [{low}, {high}]"
