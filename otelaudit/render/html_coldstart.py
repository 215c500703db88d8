"""The cold-start part of the HTML report: import and instrument() cost per
instrumentation as a chart with 95% intervals, the table of the terminal report, the
modules each instrumentation drags in, findings with patches, and auto-instrumentation."""

from __future__ import annotations

from html import escape
from typing import List

from otelaudit.model import ColdStartReport, TargetColdStart
from otelaudit.render.coldstart import HEADERS, auto_lines, row, simulated_lines
from otelaudit.render.svg import ChartRow, Panel, bar_chart

MODULES_SHOWN = 5


def cold_start_section(section: ColdStartReport) -> str:
    rows = [_chart_row(target) for target in section.targets]
    parts = [f"<h2>Cold start</h2><p>{section.rounds} interleaved rounds of fresh interpreters "
             "(<code>-X importtime</code>): the library alone against the library with the instrumentation imported "
             "and <code>instrument()</code> called; medians of paired differences with 95% intervals.</p>",
             bar_chart("cold-start-chart", rows, Panel("import over the library, ms (wall ■, CPU ▪), 95% CI", "ms"),
                       Panel("instrument(), ms, 95% CI", "ms")),
             _table(section)]
    parts += [_target(target) for target in section.targets if target.status in ("ok", "invalid")]
    if section.auto is not None:
        parts.append("<h3>opentelemetry-instrument start-up</h3><pre>"
                     + escape("\n".join(auto_lines(section.auto, "start-up"))) + "</pre>")
    if section.simulated_distributions:
        parts.append("<h3>Simulated large environment</h3><pre>" + escape("\n".join(simulated_lines(section)))
                     + "</pre>")
    return "\n".join(parts)


def _chart_row(target: TargetColdStart) -> ChartRow:
    if target.import_ms is None:
        reason = target.failure.message if target.failure else ""
        return ChartRow(target.instrumentor, None, note=f"{target.status}: {reason}")
    return ChartRow(target.instrumentor, target.import_ms, target.instrument_ms, target.import_cpu_ms)


def _table(section: ColdStartReport) -> str:
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in HEADERS) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row(t)) + "</tr>" for t in section.targets)
    return f"<table>{head}{body}</table>"


def _target(target: TargetColdStart) -> str:
    parts: List[str] = [f"<h3>{escape(target.instrumentor)} ({escape(target.distribution or '?')} "
                        f"{escape(target.version or '?')})</h3><ul>"]
    parts += [f"<li><code>{escape(m.module)}</code> ({escape(m.distribution or '?')}): {m.self_ms:.1f} ms self, "
              f"{m.cumulative_ms:.1f} ms with its imports, via {escape(' → '.join(m.chain))}</li>"
              for m in target.top_modules[:MODULES_SHOWN]]
    parts.append("</ul>")
    for finding in target.findings:
        parts.append(f"<p><b>[{escape(finding.rule)}] {escape(finding.title)}</b><br>{escape(finding.suggestion)}</p>")
        if finding.patch:
            parts.append(f"<pre>{escape(finding.patch)}</pre>")
    return "".join(parts)
