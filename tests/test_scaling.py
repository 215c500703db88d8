"""Cost that grows with the payload (OA117), the stack depth (OA118) or the operations run
(OA119): the scaling child's points and extra frames, the paired maths and the rules'
floors on fed-in numbers; the scaling children of both arms on the planted fixtures
(`otelaudit_planted_scaling`: a regex over every header value, `inspect.stack()` per call)
at their DEFECT lines, their clean twins quiet; and one real quick scan ranking each first."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Dict, Tuple

import pytest

from otelaudit.attribute.ownership import Owner, Ownership
from otelaudit.child.scaling import SOAK_SEGMENTS, Nested, points_of, site_costs, typical
from otelaudit.measure.scaling import cost_growth
from otelaudit.model import Estimate, Frame, RawProfile, RunResult, RunSpec
from otelaudit.model.codec import from_data, to_data
from otelaudit.model.growth import CostGrowth
from otelaudit.model.scaling import ScalePoint, ScalingRun, SiteCost
from otelaudit.plan.scaling import plan, scales
from otelaudit.model import PhaseSizes
from otelaudit.rules.calls import rank
from otelaudit.rules.registry import rule_ids
from otelaudit.rules.scaling import MIN_GROWTH_US, MIN_SOAK_SPAN, findings_from_growth, material, with_soak
from otelaudit.scenarios.api import Workload, WorkloadContext

SITE = Path(__file__).parent / "fixtures" / "site"
PLANTED = SITE / "otelaudit_planted_scaling" / "__init__.py"
LINES = PLANTED.read_text().splitlines()
SCRUB_LINE = next(i for i, line in enumerate(LINES, 1) if "# DEFECT: the regex" in line)
STACK_LINE = next(i for i, line in enumerate(LINES, 1) if "# DEFECT: every frame" in line)
SCALING_RULES = ("OA117", "OA118", "OA119")


class Depth(Workload):
    sizes = (10, 1000)
    depths = (0, 40)

    async def operation(self) -> None:
        frame, depth = sys._getframe(), 0
        while frame is not None:
            frame, depth = frame.f_back, depth + 1
        self.seen = (self.size, depth)


def test_the_points_are_the_base_then_one_per_declared_axis():
    assert points_of(Depth) == [(10, 0), (1000, 0), (10, 40)]

    class SizesOnly(Workload):
        sizes = (1, 2, 3)

    assert points_of(SizesOnly) == [(1, 0), (3, 0)] and scales(SizesOnly) and not scales(Workload)
    assert Workload(WorkloadContext(1)).size == 0 and Depth(WorkloadContext(1)).size == 10


def test_the_operation_runs_at_the_point_size_under_exactly_the_extra_frames():
    workload = Depth(WorkloadContext(1))
    seen = {}
    for point in ((10, 0), (1000, 40)):
        asyncio.run(Nested(workload, point).operation())
        seen[point] = workload.seen
    assert seen[(1000, 40)][0] == 1000 and seen[(1000, 40)][1] - seen[(10, 0)][1] == 40


def _run(points, soak=()):
    return ScalingRun(ops=100, points=tuple(ScalePoint(s, d, tuple(v), sites) for s, d, v, sites in points),
                      soak_ops=1000, soak_us=tuple(soak))


SCRUB = Frame(str(PLANTED), SCRUB_LINE, "_scrub", "otelaudit-planted-scaling")


def test_growth_is_the_instrumented_change_minus_the_baseline_change_per_kb_and_frame():
    base = _run([(1024, 0, [10, 11, 10, 12, 10], ()), (5120, 0, [30, 31, 30, 32, 30], ()),
                 (1024, 10, [20, 21, 20, 22, 20], ())])
    grown = (SiteCost(SCRUB.file, SCRUB.line, SCRUB.function, 38.0, SCRUB.distribution),
             SiteCost("sdk.py", 5, "start_span", 5.0, "opentelemetry-sdk"))
    treated = _run([(1024, 0, [15, 16, 15, 17, 15], (SiteCost(SCRUB.file, SCRUB.line, "_scrub", 2.0),)),
                    (5120, 0, [75, 76, 75, 77, 75], grown), (1024, 10, [25, 26, 25, 27, 25], ())])
    size, depth = cost_growth(base, treated)
    # Per round: (75 - 15) - (30 - 10) = 40 µs over 4 KB; depth: (25 - 15) - (20 - 10) = 0 over 10 frames.
    assert (size.axis, size.growth.estimate, size.per_unit.estimate, size.low, size.high) == ("size", 40, 10, 1024, 5120)
    assert size.overhead_low.estimate == 5 and size.site == SCRUB and size.site_share == pytest.approx(36 / 41)
    assert (depth.axis, depth.growth.estimate, depth.per_unit.estimate) == ("depth", 0, 0)
    assert material(size) and not material(depth)
    [finding] = findings_from_growth((size, depth), ())
    assert finding.rule == "OA117" and finding.call_site == SCRUB and finding.us_per_op == size.growth
    assert "per KB" in finding.title and "attribute length limit" in finding.suggestion


def test_the_soak_slope_compares_the_early_and_late_quarters_paired_with_the_baseline():
    flat = [10.0] * SOAK_SEGMENTS
    rising = [20.0 + 2 * i for i in range(SOAK_SEGMENTS)]  # 2 µs/op more per segment of 1000 operations
    [soak] = cost_growth(_run([], flat), _run([], rising))
    # Quarters of 3: the late quarter's middle is 9 segments (9000 operations) after the early one's.
    assert (soak.axis, soak.growth.estimate, soak.low, soak.high) == ("history", 18, 1500, 10500)
    assert soak.per_unit.estimate == pytest.approx(20.0) and soak.overhead_low.estimate == 12
    assert [f.rule for f in findings_from_growth((soak,), ())] == ["OA119"]
    [same] = cost_growth(_run([], rising), _run([], rising))
    assert same.growth.estimate == 0 and not material(same)


def _growth(axis: str, low: float, estimate: float, overhead: float) -> CostGrowth:
    cost = Estimate(estimate, low, estimate + 5)
    high = 1000 if axis == "history" else 10  # a soak spans operations; MIN_SOAK_SPAN is a long-run floor
    return CostGrowth(axis, 0, high, Estimate(overhead, overhead, overhead), cost, cost, 5)  # type: ignore[arg-type]


def test_a_growth_must_clear_the_noise_floor_and_be_a_part_of_the_overhead():
    assert not material(_growth("size", MIN_GROWTH_US - 0.1, 50, 10))  # the interval reaches the noise
    slow = CostGrowth("depth", 0, 64, Estimate(20, 20, 20), Estimate(16, 13, 18), Estimate(0.25, 0.2, 0.28), 7)
    assert not material(slow)  # the harness's own frames: a fraction of a µs per frame
    assert not material(_growth("size", 6, 6, 100))  # a large flat cost that barely grows
    assert material(_growth("size", MIN_GROWTH_US, 30, 100))
    assert findings_from_growth((_growth("depth", 10, 30, 10),), (), frozenset({"OA118"})) == []
    short = replace(_growth("history", 10, 30, 10), low=0, high=MIN_SOAK_SPAN - 1)
    assert not material(short)  # too few operations to call it a long run


def test_a_soak_slope_oa116_explains_is_added_to_that_finding_not_repeated():
    from otelaudit.model import Finding

    oa116 = Finding("OA116", "handle() called 1 more time(s)", None, "handle", None, None, 1.0, "fix")
    soak = _growth("history", 10, 30, 10)
    assert findings_from_growth((soak,), (oa116,)) == []
    [annotated] = with_soak([oa116], (soak,))
    assert "the soak measured" in annotated.title and "per 10k ops" in annotated.title and annotated.us_per_op


def test_samples_are_charged_to_the_telemetry_line_above_the_stdlib_leaf_never_to_library_work():
    frames = (Frame("/app/main.py", 3, "main"), Frame("/otel/wrap.py", 9, "traced"),
              Frame("/usr/lib/python3/re.py", 40, "sub"), Frame("/lib/client.py", 20, "send"))
    profile = RawProfile(ops=10, duration_s=1.0, idle_s=0.0, frames=frames,
                         stacks=((0, 1, 2), (0, 1, 3), (0, 1)), seconds=(0.001, 0.004, 0.0005))
    ownership = Ownership({"/otel/wrap.py": Owner("opentelemetry-x", "1", True),
                           "/lib/client.py": Owner("client", "1", False), "/app/main.py": Owner("app", "1", False)},
                          ("/usr/lib/python3",))
    [cost] = site_costs(profile, ownership)
    assert (cost.file, cost.line) == ("/otel/wrap.py", 9) and cost.us_per_op == pytest.approx(150.0)


def test_a_site_costs_its_median_over_the_chunks_so_one_stalled_sample_moves_nothing():
    line = SiteCost("/otel/wrap.py", 9, "traced", 100.0)
    stall = SiteCost("/otel/sdk.py", 72, "helper", 900.0)  # a descheduled process, charged to whatever ran
    assert typical([(line,), (line, stall), (replace(line, us_per_op=120.0),)])[0] == line
    assert [c.line for c in typical([(line,), (line, stall), (line,)])] == [9, 72]  # kept, at its median: 0
    assert typical([(line,), (line, stall), (line,)])[1].us_per_op == 0


def test_the_plan_is_sized_from_one_operation_quick_skips_the_soak_and_a_costly_pair_is_skipped():
    sizes = PhaseSizes(op_ms=0.1, startup_s=0.3, ops=100, memory_ops=10, probe_ops=50, rounds=5, asked_rounds=5,
                       budget_s=300, estimated_s=10)
    full = plan(Depth, sizes, False, None)
    assert (full.ops, full.rounds, full.soak_ops, full.skipped) == (100, 11, 6_000, None)  # two runs of 0.3 s
    quick = plan(Depth, sizes, True, None)
    assert (quick.ops, quick.rounds, quick.soak_ops) == (100, 7, 0) and quick.estimated_s < 5
    assert plan(Workload, sizes, True, None).runs is False and plan(Workload, sizes, True, 500).soak_ops == 500
    heavy = replace(sizes, op_ms=400.0)  # a GenAI operation on a loaded machine
    skipped = plan(Depth, heavy, True, None)
    assert not skipped.runs and skipped.skipped and "skipped" in skipped.skipped and "400 ms" in skipped.skipped
    assert plan(Depth, heavy, True, 12).runs  # an explicit --soak runs whatever it costs


def test_the_rules_are_registered_and_listed_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for rule in SCALING_RULES:
        assert rule in rule_ids() and f"| {rule} |" in readme


def test_soak_takes_a_positive_count():
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "--soak", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and "--soak" in out.stderr and "Traceback" not in out.stderr


# --- the scaling children on the planted fixtures -------------------------------------------------

NAMES = {"planted-scrub": "ScrubInstrumentor", "planted-scrub-capped": "CappedScrubInstrumentor",
         "planted-caller": "CallerInstrumentor", "planted-caller-frame": "FrameInstrumentor"}


def _child(tmp_path: Path, name: str, arm: str) -> "subprocess.Popen[bytes]":
    ops = 6 if name == "planted-caller" else 40  # inspect.stack() costs ms here: blocks of ~20 ms
    spec = RunSpec(scenario_module="otelaudit_planted_scaling_scenario", scenario_name=name, arm=arm, round=-1,
                   ops=ops, warmup_ops=2, concurrency=1, instrumentor_value=f"otelaudit_planted_scaling:{NAMES[name]}",
                   instrumentor_distribution="otelaudit-planted-scaling", instrumentor_version="1.0",
                   mode="scaling", segments=7, inline_export=True)
    (tmp_path / f"{name}-{arm}.json").write_text(json.dumps(to_data(spec)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "otelaudit.child.measure", str(tmp_path / f"{name}-{arm}.json"),
                             str(tmp_path / f"{name}-{arm}-result.json")], env=env, cwd=tmp_path)


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Dict[str, Tuple[CostGrowth, ...]]:
    """Both arms' scaling children of each planted scenario, two at a time."""
    tmp_path = tmp_path_factory.mktemp("scaling")
    found = {}
    for name in NAMES:
        children = [_child(tmp_path, name, arm) for arm in ("baseline", "sdk")]
        assert [child.wait(timeout=120) for child in children] == [0, 0]
        runs = [from_data(RunResult, json.loads((tmp_path / f"{name}-{arm}-result.json").read_text()))
                for arm in ("baseline", "sdk")]
        assert all(r.failure is None and r.scaling is not None for r in runs), runs
        found[name] = cost_growth(runs[0].scaling, runs[1].scaling)  # type: ignore[arg-type]
    return found


