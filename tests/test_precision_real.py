"""Precision features end to end, with real subprocesses: instruction counts under
Valgrind see a planted per-op overhead, `compare` reports a regression between two
locally built versions with the finding that appeared, and a scan sharded over two CLI
runs merges into the unsharded report's content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from otelaudit.measure import counting
from otelaudit.compare.abtest import ABSettings, Side, count_sides
from otelaudit.plan.adaptive import StopRule
from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.model.report import SCHEMA_VERSION
from otelaudit.pipeline import ScanOptions
from otelaudit.run.scenario import ScenarioRun
from otelaudit.discover.catalog import load_catalog
from otelaudit.run.runner import SubprocessRunner

from conftest import FIXTURE_SITE
from planted_versions import build_wheel

pytestmark = pytest.mark.scan


def scenario_run(name: str) -> ScenarioRun:
    target = select_targets([name], discover_instrumentors(), load_catalog().scenarios).targets[0]
    assert target.scenario is not None, target
    return ScenarioRun(target.scenario, target, ScanOptions(), SubprocessRunner(), {})


def fixture_side(label: str, loops: int) -> Side:
    run = scenario_run("fixture-ok")
    return Side(label, lambda r, ops: run.spec("sdk", r, ops), env={"FIXTURE_EXTRA_LOOPS": str(loops)})


@pytest.mark.skipif(counting.available_method() is None, reason="needs valgrind or hardware counters")
def test_instruction_counts_see_a_planted_per_op_overhead(fixture_site):
    settings = ABSettings(StopRule(1), count_ops=100, count_repeats=1)
    counts = count_sides(fixture_side("A", 0), fixture_side("B", 100), settings)
    assert counts is not None and counts.verdict == "overhead"
    # 100 iterations of an empty loop: some thousands of instructions on top of the op's
    assert 1000 < counts.overhead_per_op < 20000, counts
    assert counts.per_op["A"] > 10000  # an instrumented op is tens of thousands of instructions


@pytest.mark.skipif(counting.available_method() is None, reason="needs valgrind or hardware counters")
def test_counts_of_one_arm_repeat_within_a_fraction_of_a_percent(fixture_site):
    # With the batch processor's export thread, one run in about eight retired ~3 % more or
    # fewer instructions (a cyclic collection more or less, timed by the thread); counted runs
    # export on the main thread, so repeats agree within ~0.1 % (start-up and exit still vary a
    # little: a zero-operation run varies by ~0.1 M instructions).
    counter = counting.InstructionCounter(counting.available_method())  # type: ignore[arg-type]
    spec = fixture_side("A", 1).make_spec(-1, 1000)
    values = counting.per_op(counter, spec, {"FIXTURE_EXTRA_LOOPS": "1"}, timeout_s=300, repeats=3)
    # Two of three agree within 1%: with the suite's other worker busy beside it, one counted run in
    # a few still retires 1.6-24% more (three CI runs on 2026-12-01; cause not found, not the core it
    # runs on), and the closest two once differed by 0.63% (CI, 22:20 UTC). The verdicts read the
    # median of the repeats, which one such run does not move.
    low, mid, high = sorted(values)
    assert min(mid - low, high - mid) / low < 0.01, values


@pytest.mark.parametrize("name", ["fixture-ok", "logging"])
def test_runs_that_export_inline_produce_the_same_telemetry(fixture_site, name):
    run = scenario_run(name)
    spec = run.spec("sdk", 0, 300)
    threaded, inline = (SubprocessRunner().run(replace(spec, inline_export=flag), {}, 120) for flag in (False, True))
    assert threaded.ok and inline.ok, (threaded.failure, inline.failure)
    assert inline.telemetry == threaded.telemetry and inline.telemetry.total > 0


def test_compare_reports_a_planted_regression_and_the_finding_that_appeared(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for version in ("1.0", "2.0"):
        build_wheel(wheels, version)
    command = [sys.executable, "-m", "otelaudit", "compare", "otelaudit-planted==1.0", "otelaudit-planted==2.0",
               "--find-links", str(wheels), "--cache-dir", str(tmp_path / "envs"), "--rounds", "5",
               "--seconds-per-run", "0.1", "--json", str(tmp_path / "compare.json"), "--quiet", "--fail-on-regression"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert completed.returncode == 10, completed.stderr
    assert "a regression" in " ".join(completed.stdout.split())  # the terminal report wraps at 80 columns
    assert "otelaudit-planted==2.0 is a regression over otelaudit-planted==1.0" in completed.stderr
    saved = json.loads((tmp_path / "compare.json").read_text())
    assert saved["schema_version"] == SCHEMA_VERSION and saved["results"] == []  # a Report with its comparison section
    data = saved["comparison"]
    assert data["result"]["comparison"]["verdict"] == "overhead"
    assert [f["rule"] for f in data["appeared"]] == ["OA101"]
    assert data["disappeared"] == []
    assert data["a"]["instrumentor"]["version"] == "1.0" and data["b"]["instrumentor"]["version"] == "2.0"
    again = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(tmp_path / "compare.json"), "--format",
                            "text"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout == completed.stdout  # rendered again from the saved report
    # One pin: against the installed version (here the fixture site's, which reads metadata per call);
    # the environment of 1.0 is cached from the comparison above.
    env = {**os.environ, "PYTHONPATH": str(FIXTURE_SITE)}
    built = {p: p.stat().st_mtime for p in (tmp_path / "envs").glob("*/otelaudit-ready.json")}
    one = subprocess.run(command[:5] + command[6:-2], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert one.returncode == 0, one.stderr
    assert len(built) == 2 and "building an environment" not in one.stderr
    assert {p: p.stat().st_mtime for p in (tmp_path / "envs").glob("*/otelaudit-ready.json")} == built
    assert "(installed)" in one.stdout and "appeared in otelaudit-planted (installed): [OA101]" in one.stdout


def summary(report: dict) -> list:
    return [(r["instrumentor"], r["status"], (r["failure"] or {}).get("kind"), r["telemetry_per_op"],
             sorted(f["rule"] for f in r["findings"] if f["rule"] != "OA199"),  # OA199 comes from sampling
             r["noise_floor"] is not None) for r in report["results"]]


def test_a_scan_sharded_over_two_jobs_merges_into_the_unsharded_report(fixture_site, tmp_path):
    targets = ["fixture-ok", "nosuch", "fixture-nolib", "fixture-raises"]

    def scan(*extra: str) -> dict:
        path = tmp_path / f"report{'-'.join(e.replace('/', 'of') for e in extra)}.json"
        subprocess.run([sys.executable, "-m", "otelaudit", "scan", *targets, "--quick", "--seed", "5",
                        "--json", str(path), "--quiet", *extra], capture_output=True, timeout=300, cwd=tmp_path)
        return json.loads(path.read_text())

    whole = scan()
    shards = [tmp_path / "s1.json", tmp_path / "s2.json"]
    for index, path in enumerate(shards, 1):
        path.write_text(json.dumps(scan("--shard", f"{index}/2")))
    merged_path = tmp_path / "merged.json"
    completed = subprocess.run([sys.executable, "-m", "otelaudit", "merge", *map(str, reversed(shards)),
                                "--json", str(merged_path)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    merged = json.loads(merged_path.read_text())
    assert summary(merged) == summary(whole)
    assert merged["settings"]["shard"] is None and merged["settings"]["seed"] == whole["settings"]["seed"]
