"""Plain-text pieces every text renderer shares (terminal, cold start, comparison,
listing, and the cells markdown and HTML reuse): aligned tables and µs / CI formatting.
It imports no renderer, so renderers can import it and never each other."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.model import Comparison, Estimate, Telemetry
from otelaudit.render._units import with_interval


def table(rows: Sequence[Sequence[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip() for r in rows]


def us(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.1f} µs" if abs(value) >= 10 else f"{value:.2f} µs"


def signed_us(value: float) -> str:
    return ("+" if value >= 0 else "−") + us(abs(value))


def with_ci(estimate: Estimate) -> str:
    return with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, signed=True)


def ratio(value: float) -> str:
    return f"×{value:.2f}"


def telemetry(value: Optional[Telemetry]) -> str:
    if value is None:
        return "—"
    parts = [f"{value.spans:.3g} span", f"{value.metric_measurements:.3g} metric", f"{value.log_records:.3g} log"]
    shown = [p for p, v in zip(parts, (value.spans, value.metric_measurements, value.log_records)) if v]
    return ", ".join(shown) or "none"


def verdict(comparison: Optional[Comparison]) -> str:
    return comparison.verdict if comparison else "—"
