"""The HTML report's pictures as inline SVG, drawn here so the page needs no library and no
network: the overhead chart (extra CPU per operation with its 95% interval, per
instrumentation) and a differential flame graph per scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import List, Optional, Sequence, Tuple

from otelaudit.attribute.flamegraph import Box, layout
from otelaudit.model import DiffFlame, Estimate, ScenarioResult
from otelaudit.attribute.ownership import display_path
from otelaudit.render._units import durations, with_interval

CHART_WIDTH = 960
ROW_HEIGHT = 34
LABEL_WIDTH = 170
PANEL_GAP = 30
LABEL_ROOM = 175
FLAME_WIDTH = 1200
FLAME_ROW = 17
AXIS_ROOM = 24  # below the rows: the tick labels
CHAR_WIDTH = 6.6  # px per character of the 11 px label font, to decide what fits
NEUTRAL = "rgb(215,215,210)"  # a flame frame whose change is within the noise


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

    @property
    def origin(self) -> float:
        """Where no change lies: 0, or ×1 for a ratio."""
        return 1.0 if self.unit == "×" else 0.0

    def in_us(self, value: float) -> float:
        return value * 1000.0 if self.unit == "ms" else value


@dataclass(frozen=True)
class Axis:
    """A panel's linear scale from `lo` to `hi` (both sides of `origin`) onto pixels."""

    x0: float
    width: float
    lo: float
    hi: float

    def at(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return self.x0 + (min(max(value, self.lo), self.hi) - self.lo) / span * (self.width - LABEL_ROOM)


def axis_for(x0: float, width: float, values: Sequence[float], origin: float) -> Axis:
    """Room for every estimate and interval end, negative ones left of the origin."""
    lo, hi = min([origin, *values]), max([origin, *values])
    pad = (hi - lo) * 0.06 or 1.0
    return Axis(x0, width, lo - pad if lo < origin else lo, hi + pad)


def ticks(lo: float, hi: float, most: int = 6) -> List[float]:
    """Round values (1, 2 or 5 × 10^k apart) across [lo, hi]."""
    raw = (hi - lo) / most or 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def bar_chart(chart_id: str, rows: Sequence[ChartRow], left: Panel, right: Panel) -> str:
    """Two panels of bars, each with its 95% interval as whiskers, its value as text, an
    axis with ticks and a line at the origin (0, or ×1 for ratios)."""
    height = 40 + ROW_HEIGHT * len(rows) + AXIS_ROOM
    panel = (CHART_WIDTH - LABEL_WIDTH - PANEL_GAP) // 2
    lefts = [e for r in rows for e in (r.left, r.left_secondary) if e is not None]
    left_axis = axis_for(LABEL_WIDTH, panel, [v for e in lefts for v in _ends(e)], left.origin)
    right_axis = axis_for(LABEL_WIDTH + panel + PANEL_GAP, panel,
                          [v for r in rows if r.right is not None for v in _ends(r.right)], right.origin)
    bottom = 30 + ROW_HEIGHT * len(rows)
    parts = [f'<svg id="{escape(chart_id)}" class="bar-chart" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" aria-label="{escape(left.title)}">',
             _axis_title(LABEL_WIDTH, left.title), _axis_title(LABEL_WIDTH + panel + PANEL_GAP, right.title),
             _axis(left_axis, left, bottom), _axis(right_axis, right, bottom)]
    for i, row in enumerate(rows):
        y = 30 + i * ROW_HEIGHT
        parts.append(f'<text class="row-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
                     f'{escape(row.label)}</text>')
        if row.left is None:
            parts.append(f'<text class="not-measured" x="{LABEL_WIDTH}" y="{y + 17}">{escape(row.note[:120])}</text>')
            continue
        parts.append(_bar(left_axis, y + 3, 14, row.left, "main", left))
        if row.left_secondary is not None:
            parts.append(_bar(left_axis, y + 19, 10, row.left_secondary, "secondary", left))
        if row.right is not None:
            parts.append(_bar(right_axis, y + 3, 14, row.right, "right", right))
    parts.append("</svg>")
    return "\n".join(parts)


def _ends(estimate: Estimate) -> Tuple[float, float, float]:
    return estimate.estimate, estimate.ci_low, estimate.ci_high


def _axis(axis: Axis, panel: Panel, bottom: float) -> str:
    """Ticks and labels under the panel, and the origin's line through every row."""
    origin = panel.origin
    values = sorted(set(ticks(axis.lo, axis.hi)) | {origin})
    labels = ([f"×{v:g}" for v in values] if panel.unit == "×"
              else list(durations([panel.in_us(v) for v in values])))
    parts = [f'<line class="axis" x1="{axis.x0:.1f}" y1="{bottom:.1f}" x2="{axis.at(axis.hi):.1f}" y2="{bottom:.1f}"/>']
    for value, label in zip(values, labels):
        x = axis.at(value)
        parts.append(f'<line class="tick" x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{bottom + 4:.1f}"/>'
                     f'<text class="tick-label" x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    zero = axis.at(origin)
    parts.append(f'<line class="zero-line" data-origin="{origin:g}" x1="{zero:.1f}" y1="24" x2="{zero:.1f}" '
                 f'y2="{bottom + 4:.1f}"/>')
    return "".join(parts)


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
    return bar_chart("overhead-chart", rows, Panel("extra CPU per operation (sdk ■, api-only ▬), 95% interval", "µs"),
                     Panel("CPU × baseline (sdk), 95% interval", "×"))


def _axis_title(x: int, text: str) -> str:
    return f'<text class="axis-title" x="{x}" y="14">{escape(text)}</text>'


def _bar(axis: Axis, y: float, height: float, value: Estimate, kind: str, panel: Panel) -> str:
    """A bar from `origin` to the estimate (leftwards when below it), whiskers over the
    interval, the value as text right of both."""
    left, right = sorted((axis.at(panel.origin), axis.at(value.estimate)))
    low, high = axis.at(value.ci_low), axis.at(value.ci_high)
    mid = y + height / 2
    label = (f"×{value.estimate:.2f} [{value.ci_low:.2f}, {value.ci_high:.2f}]" if panel.unit == "×"
             else with_interval(panel.in_us(value.estimate), panel.in_us(value.ci_low), panel.in_us(value.ci_high),
                                signed=True))
    text = (f'<text class="bar-value" x="{max(high, right) + 6:.1f}" y="{mid + 4:.1f}">{escape(label)}</text>'
            if kind != "secondary" else "")
    return (f'<g class="bar-group"><title>{escape(kind)}: {escape(label)}</title>'
            f'<rect class="bar bar-{kind}" data-estimate="{value.estimate:g}" x="{left:.1f}" y="{y:.1f}" '
            f'width="{max(right - left, 1.0):.1f}" height="{height}"/>'
            f'<path class="error-bar" d="M{low:.1f},{mid:.1f}H{high:.1f}M{low:.1f},{mid - 4:.1f}V{mid + 4:.1f}'
            f'M{high:.1f},{mid - 4:.1f}V{mid + 4:.1f}"/>{text}</g>')


def flame_graph(flame: Optional[DiffFlame], scenario: str, telemetry: Sequence[str] = (),
                noise_us: float = 0.0) -> str:
    """An icicle of the instrumented arm (width = inclusive time), each frame coloured by
    its change against the baseline: red grew, blue shrank, grey when the change is within
    `noise_us` (what the measurement could not resolve). Frames owned by telemetry
    distributions (`telemetry`) are outlined."""
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
    parts += [_flame_box(flame, box, largest, telemetry, noise_us) for box in boxes]
    parts.append("</svg>")
    return "\n".join(parts)


def _flame_box(flame: DiffFlame, box: Box, largest: float, telemetry: Sequence[str], noise_us: float) -> str:
    frame = flame.frames[box.frame]
    delta = box.instrumented_us - box.baseline_us
    changed = abs(delta) > noise_us
    owner = frame.distribution or "unknown"
    label = f"{frame.function} ({display_path(frame.file)})"
    tip = (f"{label}\nowner: {owner}\ninstrumented {box.instrumented_us:.2f} µs/op, baseline "
           f"{box.baseline_us:.2f} µs/op, change {delta:+.2f} µs/op")
    x, width, y = box.x * FLAME_WIDTH, box.width * FLAME_WIDTH, box.depth * FLAME_ROW
    outlined = " telemetry" if any(owner.startswith(t) for t in telemetry) else ""
    return (f'<g class="frame{outlined}" data-x="{box.x:.6f}" data-w="{box.width:.6f}" data-depth="{box.depth}" '
            f'data-label="{escape(frame.function)}"><title>{escape(tip)}</title>'
            f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{FLAME_ROW - 1}" '
            f'fill="{_colour(delta / largest, changed)}" data-changed="{int(changed)}"/>'
            f'<text x="{x + 3:.2f}" y="{y + 12}">{escape(_fit(frame.function, width))}</text></g>')


def _colour(change: float, changed: bool) -> str:
    """-1..1 → blue..red, saturating with the size of the change; grey when not `changed`.
    A change judged outside the noise is never paler than a clear tint, however small
    beside the largest one."""
    if not changed or change == 0:
        return NEUTRAL
    t = max(min(abs(change), 1.0) ** 0.5, 0.3)
    if change > 0:
        return f"rgb({255:d},{int(215 - 150 * t):d},{int(210 - 150 * t):d})"
    return f"rgb({int(215 - 150 * t):d},{int(215 - 90 * t):d},255)"


def _fit(text: str, width: float) -> str:
    room = int((width - 6) / CHAR_WIDTH)
    if room < 3:
        return ""
    return text if len(text) <= room else text[: room - 1] + "…"
