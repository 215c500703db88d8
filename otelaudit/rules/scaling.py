"""OA117, OA118, OA119: instrumentation cost that grows with the payload, with the stack
depth, or with the operations the process has run — invisible at a scenario's one
payload size, shallow stack and half-second run. The evidence is the scaling children's
(measure.scaling): the overhead's growth with its interval over rounds, the telemetry
line whose sampled time grew most.

A growth is material when three bounds hold. Its interval's lower bound is above
MIN_GROWTH_US in all (noise on a shared machine moves a paired difference of 10 ms
blocks by a few µs: clean twins' intervals reach ±3 µs/op per KB and ±0.4 µs/op per
frame) and above the axis's floor per unit (PER_UNIT_US), far below what real scaling
work costs (inspect.stack(): ~40 µs per frame; a regex over each value: ≥ 100 µs per KB).
And it is at least MIN_RELATIVE of the overhead at the low point: a flat cost that
happens to be large is not a scaling problem. A soak slope OA116 explains (a call count
that rises with history) is added to that finding instead of a second one."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, FrozenSet, List, Sequence

from otelaudit.attribute.ownership import display_path
from otelaudit.model import Estimate, Finding
from otelaudit.model.growth import CostGrowth
from otelaudit.render import _units as units

MIN_GROWTH_US = 10.0
MIN_RELATIVE = 0.25
MIN_SOAK_SPAN = 500  # operations between the soak's early and late quarters
PER_UNIT_US = {"size": 0.5, "depth": 0.5, "history": 1.0}  # µs/op per KB, per frame, per 10k operations
RULES: Dict[str, str] = {
    "OA117": "instrumentation cost that grows with the payload size",
    "OA118": "instrumentation cost that grows with the call-stack depth",
    "OA119": "per-operation cost that rises the longer the process runs (soak)",
}
_RULE_OF = {"size": "OA117", "depth": "OA118", "history": "OA119"}
_FIX = {
    "size": "Work over every byte of a payload runs on every operation: cap what is scanned (truncate to the "
            "attribute length limit first), do it only when the span is recording and the attribute is enabled, "
            "or scan once where the payload is built, not per attribute.",
    "depth": "A walk over the whole call stack costs more the deeper the caller: take the one frame you need "
             "with sys._getframe(n), stop the walk at the first frame that answers, or do it only when an "
             "error is recorded.",
    "history": "Something done on every operation gets slower with every operation run (a collection that "
               "grows and is walked or searched): remove each entry when its operation ends, or bound it.",
}


def findings_from_growth(growths: Sequence[CostGrowth], explained: Sequence[Finding],
                         ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    """New findings; a soak slope under an OA116 finding goes to `with_soak` instead."""
    history_explained = any(f.rule == "OA116" for f in explained)
    return [_at_high(_finding(g), explained) for g in growths if material(g) and _RULE_OF[g.axis] not in ignore
            and not (g.axis == "history" and history_explained)]


def _at_high(finding: Finding, explained: Sequence[Finding]) -> Finding:
    """A site another finding already costs (at the low point, from the sampled share of
    the overhead) costs that plus the growth at the high point: what ranks it."""
    site = finding.call_site
    costed = next((f.us_per_op for f in explained if f.us_per_op is not None and site is not None
                   and f.call_site is not None and (f.call_site.file, f.call_site.line) == (site.file, site.line)), None)
    growth = finding.us_per_op
    if costed is None or growth is None:
        return finding
    return replace(finding, us_per_op=Estimate(costed.estimate + growth.estimate, costed.ci_low + growth.ci_low,
                                               costed.ci_high + growth.ci_high))


def material(growth: CostGrowth) -> bool:
    if growth.axis == "history" and growth.high - growth.low < MIN_SOAK_SPAN:
        return False  # a few hundred operations are no long run: their slope is warm-up and noise
    return (growth.growth.ci_low >= MIN_GROWTH_US and growth.per_unit.ci_low >= PER_UNIT_US[growth.axis]
            and growth.growth.estimate >= MIN_RELATIVE * max(growth.overhead_low.estimate, 0.0))


def with_soak(findings: Sequence[Finding], growths: Sequence[CostGrowth]) -> List[Finding]:
    """OA116's count of growing calls, with the time the soak measured them to cost."""
    soak = next((g for g in growths if g.axis == "history" and material(g)), None)
    if soak is None:
        return list(findings)
    return [replace(f, title=f"{f.title}; the soak measured {_per_unit(soak)}", us_per_op=f.us_per_op or soak.growth)
            if f.rule == "OA116" else f for f in findings]


def _finding(growth: CostGrowth) -> Finding:
    site = growth.site
    where = (f"{site.function}() at {display_path(site.file)}:{site.line} "
             f"({growth.site_share:.0%} of the sampled growth)") if site else "the instrumented operation"
    return Finding(
        rule=_RULE_OF[growth.axis],
        title=f"{where}: the overhead grows {_per_unit(growth)} ({_span(growth)})",
        call_site=site, target=site.function if site else None, distribution=site.distribution if site else None,
        version=None, calls_per_op=None, suggestion=_FIX[growth.axis], us_per_op=growth.growth,
        chain=(site,) if site else (),
    )


def _per_unit(growth: CostGrowth) -> str:
    cost = growth.per_unit
    return f"{units.with_interval(cost.estimate, cost.ci_low, cost.ci_high)}/op per {growth.unit}"


def _span(growth: CostGrowth) -> str:
    """From what to what, and by how much in all."""
    grew = units.with_interval(growth.growth.estimate, growth.growth.ci_low, growth.growth.ci_high, signed=True)
    low, high = _point(growth, growth.low), _point(growth, growth.high)
    return f"{grew}/op from {low} to {high}, over an overhead of {units.duration(growth.overhead_low.estimate)}/op"


def _point(growth: CostGrowth, value: int) -> str:
    if growth.axis == "size":
        return f"{value / 1024:.3g} KB" if value >= 1024 else f"{value} B"
    if growth.axis == "depth":
        return f"{value} extra frames"
    return f"operation {value}"
