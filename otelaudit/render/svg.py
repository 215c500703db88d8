"""The HTML report's pictures as inline SVG, drawn here so the page needs no library and no
network: the overhead chart (extra CPU per operation with its 95% interval, per
instrumentation) and a differential flame graph per scenario."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Optional, Sequence

from otelaudit.attribute.flamegraph import Box, layout
from otelaudit.model import DiffFlame, Estimate, ScenarioResult
from otelaudit.attribute.ownership import display_path

CHART_WIDTH = 960
ROW_HEIGHT = 34
LABEL_WIDTH = 170
PANEL_GAP = 30
LABEL_ROOM = 175
FLAME_WIDTH = 1200
FLAME_ROW = 17
CHAR_WIDTH = 6.6  # px per character of the 11 px label font, to decide what fits


@dataclass(frozen=True)
class ChartRow:
    """One labelled row of a two-panel bar chart; `left` None means not measured (`note` says why)."""

    label: str
    left: Optional[Estimate]
    right: Optional[Estimate] = None
    left_secondary: Optional[Estimate] = None  # a thinner bar under the main one
    note: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str  # "µs", "ms" (signed values) or "×" (ratios)


def bar_chart(chart_id: str, rows: Sequence[ChartRow], left: Panel, right: Panel) -> str:
    """Two panels of bars, each with its 95% interval as whiskers and its value as text."""
    height = 40 + ROW_HEIGHT * len(rows)
    panel = (CHART_WIDTH - LABEL_WIDTH - PANEL_GAP) // 2
    left_max = _axis_max([_high(e) for r in rows for e in (r.left, r.left_secondary) if e is not None])
    right_max = _axis_max([_high(r.right) for r in rows if r.right is not None] + [0.0])
    parts = [f'<svg id="{escape(chart_id)}" class="bar-chart" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" aria-label="{escape(left.title)}">',
             _axis_title(LABEL_WIDTH, left.title), _axis_title(LABEL_WIDTH + panel + PANEL_GAP, right.title)]
    for i, row in enumerate(rows):
        y = 30 + i * ROW_HEIGHT
        parts.append(f'<text class="row-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
                     f'{escape(row.label)}</text>')
        if row.left is None:
            parts.append(f'<text class="not-measured" x="{LABEL_WIDTH}" y="{y + 17}">{escape(row.note[:120])}</text>')
            continue
        parts.append(_bar(LABEL_WIDTH, y + 4, 14, panel, left_max, row.left, "main", left.unit))
        if row.left_secondary is not None:
            parts.append(_bar(LABEL_WIDTH, y + 20, 7, panel, left_max, row.left_secondary, "secondary", left.unit))
        if row.right is not None:
            parts.append(_bar(LABEL_WIDTH + panel + PANEL_GAP, y + 4, 14, panel, right_max, row.right, "right",
                              right.unit))
    parts.append("</svg>")
    return "\n".join(parts)


def overhead_chart(results: Sequence[ScenarioResult]) -> str:
    """Extra CPU µs/op of the sdk arm (and, thinner, the api arm) against the baseline, and
    the sdk arm's CPU ratio; rows without a valid measurement say why instead."""
    rows = []
    for result in results:
        if result.status == "ok" and result.overhead is not None:
            api = result.api_overhead.cpu_us_per_op if result.api_overhead else None
            rows.append(ChartRow(result.instrumentor, result.overhead.cpu_us_per_op, result.overhead.cpu_ratio, api))
        else:
            reason = result.failure.message if result.failure else ""
            rows.append(ChartRow(result.instrumentor, None, note=f"{result.status}: {reason}"))
    return bar_chart("overhead-chart", rows, Panel("extra CPU per operation, µs (sdk ■, api-only ▪), 95% CI", "µs"),
                     Panel("CPU × baseline (sdk), 95% CI", "×"))


def _axis_title(x: int, text: str) -> str:
    return f'<text class="axis-title" x="{x}" y="14">{escape(text)}</text>'


def _axis_max(values: Sequence[float]) -> float:
    return max([v for v in values if v > 0] or [1.0]) * 1.15


def _high(estimate: Estimate) -> float:
    return max(estimate.estimate, estimate.ci_high)


