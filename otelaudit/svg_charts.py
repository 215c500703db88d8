"""The HTML report's pictures as inline SVG, drawn here so the page needs no library and no
network: the overhead chart (extra CPU per operation with its 95% interval, per
instrumentation) and a differential flame graph per scenario."""

from __future__ import annotations

from html import escape
from typing import List, Optional, Sequence

from otelaudit.flamegraph import Box, layout
from otelaudit.model import DiffFlame, Estimate, ScenarioResult
from otelaudit.ownership import display_path

CHART_WIDTH = 960
ROW_HEIGHT = 34
LABEL_WIDTH = 170
PANEL_GAP = 30
LABEL_ROOM = 175
FLAME_WIDTH = 1200
FLAME_ROW = 17
CHAR_WIDTH = 6.6  # px per character of the 11 px label font, to decide what fits


def overhead_chart(results: Sequence[ScenarioResult]) -> str:
    """Two panels per row: extra CPU µs/op (sdk and api arms against the baseline) and the
    sdk arm's CPU ratio, each bar with its 95% interval; rows without a valid measurement
    say why instead of drawing a bar."""
    rows = list(results)
    height = 40 + ROW_HEIGHT * len(rows)
    panel = (CHART_WIDTH - LABEL_WIDTH - PANEL_GAP) // 2
    measured = [r for r in rows if r.status == "ok" and r.overhead is not None]
    us_max = _axis_max([_high(r.overhead.cpu_us_per_op) for r in measured if r.overhead] +
                       [_high(r.api_overhead.cpu_us_per_op) for r in measured if r.api_overhead])
    ratio_max = _axis_max([_high(r.overhead.cpu_ratio) for r in measured if r.overhead] + [1.0])
    parts = [f'<svg id="overhead-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {height}" '
             f'width="100%" role="img" aria-label="overhead per instrumentation">',
             _axis_title(LABEL_WIDTH, "extra CPU per operation, µs (sdk ■, api-only ▪), 95% CI"),
             _axis_title(LABEL_WIDTH + panel + PANEL_GAP, "CPU × baseline (sdk), 95% CI")]
    for i, result in enumerate(rows):
        y = 30 + i * ROW_HEIGHT
        parts.append(f'<text class="row-label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
                     f'{escape(result.instrumentor)}</text>')
        if result not in measured:
            reason = result.failure.message if result.failure else result.status
            parts.append(f'<text class="not-measured" x="{LABEL_WIDTH}" y="{y + 17}">{escape(result.status)}: '
                         f'{escape(reason[:110])}</text>')
            continue
        assert result.overhead is not None
        parts.append(_bar(LABEL_WIDTH, y + 4, 14, panel, us_max, result.overhead.cpu_us_per_op, "sdk", "µs"))
        if result.api_overhead is not None:
            parts.append(_bar(LABEL_WIDTH, y + 20, 7, panel, us_max, result.api_overhead.cpu_us_per_op, "api", "µs"))
        parts.append(_bar(LABEL_WIDTH + panel + PANEL_GAP, y + 4, 14, panel, ratio_max, result.overhead.cpu_ratio,
                          "ratio", "×", origin=0.0))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis_title(x: int, text: str) -> str:
    return f'<text class="axis-title" x="{x}" y="14">{escape(text)}</text>'


def _axis_max(values: List[float]) -> float:
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
             else f"{value.estimate:+.1f} {unit} [{value.ci_low:.1f}, {value.ci_high:.1f}]")
    text = (f'<text class="bar-value" x="{max(high, right) + 6:.1f}" y="{mid + 4:.1f}">{escape(label)}</text>'
            if kind != "api" else "")
    return (f'<g class="bar-group"><title>{escape(kind)}: {escape(label)}</title>'
            f'<rect class="bar bar-{kind}" x="{left:.1f}" y="{y:.1f}" width="{max(right - left, 1.0):.1f}" '
            f'height="{height}"/>'
            f'<path class="error-bar" d="M{low:.1f},{mid:.1f}H{high:.1f}M{low:.1f},{mid - 4:.1f}V{mid + 4:.1f}'
            f'M{high:.1f},{mid - 4:.1f}V{mid + 4:.1f}"/>{text}</g>')


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
