"""The HTML report and the speedscope export of a real scan: the page is self-contained,
and a real headless Chromium lays out its chart and flame graph."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from otelaudit.render import speedscope as render_speedscope
from otelaudit.model import files as report_json


def test_html_report_renders_chart_and_flame_graph_in_headless_chromium(sqlite_scan, rendered_in_browser):
    rendered = rendered_in_browser(sqlite_scan.html_path)
    assert rendered["chartWidth"] > 300
    assert rendered["bars"] >= 2 and rendered["errorBars"] >= 2  # sdk and api-only bars, each with its CI
    assert rendered["flameGraphs"] == 1
    assert rendered["flameFrames"] >= 10


def test_html_report_is_self_contained(sqlite_scan):
    page = sqlite_scan.html_path.read_text()
    assert "<link" not in page and " src=" not in page
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "Differential flame graph" in page and 'id="overhead-chart"' in page


def test_report_command_renders_html_from_saved_json(sqlite_scan, tmp_path):
    out = tmp_path / "again.html"
    done = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(sqlite_scan.json_path),
                           "--format", "html", "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == sqlite_scan.html_path.read_text()


def test_speedscope_export_has_one_profile_per_arm_weighted_in_us_per_op(sqlite_scan):
    report = report_json.loads(sqlite_scan.json_path.read_text())
    document = json.loads(render_speedscope.render(report))
    assert document["$schema"] == render_speedscope.SCHEMA
    names = [p["name"] for p in document["profiles"]]
    assert names == ["sqlite3 — baseline", "sqlite3 — sdk"]
    flame = report.results[0].flame
    assert flame is not None
    sdk = document["profiles"][1]
    assert sdk["unit"] == "microseconds" and len(sdk["samples"]) == len(sdk["weights"])
    assert sum(sdk["weights"]) == pytest.approx(sum(s.instrumented_us for s in flame.stacks), rel=1e-3)
    frames = document["shared"]["frames"]
    assert all(0 <= i < len(frames) for sample in sdk["samples"] for i in sample)


CLICK_A_FRAME = """<script>
(function(){
  var svg=document.querySelector('svg.flame-graph');
  var frames=Array.prototype.filter.call(svg.querySelectorAll('g.frame'),function(g){return g.dataset.depth==='1';});
  frames.sort(function(a,b){return (+a.dataset.w)-(+b.dataset.w);});
  var chosen=frames[Math.floor(frames.length/2)];  // a middling frame, narrower than the graph
  chosen.querySelector('rect').dispatchEvent(new MouseEvent('click',{bubbles:true}));
  var shown=Array.prototype.filter.call(svg.querySelectorAll('g.frame'),function(g){return g.style.display!=='none';});
  document.body.dataset.zoom=JSON.stringify({before:+chosen.dataset.w,
    after:+chosen.querySelector('rect').getAttribute('width'), shown:shown.length,
    total:svg.querySelectorAll('g.frame').length});
})();
</script></body>"""


def test_clicking_a_flame_graph_frame_zooms_to_it(sqlite_scan, tmp_path, rendered_in_browser):
    page = tmp_path / "clicked.html"
    page.write_text(sqlite_scan.html_path.read_text().replace("</body>", CLICK_A_FRAME))
    zoom = rendered_in_browser(page, "zoom")
    assert zoom["before"] < 1.0
    assert zoom["after"] == pytest.approx(1200)  # the clicked frame now spans the whole graph
    assert zoom["shown"] < zoom["total"]  # its siblings are hidden


GEOMETRY = """<script>
(function(){
  var chart=document.getElementById('overhead-chart');
  var zero=chart.querySelector('line.zero-line').getBoundingClientRect().left;
  function box(e){var b=e.getBoundingClientRect();return {left:b.left,right:b.right,width:b.width,
    height:b.height,estimate:+e.dataset.estimate};}
  document.body.dataset.geometry=JSON.stringify({zero:zero,
    bars:Array.prototype.map.call(chart.querySelectorAll('rect.bar'),box),
    ticks:chart.querySelectorAll('text.tick-label').length,
    headings:Array.prototype.map.call(document.querySelectorAll('h2'),function(h){return h.textContent;})});
})();
</script></body>"""


def negative_and_inconclusive():
    """The committed sample scan with one result made negative and inconclusive, as a
    noisy httpx scan reads (the renderer is under test, not the measurement)."""
    import dataclasses
    from pathlib import Path

    from otelaudit.model import Estimate

    report = report_json.loads((Path(__file__).resolve().parent.parent / "reports" / "default-scan.json").read_text())
    results = list(report.results)
    at = next(i for i, r in enumerate(results) if r.instrumentor == "httpx")
    overhead = dataclasses.replace(results[at].overhead, cpu_us_per_op=Estimate(-40.0, -213.9, 408.1),
                                   verdict="inconclusive")
    api = dataclasses.replace(results[at].api_overhead, cpu_us_per_op=Estimate(-12.0, -30.0, 5.0))
    results[at] = dataclasses.replace(results[at], overhead=overhead, api_overhead=api)
    return dataclasses.replace(report, results=tuple(results))


def test_negative_estimates_are_drawn_left_of_the_zero_line_in_chromium(tmp_path, rendered_in_browser):
    from otelaudit.render import html as render_html

    page = tmp_path / "negative.html"
    page.write_text(render_html.render(negative_and_inconclusive()).replace("</body>", GEOMETRY))
    geometry = rendered_in_browser(page, "geometry")
    negative = [b for b in geometry["bars"] if b["estimate"] < 0]
    positive = [b for b in geometry["bars"] if b["estimate"] > 1.5]  # ratios sit right of ×1 in their own panel
    assert len(negative) == 2  # httpx's sdk and api-only bars
    assert all(b["right"] <= geometry["zero"] + 1 and b["width"] > 2 for b in negative)
    assert all(b["left"] >= geometry["zero"] - 1 for b in positive)
    assert all(b["width"] >= 1 and b["height"] >= 10 for b in geometry["bars"])  # api-only bars visible too
    assert geometry["ticks"] >= 6
    headings = " | ".join(geometry["headings"])
    assert "`" not in headings and "inconclusive at this precision" in headings and " adds " in headings


def test_the_flame_graph_colours_only_changes_outside_the_noise():
    from otelaudit.render import html as render_html
    from otelaudit.render import svg

    result = next(r for r in negative_and_inconclusive().results if r.instrumentor == "httpx")
    noise = render_html.flame_noise_us(result)
    assert noise == pytest.approx((408.1 + 213.9) / 2)
    drawn = svg.flame_graph(result.flame, "httpx", noise_us=noise)
    changed = re.findall(r'fill="([^"]+)" data-changed="1"', drawn)
    quiet = re.findall(r'fill="([^"]+)" data-changed="0"', drawn)
    assert quiet and set(quiet) == {"rgb(215,215,210)"}
    everything = svg.flame_graph(result.flame, "httpx", noise_us=0.0)
    assert len(re.findall(r'data-changed="1"', everything)) > len(changed)
