"""Figures that agree with the measurement: a hotspot's or finding's µs/op is its sampled
share of the timed rounds' CPU overhead, never more than that overhead's upper bound; and
every duration reads in one unit, estimate and interval alike, without exponents."""

from __future__ import annotations

import re
from typing import Dict, List

import pytest

from otelaudit.attribute.hotspots import scaled_to_overhead
from otelaudit.model import Estimate, Finding, Frame, Hotspot
from otelaudit.render._units import duration, half_width, with_interval
from otelaudit.rules.calls import findings_from_hotspots, with_hotspot_costs

SITE = Frame("/site/instr/__init__.py", 16, "is_v1", "instr")
LEAF = Frame("/usr/lib/python3/importlib/metadata/__init__.py", 400, "version", "stdlib")


def disagreements(result: Dict) -> List[str]:
    """Every hotspot or finding of a JSON scenario result whose µs/op passes the measured
    overhead's 95% upper bound, or whose estimate lies outside its own interval."""
    top = result["overhead"]["cpu_us_per_op"]["ci_high"]
    found = []
    figures = [("hotspot", h["call_site"]["function"], h["us_per_op"]) for h in result["hotspots"]]
    figures += [("finding", f["rule"], f["us_per_op"]) for f in result["findings"] if f["us_per_op"]]
    for kind, name, us in figures:
        if us["ci_high"] > top * (1 + 1e-9) or not us["ci_low"] <= us["estimate"] <= us["ci_high"]:
            found.append(f"{kind} {name}: {us} against an overhead upper bound of {top}")
    return found


def _hotspot(us: Estimate, share: Estimate) -> Hotspot:
    return Hotspot(SITE, LEAF, us, share.estimate, (SITE, LEAF), share=share)


def test_a_profiler_inflated_hotspot_is_scaled_to_the_measured_overhead():
    # As seen on a real release: 203 ms/op of profiler wall time against +117 ms/op of CPU.
    sampled = _hotspot(Estimate(203_331.7, 180_000.0, 230_000.0), Estimate(0.58, 0.5, 0.66))
    overhead = Estimate(116_930.0, 110_000.0, 124_000.0)
    (scaled,) = scaled_to_overhead([sampled], overhead)
    assert scaled.scaled and scaled.us_per_op.estimate == pytest.approx(0.58 * 116_930.0)
    assert scaled.us_per_op.ci_low == pytest.approx(0.5 * 110_000.0)
    assert scaled.us_per_op.ci_high == pytest.approx(0.66 * 124_000.0)


def test_a_whole_share_never_passes_the_upper_bound_and_noise_scales_to_zero():
    whole = _hotspot(Estimate(500.0, 400.0, 600.0), Estimate(1.0, 1.0, 1.0))
    (scaled,) = scaled_to_overhead([whole], Estimate(100.0, 80.0, 120.0))
    assert scaled.us_per_op.ci_high == 120.0 and scaled.us_per_op.estimate == 100.0
    (noise,) = scaled_to_overhead([whole], Estimate(-3.0, -10.0, 4.0))
    assert (noise.us_per_op.estimate, noise.us_per_op.ci_low) == (0.0, 0.0) and noise.us_per_op.ci_high == 4.0


def test_a_finding_over_several_hotspots_is_held_to_the_overhead():
    parts = scaled_to_overhead([_hotspot(Estimate(1, 1, 1), Estimate(0.5, 0.3, 0.9)),
                                replace_site(_hotspot(Estimate(1, 1, 1), Estimate(0.4, 0.2, 0.8)))],
                               Estimate(100.0, 90.0, 110.0))
    finding = Finding("OA101", "t", SITE, "importlib.metadata.version", "instr", "1", 40.0, "fix")
    (costed,) = with_hotspot_costs([finding], parts, ceiling_us=110.0)
    assert costed.us_per_op.ci_high == 110.0  # 0.9 × 110 + 0.8 × 110 would be 187
    assert costed.us_per_op.estimate == pytest.approx(0.5 * 100 + 0.4 * 100)


def replace_site(hotspot: Hotspot) -> Hotspot:
    from dataclasses import replace

    other = Frame(SITE.file, 30, "wrapper", "instr")
    return replace(hotspot, call_site=other, chain=(other, SITE))


def test_a_scaled_hotspot_finding_says_it_is_a_sampled_share_in_one_unit():
    (scaled,) = scaled_to_overhead([_hotspot(Estimate(203_331.7, 1.0, 1.0), Estimate(0.58, 0.5, 0.66))],
                                   Estimate(116_930.0, 110_000.0, 124_000.0))
    (finding,) = findings_from_hotspots([scaled], [])
    assert "58% of the overhead (67.8 [55.0, 81.8] ms/op: sampled share × measured CPU overhead)" in finding.title
    (unscaled,) = findings_from_hotspots([_hotspot(Estimate(203_331.7, 1.0, 1.0), Estimate(0.58, 0.5, 0.66))], [])
    assert "203 ms/op of profiler wall time, sampled" in unscaled.title


@pytest.mark.parametrize("value, text", [(0.42, "420 ns"), (3.1, "3.10 µs"), (850.0, "850 µs"),
                                         (12_420.0, "12.4 ms"), (2_500_000.0, "2.50 s"), (0.0, "0.00 µs")])
def test_a_duration_reads_in_the_unit_of_its_magnitude(value, text):
    assert duration(value) == text


def test_an_interval_shares_its_estimates_unit_and_digits():
    assert with_interval(12_420.0, 9_957.6, 15_204.6, signed=True) == "+12.4 [10.0, 15.2] ms"
    assert with_interval(-4.0, -9.0, 1.5, signed=True) == "−4.00 [-9.00, 1.50] µs"
    assert half_width(8_180.0) == "±8.18 ms"


@pytest.mark.scan
def test_a_bundled_scenarios_hotspots_and_findings_stay_within_its_overhead(sqlite_scan):
    (result,) = [r for r in sqlite_scan.report["results"] if r["status"] == "ok"]
    assert result["hotspots"], "the sqlite3 scan sampled no hotspot: nothing was checked"
    assert all(h["scaled"] for h in result["hotspots"])
    assert disagreements(result) == []
    assert not re.search(r"\de[+-]\d", sqlite_scan.stdout), sqlite_scan.stdout