def _bar(x0: float, y: float, height: float, width: float, maximum: float, value: Estimate,
         kind: str, unit: str, origin: float = 0.0) -> str:
    """A bar from `origin` to the estimate, whiskers over the CI, the value as text."""
    def at(v: float) -> float:  # bars use the panel less the room their value label takes
        return x0 + max(0.0, min(v, maximum)) / maximum * (width - LABEL_ROOM)

    left, right = sorted((at(origin), at(value.estimate)))
    low, high = at(value.ci_low), at(value.ci_high)
    mid = y + height / 2
    label = (f"{value.estimate:.2f}{unit} [{value.ci_low:.2f}, {value.ci_high:.2f}]" if unit == "×"
             else f"{_number(value.estimate, '+')} {unit} [{_number(value.ci_low)}, {_number(value.ci_high)}]")
    text = (f'<text class="bar-value" x="{max(high, right) + 6:.1f}" y="{mid + 4:.1f}">{escape(label)}</text>'
            if kind != "secondary" else "")
    return (f'<g class="bar-group"><title>{escape(kind)}: {escape(label)}</title>'
            f'<rect class="bar bar-{kind}" x="{left:.1f}" y="{y:.1f}" width="{max(right - left, 1.0):.1f}" '
            f'height="{height}"/>'
            f'<path class="error-bar" d="M{low:.1f},{mid:.1f}H{high:.1f}M{low:.1f},{mid - 4:.1f}V{mid + 4:.1f}'
            f'M{high:.1f},{mid - 4:.1f}V{mid + 4:.1f}"/>{text}</g>')


def _number(value: float, sign: str = "") -> str:
    return f"{value:{sign}.2f}" if abs(value) < 10 else f"{value:{sign}.1f}"


def flame_graph(flame: Optional[DiffFlame], scenario: str, telemetry: Sequence[str] = ()) -> str:
    """An icicle of the instrumented arm (width = inclusive time), each frame coloured by
    its change against the baseline: red grew, blue shrank, grey unchanged. Frames owned
    by telemetry distributions (`telemetry`) are outlined."""
    if flame is None:
        return '<p class="no-flame">No profiles were sampled for this scenario.</p>'
    laid_out = layout(flame)
    boxes = laid_out.boxes
    if not boxes:
        return '<p class="no-flame">The profiles held no samples.</p>'
    trunk = " → ".join(flame.frames[i].function for i in laid_out.trunk)
    depth = max(b.depth for b in boxes) + 1
    height = depth * FLAME_ROW + 4
    largest = max(abs(b.instrumented_us - b.baseline_us) for b in boxes) or 1.0
    parts = [f'<p class="trunk">Every sample passes through: {escape(trunk)}</p>' if trunk else "",
             f'<svg class="flame-graph" data-scenario="{escape(scenario)}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {FLAME_WIDTH} {height}" width="100%" role="img" '
             f'aria-label="differential flame graph of {escape(scenario)}">']
    parts += [_flame_box(flame, box, largest, telemetry) for box in boxes]
    parts.append("</svg>")
    return "\n".join(parts)


def _flame_box(flame: DiffFlame, box: Box, largest: float, telemetry: Sequence[str]) -> str:
    frame = flame.frames[box.frame]
    delta = box.instrumented_us - box.baseline_us
    owner = frame.distribution or "unknown"
    label = f"{frame.function} ({display_path(frame.file)})"
    tip = (f"{label}\nowner: {owner}\ninstrumented {box.instrumented_us:.2f} µs/op, baseline "
           f"{box.baseline_us:.2f} µs/op, change {delta:+.2f} µs/op")
    x, width, y = box.x * FLAME_WIDTH, box.width * FLAME_WIDTH, box.depth * FLAME_ROW
    outlined = " telemetry" if any(owner.startswith(t) for t in telemetry) else ""
    return (f'<g class="frame{outlined}" data-x="{box.x:.6f}" data-w="{box.width:.6f}" data-depth="{box.depth}" '
            f'data-label="{escape(frame.function)}"><title>{escape(tip)}</title>'
            f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{FLAME_ROW - 1}" '
            f'fill="{_colour(delta / largest)}"/>'
            f'<text x="{x + 3:.2f}" y="{y + 12}">{escape(_fit(frame.function, width))}</text></g>')


def _colour(change: float) -> str:
    """-1..1 → blue..grey..red, saturating with the size of the change."""
    t = min(abs(change), 1.0) ** 0.5
    if abs(change) < 0.02:
        return "rgb(215,215,210)"
    if change > 0:
        return f"rgb({255:d},{int(215 - 150 * t):d},{int(210 - 150 * t):d})"
    return f"rgb({int(215 - 150 * t):d},{int(215 - 90 * t):d},255)"


def _fit(text: str, width: float) -> str:
    room = int((width - 6) / CHAR_WIDTH)
    if room < 3:
        return ""
    return text if len(text) <= room else text[: room - 1] + "…"
