"""The HTML report and the speedscope export of a real scan: the page is self-contained,
a real headless Chromium lays out its chart and flame graph, and its screenshots show
negative bars left of zero and an inconclusive flame graph in neutral grey."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from otelaudit.model import Estimate
from otelaudit.model import files as report_json
from otelaudit.render import speedscope as render_speedscope


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
  var all=Array.prototype.slice.call(svg.querySelectorAll('g.frame'));
  var depth=1;  // the shallowest level with siblings (sampled profiles can make level 1 a single frame)
  for(var d=1;d<64;d++){if(all.filter(function(g){return +g.dataset.depth===d;}).length>1){depth=d;break;}}
  var frames=all.filter(function(g){return +g.dataset.depth===depth;});
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


def largest_overhead(report) -> float:
    return max(r.overhead.cpu_us_per_op.ci_high for r in report.results if r.overhead is not None)


def negative_and_inconclusive():
    """The committed sample scan with one result made negative and inconclusive, as a
    noisy httpx scan reads (the renderer is under test, not the measurement), its values
    scaled to the sample's largest overhead so the bars stay visible whatever the run."""
    import dataclasses
    from pathlib import Path

    from otelaudit.model import Estimate

    report = report_json.loads((Path(__file__).resolve().parent.parent / "reports" / "default-scan.json").read_text())
    results = list(report.results)
    at = next(i for i, r in enumerate(results) if r.instrumentor == "httpx")
    big = largest_overhead(report)
    overhead = dataclasses.replace(results[at].overhead, cpu_us_per_op=Estimate(-0.2 * big, -0.5 * big, 0.9 * big),
                                   verdict="inconclusive")
    api = dataclasses.replace(results[at].api_overhead, cpu_us_per_op=Estimate(-0.1 * big, -0.2 * big, 0.02 * big))
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
    half = (result.overhead.cpu_us_per_op.ci_high - result.overhead.cpu_us_per_op.ci_low) / 2
    assert result.noise_floor is not None and half != result.noise_floor.floor_us
    assert noise == pytest.approx(max(half, result.noise_floor.floor_us))  # the larger of the two
    drawn = svg.flame_graph(result.flame, "httpx", noise_us=noise)
    changed = re.findall(r'fill="([^"]+)" data-changed="1"', drawn)
    quiet = re.findall(r'fill="([^"]+)" data-changed="0"', drawn)
    assert quiet and set(quiet) == {"rgb(215,215,210)"}
    everything = svg.flame_graph(result.flame, "httpx", noise_us=0.0)
    assert len(re.findall(r'data-changed="1"', everything)) > len(changed)


def png_pixels(data: bytes) -> "Picture":
    """A PNG as Chromium writes it (8-bit RGB or RGBA, not interlaced) decoded to RGB rows:
    the tests read the drawn picture itself, not only the DOM that should produce it."""
    import struct
    import zlib
    from itertools import accumulate

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size, bpp = 8, b"", (0, 0), 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour, interlace)
            size, bpp = (width, height), 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), size[0] * bpp
    rows, prior = [], bytes(stride)
    for y in range(size[1]):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:  # each byte adds the one a pixel to its left: a running sum per channel
            for c in range(bpp):
                line[c::bpp] = bytes(v & 255 for v in accumulate(line[c::bpp]))
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prior))
        elif kind in (3, 4):
            for i in range(stride):
                left, up, corner = (line[i - bpp] if i >= bpp else 0), prior[i], (prior[i - bpp] if i >= bpp else 0)
                if kind == 3:
                    line[i] = (line[i] + (left + up) // 2) & 255
                else:
                    p = left + up - corner
                    guess = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                    line[i] = (line[i] + guess) & 255
        rows.append(bytes(line))
        prior = bytes(line)
    return Picture(size[0], size[1], tuple(bytes(v for i, v in enumerate(r) if i % bpp < 3) for r in rows))


@dataclasses.dataclass(frozen=True)
class Picture:
    width: int
    height: int
    rows: Tuple[bytes, ...]  # RGB

    def at(self, x: int, y: int) -> Tuple[int, int, int]:
        r = self.rows[y]
        return r[3 * x], r[3 * x + 1], r[3 * x + 2]


@pytest.fixture
def screenshot(tmp_path, rendered_in_browser):
    """A fragment of the report drawn by real headless Chromium at one CSS pixel per SVG
    unit (the fragment is `width` wide), as pixels."""
    import shutil

    from conftest import BROWSER_FLAGS
    from otelaudit.render import html as render_html

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert browser  # rendered_in_browser has failed or skipped without one

    def take(fragment: str, width: int, height: int) -> Picture:
        page, picture = tmp_path / "shot.html", tmp_path / "shot.png"
        page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{render_html.STYLE}</style></head>'
                        f'<body style="margin:0;padding:0;max-width:none;width:{width}px">{fragment}</body></html>')
        subprocess.run([browser, *BROWSER_FLAGS, "--hide-scrollbars", "--force-device-scale-factor=1",
                        f"--user-data-dir={tmp_path / 'shot-profile'}", f"--window-size={width},{height}",
                        f"--screenshot={picture}", page.as_uri()], capture_output=True, timeout=120)
        return png_pixels(picture.read_bytes())

    return take