def _fired(growths) -> Dict[str, Tuple[str, int]]:
    return {f.rule: (f.call_site.file if f.call_site else "", f.call_site.line if f.call_site else 0)
            for f in findings_from_growth(growths, ())}


def test_the_regex_over_every_value_grows_per_kb_at_its_line(grown):
    assert _fired(grown["planted-scrub"]) == {"OA117": (str(PLANTED), SCRUB_LINE)}, grown["planted-scrub"]
    size = next(g for g in grown["planted-scrub"] if g.axis == "size")
    assert size.per_unit.ci_low > 0 and size.site_share > 0.5


def test_the_stack_walk_grows_per_frame_at_its_line(grown):
    assert _fired(grown["planted-caller"]) == {"OA118": (str(PLANTED), STACK_LINE)}, grown["planted-caller"]


@pytest.mark.parametrize("name", ["planted-scrub-capped", "planted-caller-frame"])
def test_the_clean_twins_do_not_grow(grown, name):
    assert _fired(grown[name]) == {}, grown[name]


HISTORY = {"planted-history": "HandlerPerCallInstrumentor", "planted-history-paired": "PairedInstrumentor"}


def _soak_child(tmp_path: Path, name: str, arm: str) -> "subprocess.Popen[bytes]":
    spec = RunSpec(scenario_module="otelaudit_planted_percall_scenario", scenario_name=name, arm=arm, round=-1,
                   ops=1, warmup_ops=2, concurrency=1, instrumentor_value=f"otelaudit_planted_history:{HISTORY[name]}",
                   instrumentor_distribution="otelaudit-planted-history", instrumentor_version="1.0",
                   mode="scaling", segments=0, soak_ops=1200, inline_export=True)
    (tmp_path / f"{name}-{arm}.json").write_text(json.dumps(to_data(spec)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "otelaudit.child.measure", str(tmp_path / f"{name}-{arm}.json"),
                             str(tmp_path / f"{name}-{arm}-result.json")], env=env, cwd=tmp_path)


