"""Plain-text pieces every text renderer shares (terminal, cold start, comparison,
listing, and the cells markdown and HTML reuse): aligned tables, lines wrapped to a
width, and figures in one unit each (otelaudit.render._units). It imports no renderer,
so renderers can import it and never each other."""

from __future__ import annotations

import textwrap
from typing import Iterable, List, Optional, Sequence

from otelaudit.model import Comparison, Estimate, Finding, Report, Telemetry
from otelaudit.render._units import duration, with_interval

VERDICT_WORDS = {"overhead": "overhead", "no-detectable-overhead": "none detected", "inconclusive": "inconclusive"}


def table(rows: Sequence[Sequence[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip() for r in rows]


def wrapped(lines: Iterable[str], width: int) -> List[str]:
    """Each line as it is if it fits, else wrapped at spaces, continuations indented
    under the line's own indent (long paths are broken rather than left too wide)."""
    out: List[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line[len(indent):], width, initial_indent=indent, subsequent_indent=indent + "    ",
                             break_on_hyphens=False) or [line[:width]]
    return out


def joined(parts: Sequence[str], width: int, indent: str, head: str = "") -> List[str]:
    """`parts` joined by " · " after `head` (the first line's start, else `indent`),
    breaking between parts rather than inside one; continuations start at `indent`."""
    lines: List[str] = []
    current, fresh = (head + "  ", True) if head else (indent, True)
    for part in parts:
        if fresh:
            current, fresh = current + part, False
        elif len(f"{current} · {part}") > width:
            lines.append(current)
            current = indent + part
        else:
            current = f"{current} · {part}"
    return wrapped(lines + [current.rstrip()], width)


def table_or_blocks(rows: Sequence[Sequence[str]], labels: Sequence[str], width: int, wide: bool = False,
                    indent: str = "", heads: int = 1) -> List[str]:
    """`rows` (headers first) as an aligned table when it fits `width` (or `wide`);
    otherwise one block per row, read at a glance on a narrow terminal: the first `heads`
    cells aligned, then `label value` for each other cell given, broken between cells."""
    laid = table(rows)
    if wide or max(len(line) for line in laid) <= width:
        return laid
    widths = [max(len(r[i].strip()) for r in rows[1:]) for i in range(heads)]
    out: List[str] = []
    for cells in rows[1:]:
        head = indent + "  ".join(c.strip().ljust(w) for c, w in zip(cells[:heads], widths))
        parts = [f"{label} {cell}".strip() for label, cell in zip(labels[heads:], cells[heads:]) if cell != "—"]
        out += joined(parts, width, indent + "    ", head=head)
    return out


def us(value: float) -> str:
    return duration(value)


def signed_us(value: float) -> str:
    return duration(value, signed=True)


def with_ci(estimate: Estimate, signed: bool = True) -> str:
    return with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, signed=signed)


def ratio(value: float) -> str:
    return f"×{value:.2f}"


def ratio_ci(estimate: Estimate) -> str:
    return f"×{estimate.estimate:.2f} [{estimate.ci_low:.2f}, {estimate.ci_high:.2f}]"


def telemetry(value: Optional[Telemetry]) -> str:
    if value is None:
        return "—"
    parts = [f"{value.spans:.3g} span", f"{value.metric_measurements:.3g} metric", f"{value.log_records:.3g} log"]
    shown = [p for p, v in zip(parts, (value.spans, value.metric_measurements, value.log_records)) if v]
    return ", ".join(shown) or "none"


def verdict(comparison: Optional[Comparison]) -> str:
    return VERDICT_WORDS[comparison.verdict] if comparison else "—"


def incomplete(report: Report) -> str:
    """One line for a report saved mid-scan whose scan never finished ('' when complete)."""
    if report.complete:
        return ""
    return (f"INCOMPLETE: the scan stopped before it finished; {len(report.results)} result(s) were saved, "
            f"the rest was not measured")


def shown_findings(findings: Sequence[Finding], most: int) -> List[Finding]:
    """The top `most`, and every measured setting (`--knobs` asked for each one)."""
    return list(findings[:most]) + [f for f in findings[most:] if f.setting]
