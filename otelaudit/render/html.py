"""The HTML report: one self-contained file (inline CSS, SVG and a little script, nothing
fetched) with the overhead chart, and per scenario the arms table, the findings and a
differential flame graph that zooms on click. The script also records what the browser
laid out (`data-rendered` on <body>), which the headless-browser test reads."""

from __future__ import annotations

from html import escape
from typing import List

from otelaudit.render import compare as render_compare
from otelaudit.render import export as render_export
from otelaudit.render import precision as render_precision
from otelaudit.render import svg as svg_charts
from otelaudit.render.html_coldstart import cold_start_section
from otelaudit.model import ArmSummary, Finding, Report, ScenarioResult
from otelaudit.attribute.ownership import display_path
from otelaudit.render.markdown import CHAIN_SHOWN, is_harness, relevant_packages, title
from otelaudit.render._text import incomplete, shown_findings, telemetry, with_ci
from otelaudit.render._units import half_width

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:18px;margin-top:36px;border-top:1px solid #ddd;padding-top:18px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f4;padding:8px;overflow-x:auto;font-size:12px}
.meta{color:#555}.bar-main{fill:#d9534f}.bar-secondary{fill:#b8860b}.bar-right{fill:#5b7db1}
.axis{stroke:#777}.tick{stroke:#e4e4e0}.tick-label{font-size:11px;fill:#555}.zero-line{stroke:#222;stroke-width:1.4}
.error-bar{stroke:#222;stroke-width:1.3;fill:none}.bar-value,.row-label,.not-measured,.axis-title{font-size:12px}
.not-measured{fill:#a00}.axis-title{font-weight:600}
.flame-graph text{font:11px monospace;pointer-events:none}.flame-graph .frame{cursor:pointer}
.flame-graph .telemetry rect{stroke:#6a1b9a;stroke-width:1.2}.flame-graph rect{stroke:#fff;stroke-width:.5}
.legend span{display:inline-block;padding:0 6px;margin-right:6px}
"""

SCRIPT = """
(function(){
  var W=1200, CW=6.6;
  function fit(t,w){var n=Math.floor((w-6)/CW);return n<3?'':(t.length<=n?t:t.slice(0,n-1)+'\\u2026');}
  function zoom(svg,x0,w0,d0){
    svg.querySelectorAll('g.frame').forEach(function(g){
      var x=+g.dataset.x,w=+g.dataset.w,d=+g.dataset.depth,r=g.querySelector('rect'),t=g.querySelector('text');
      var inside=x>=x0-1e-9&&x+w<=x0+w0+1e-9&&d>=d0, ancestor=d<d0&&x<=x0+1e-9&&x+w>=x0+w0-1e-9;
      if(!inside&&!ancestor){g.style.display='none';return;}
      g.style.display='';var nx=ancestor?0:(x-x0)/w0*W,nw=ancestor?W:w/w0*W;
      r.setAttribute('x',nx);r.setAttribute('width',nw);t.setAttribute('x',nx+3);t.textContent=fit(g.dataset.label,nw);
    });
  }
  document.querySelectorAll('svg.flame-graph').forEach(function(svg){
    svg.addEventListener('click',function(e){
      var g=e.target.closest('g.frame');
      if(!g){zoom(svg,0,1,0);return;}
      zoom(svg,+g.dataset.x,+g.dataset.w,+g.dataset.depth);
    });
  });
  function visible(sel){return Array.prototype.filter.call(document.querySelectorAll(sel),function(e){
    var b=e.getBoundingClientRect();return b.width>0&&b.height>0;}).length;}
  var chart=document.getElementById('overhead-chart');
  document.body.dataset.rendered=JSON.stringify({
    chartWidth: chart?Math.round(chart.getBoundingClientRect().width):0,
    bars: visible('#overhead-chart rect.bar'), errorBars: visible('#overhead-chart path.error-bar'),
    coldStartBars: visible('#cold-start-chart rect.bar'),
    flameGraphs: visible('svg.flame-graph'), flameFrames: visible('svg.flame-graph g.frame rect')});
})();
"""


def render(report: Report) -> str:
    env = report.environment
    body = [f"<h1>otelaudit report</h1>",
            f'<p class="meta">{escape(report.created)} · Python {escape(env.python)} ({escape(env.implementation)}), '
            f"{escape(env.platform)}, {env.cpu_count} CPU(s) · <code>{escape(report.command)}</code> · "
            f"{escape(render_precision.rounds_text(report))}, seed {report.settings.seed}</p>"]
    if report.results:
        body += ["<h2>Overhead per instrumentation</h2>",
                 "<p>Extra process CPU per operation with the SDK installed (sdk) and with the instrumentation alone "
                 "(api), against the uninstrumented baseline; the whisker is the distribution-free 95% interval of "
                 "the paired differences, and anything left of the zero line is less than the baseline.</p>", svg_charts.overhead_chart(report.results)]
    body += [f'<p class="incomplete"><strong>{escape(incomplete(report))}</strong></p>'] if not report.complete else []
    body += [section(report, result) for result in report.results if result.status == "ok" and result.overhead]
    if report.cold_start is not None:
        body.append(cold_start_section(report.cold_start))
    if report.comparison is not None:
        body.append(render_compare.html(report.comparison))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>otelaudit report {escape(report.created)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{SCRIPT}</script>\n</body></html>\n")


def section(report: Report, result: ScenarioResult) -> str:
    scenario = result.scenario or result.instrumentor
    pins = ", ".join(f"{escape(k)} {escape(v)}" for k, v in relevant_packages(report, result).items())
    telemetry_owners = ("opentelemetry", result.distribution or "opentelemetry")
    return "\n".join([
        f'<h2 id="{escape(scenario)}">{escape(title(result))}</h2>',
        f'<p class="meta">scenario <code>{escape(scenario)}</code>, library {escape(result.library or "?")} '
        f"{escape(result.library_version or '?')}, concurrency {result.concurrency}, "
        f"{result.ops_per_run:,} ops per run · {pins}</p>",
        arms_table(result),
        f"<p>{escape(render_export.sentence(result) or '')}</p>" if result.export_overhead else "",
        precision(result),
        findings(result),
        "<h3>Differential flame graph (sdk arm against baseline)</h3>",
        '<p class="legend">Width: sampled time per operation in the instrumented arm. '
        '<span style="background:rgb(255,90,85)">more than baseline</span>'
        '<span style="background:rgb(90,150,255)">less</span>'
        '<span style="background:rgb(215,215,210)">within the noise</span>'
        '<span style="outline:1.5px solid #6a1b9a">telemetry code</span> Click a frame to zoom, '
        "the background to reset; hover for µs/op.</p>",
        f'<p class="legend">{escape(noise_text(result))}</p>',
        svg_charts.flame_graph(result.flame, scenario, telemetry_owners, flame_noise_us(result)),
    ])


def flame_noise_us(result: ScenarioResult) -> float:
    """The smallest change a frame must show to be coloured: the larger of the overhead's
    95% interval half-width and the A/A noise floor. The timed rounds cannot resolve a
    difference smaller than that, so a sampled one is no evidence either."""
    overhead = result.overhead.cpu_us_per_op if result.overhead else None
    half = (overhead.ci_high - overhead.ci_low) / 2 if overhead else 0.0
    return max(half, result.noise_floor.floor_us if result.noise_floor else 0.0)


def noise_text(result: ScenarioResult) -> str:
    return (f"A frame is coloured only when its sampled change exceeds {half_width(flame_noise_us(result))} per "
            "operation: the larger of the overhead's 95% interval half-width and the A/A noise floor, the smallest "
            "difference these measurements resolve; smaller changes are grey. A frame's change is against the "
            "baseline's time for the same work, found by leaving out the frames the baseline never ran (so a "
            "wrapper shows its own extra work, not the whole call it wraps). Profiles sample wall time, which "
            "includes waits on sockets and locks.")


def arms_table(result: ScenarioResult) -> str:
    head = ("<tr><th>arm</th><th>CPU/op</th><th>latency p50</th><th>latency p99</th>"
            "<th>throughput ops/s</th><th>peak RSS KiB</th><th>bytes/op (peak)</th><th>telemetry/op</th></tr>")
    rows = [_arm_row(result.arms[arm]) for arm in ("baseline", "api", "sdk", "export") if arm in result.arms]
    return f"<table>{head}{''.join(rows)}</table>"


def _arm_row(arm: ArmSummary) -> str:
    cells = [arm.arm, with_ci(arm.cpu_us_per_op, False), with_ci(arm.latency_p50_us, False),
             with_ci(arm.latency_p99_us, False),
             f"{arm.throughput_ops_s.estimate:,.0f}", f"{arm.peak_rss_kib:,.0f}", f"{arm.mem_peak_bytes_per_op:,.0f}",
             telemetry(arm.telemetry_per_op)]
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def precision(result: ScenarioResult) -> str:
    """Rounds run and why they stopped, the A/A noise floor, instruction counts."""
    found = render_precision.lines(result)
    return "<ul class=\"precision\">" + "".join(f"<li>{escape(line)}</li>" for line in found) + "</ul>" if found else ""


def findings(result: ScenarioResult, most: int = 5) -> str:
    if not result.findings:
        return "<p><b>Findings:</b> none at the measured precision.</p>"
    return "<h3>Findings</h3>" + "".join(_finding(f) for f in shown_findings(result.findings, most))


def _finding(finding: Finding) -> str:
    parts: List[str] = [f"<p><b>[{escape(finding.rule)}] {escape(finding.title)}</b><br>"]
    if finding.calls_per_op is not None:
        parts.append(f"{finding.calls_per_op:.3g} calls/op (counted). ")
    if finding.us_per_op is not None:
        parts.append(f"{escape(with_ci(finding.us_per_op, False))} per op sampled. ")
    if finding.verified_saving_us is not None:
        what = "the setting" if finding.setting else "the fix"
        parts.append(f"Measured saving with {what}: {escape(with_ci(finding.verified_saving_us, False))} per op. ")
    elif finding.no_whatif is not None:
        parts.append(f"Measured saving: {escape(finding.no_whatif)}. ")
    parts.append(f"<br>{escape(finding.suggestion)}")
    parts.append(f"<br>Setting: <code>{escape(finding.setting)}</code></p>" if finding.setting else "</p>")
    chain = [f for f in finding.chain if not is_harness(f.file)][:CHAIN_SHOWN]
    if chain:
        parts.append("<pre>" + escape("\n".join(f"{display_path(f.file)}:{f.line} in {f.function}" for f in chain))
                     + "</pre>")
    if finding.patch:
        parts.append(f"<pre>{escape(finding.patch)}</pre>")
    return "".join(parts)
