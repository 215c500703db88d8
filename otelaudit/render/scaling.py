"""The scaling figures for people: the overhead's growth per KB, per frame and per 10k
operations run, each with its interval and the range it was measured over; one short
form for the terminal's detail line, one sentence each for the markdown report."""

from __future__ import annotations

from typing import List

from otelaudit.attribute.ownership import display_path
from otelaudit.model import ScenarioResult
from otelaudit.model.growth import CostGrowth
from otelaudit.render._units import duration, with_interval

_RANGES = {"size": "bytes of payload", "depth": "extra stack frames", "history": "operations into the soak"}


def short(result: ScenarioResult) -> List[str]:
    """`+3.20 [2.90, 3.50] µs/op per KB`: one item per axis measured. A soak too short for
    a slope (the default scan's cheap one) says what it measured rather than extrapolate
    a few hundred operations to 10k."""
    from otelaudit.rules.scaling import MIN_SOAK_SPAN

    items = []
    for g in result.cost_growth:
        if g.axis == "history" and g.high - g.low < MIN_SOAK_SPAN:
            items.append(f"{with_interval(g.growth.estimate, g.growth.ci_low, g.growth.ci_high, signed=True)}/op from "
                         f"operation {g.low} to {g.high} (a short soak: --soak N for a slope)")
        else:
            items.append(f"{with_interval(g.per_unit.estimate, g.per_unit.ci_low, g.per_unit.ci_high, signed=True)}"
                         f"/op per {g.unit}")
    return items


def lines(result: ScenarioResult) -> List[str]:
    return [_line(growth) for growth in result.cost_growth]


def _line(growth: CostGrowth) -> str:
    cost = growth.per_unit
    where = (f"; most of the sampled growth ({growth.site_share:.0%}) at {growth.site.function}() "
             f"{display_path(growth.site.file)}:{growth.site.line}") if growth.site else ""
    return (f"overhead {with_interval(cost.estimate, cost.ci_low, cost.ci_high, signed=True)}/op per {growth.unit} "
            f"({_RANGES[growth.axis]} {growth.low} → {growth.high}, {growth.rounds} paired "
            f"{'segments' if growth.axis == 'history' else 'rounds'}, over "
            f"{duration(growth.overhead_low.estimate)}/op at {growth.low}){where}")