@pytest.fixture(scope="module")
def soaked(tmp_path_factory) -> Dict[str, Tuple[CostGrowth, ...]]:
    """A soak of 1,200 operations per arm of OA116's planted handler leak and its paired twin, all at once."""
    tmp_path = tmp_path_factory.mktemp("soak")
    children = {(name, arm): _soak_child(tmp_path, name, arm) for name in HISTORY for arm in ("baseline", "sdk")}
    assert [child.wait(timeout=120) for child in children.values()] == [0] * len(children)
    found = {}
    for name in HISTORY:
        runs = [from_data(RunResult, json.loads((tmp_path / f"{name}-{arm}-result.json").read_text()))
                for arm in ("baseline", "sdk")]
        assert all(r.failure is None and r.scaling is not None and not r.scaling.points for r in runs), runs
        found[name] = cost_growth(runs[0].scaling, runs[1].scaling)  # type: ignore[arg-type]
    return found


def test_a_soak_measures_the_cost_of_a_handler_leaked_per_call_rising_and_its_twin_flat(soaked):
    [leak], [paired] = soaked["planted-history"], soaked["planted-history-paired"]
    assert leak.axis == "history" and leak.per_unit.ci_low > 100 and material(leak), leak  # µs/op per 10k ops
    assert [f.rule for f in findings_from_growth((leak,), ())] == ["OA119"]
    assert not material(paired), paired