def _near(colour: Tuple[int, int, int], target: Tuple[int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, target))


BAR_RED = (0xD9, 0x53, 0x4F)  # .bar-main


def test_the_screenshot_shows_a_negative_bar_left_of_zero_and_positive_ones_right(screenshot):
    from otelaudit.render import svg

    results = negative_and_inconclusive().results
    rows = [r.instrumentor for r in results]
    picture = screenshot(svg.overhead_chart(results), svg.CHART_WIDTH, 400)
    line_y = 27  # under the panel titles, above the first bar: only the origin lines are dark there
    zero = min(x for x in range(picture.width) if max(picture.at(x, line_y)) < 90)

    def red_in_row(name: str) -> List[int]:
        y = 30 + rows.index(name) * svg.ROW_HEIGHT + 5  # through the sdk bar, above its whisker
        return [x for x in range(picture.width // 2) if _near(picture.at(x, y), BAR_RED)]

    negative, positive = red_in_row("httpx"), red_in_row("starlette")
    assert len(negative) >= 8 and max(negative) <= zero + 1, (zero, negative[:3], negative[-3:])
    assert len(positive) > 20 and min(positive) >= zero - 1, (zero, positive[:3])


def _coloured(pixel: Tuple[int, int, int]) -> bool:
    """A flame frame painted as changed: red (grew) or blue (shrank); grey is (215,215,210)."""
    r, g, b = pixel
    return (r >= 250 and b < 200) or (b >= 250 and r < 200)


def _flame_pixels(result, screenshot) -> List[Tuple[bool, bool]]:
    """Per frame wide enough to sample: (drawn as changed, changed by the rule), read from
    the screenshot at the frame's centre, above its label."""
    from otelaudit.attribute.flamegraph import layout
    from otelaudit.render import html as render_html
    from otelaudit.render import svg

    noise = render_html.flame_noise_us(result)
    drawn = svg.flame_graph(result.flame, "httpx", ("opentelemetry",), noise)
    boxes = layout(result.flame).boxes
    height = (max(b.depth for b in boxes) + 1) * svg.FLAME_ROW + 4
    picture = screenshot(drawn[drawn.index("<svg"):], svg.FLAME_WIDTH, height + 20)
    return [(_coloured(picture.at(int((b.x + b.width / 2) * svg.FLAME_WIDTH), b.depth * svg.FLAME_ROW + 2)),
             abs(b.instrumented_us - b.baseline_us) > noise) for b in boxes if b.width * svg.FLAME_WIDTH >= 6]


def _sample_result(name: str):
    sample = report_json.loads((Path(__file__).resolve().parent.parent / "reports" / "default-scan.json").read_text())
    return next(r for r in sample.results if r.instrumentor == name)


def test_the_screenshot_colours_exactly_the_flame_frames_outside_the_noise(screenshot):
    frames = _flame_pixels(_sample_result("httpx"), screenshot)
    assert len(frames) >= 30
    assert all(drawn == rule for drawn, rule in frames), [f for f in frames if f[0] != f[1]]
    assert any(rule for _, rule in frames) and not all(rule for _, rule in frames)  # both kinds are on the picture


def test_the_screenshot_of_a_flame_graph_within_the_noise_is_all_grey(screenshot):
    from otelaudit.attribute.flamegraph import layout

    clear = _sample_result("httpx")
    assert clear.overhead is not None
    most = max(abs(b.instrumented_us - b.baseline_us) for b in layout(clear.flame).boxes)
    wide = Estimate(clear.overhead.cpu_us_per_op.estimate, -2 * most, 2 * most)  # wider than any frame's change
    noisy = dataclasses.replace(clear, overhead=dataclasses.replace(clear.overhead, cpu_us_per_op=wide,
                                                                     verdict="inconclusive"))
    frames = _flame_pixels(noisy, screenshot)
    assert len(frames) >= 30 and not any(drawn or rule for drawn, rule in frames)


def test_harness_frames_are_known_wherever_the_scanning_otelaudit_was_installed():
    import os

    from otelaudit.render.markdown import is_harness

    elsewhere = os.path.join(os.sep, "other", "venv", "lib", "site-packages", "otelaudit")
    assert is_harness(os.path.join(elsewhere, "child", "repeats.py"))
    assert not is_harness(os.path.join(elsewhere, "instrumentations", "httpx_scenario.py"))  # the workload stays
    assert not is_harness(os.path.join(os.sep, "x", "site-packages", "httpx", "_client.py"))