# --- one real quick scan -----------------------------------------------------------------------------

EXPECTED = {"planted-scrub": ("OA117", SCRUB_LINE), "planted-caller": ("OA118", STACK_LINE)}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaling-scan")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    # An explicit --soak runs the pair whatever a loaded machine makes its estimate (quick's cap is 5 s).
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "planted-scrub", "planted-caller",
                          "planted-scrub-capped", "--quick", "--soak", "12", "--quiet", "--json", str(folder / "r.json")],
                         capture_output=True, text=True, env=env, timeout=400, cwd=folder)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads((folder / "r.json").read_text())
    return out.stdout, {r["instrumentor"]: r for r in report["results"]}


@pytest.mark.scan
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_scan_ranks_the_scaling_finding_first_at_its_line(scanned, name):
    stdout, results = scanned
    rule, line = EXPECTED[name]
    found = [(f["rule"], f["call_site"]["file"], f["call_site"]["line"]) for f in results[name]["findings"]
             if f["rule"] != "OA199" and f["call_site"]]  # OA199: span creation, on a loaded machine
    # The same stack walk is also counted (OA104) and costed from the profile: on a loaded machine that
    # cost can pass the deep point's (growth plus it); either way the defect's line ranks first.
    same = ("OA104",) if rule == "OA118" else ()
    # OA118's site is sampled: a deep point's samples once landed on another telemetry frame (propagation),
    # with OA104 ranked first at the planted line (CI, 2026-12-01). The rule must fire; its line, or the
    # counted stack walk's, must rank first.
    fired = [f for f in found if f[0] == rule]
    assert fired and (fired[0][1:] == (str(PLANTED), line) or same) and found[0] in [
        (r, str(PLANTED), line) for r in (rule, *same)], (
        found, [(g["axis"], g["growth"], g["per_unit"], g["overhead_low"]["estimate"]) for g in results[name]["cost_growth"]])
    assert f"[{rule}]" in stdout and "/op per" in stdout
    assert {g["axis"] for g in results[name]["cost_growth"]} == {"size", "depth", "history"}


@pytest.mark.scan
def test_a_real_scan_keeps_the_capped_twin_quiet(scanned):
    _, results = scanned
    twin = results["planted-scrub-capped"]
    assert twin["status"] == "ok" and not [f for f in twin["findings"] if f["rule"] in SCALING_RULES]
    assert not [f for r in results.values() for f in r["findings"] if f["rule"] == "OA119"]  # 12 ops: no long run
