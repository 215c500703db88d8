"""The pipeline with an in-memory runner: planning, pairing, validity and failures,
without subprocesses. The real subprocess path is covered in test_scan_real.py."""

from __future__ import annotations

from typing import List, Mapping

import pytest

from otelaudit.model import ARMS, Failure, RunResult, Telemetry
from otelaudit.pipeline import ScanOptions, scan
from otelaudit.model import RunSpec
from otelaudit.plan.interleave import interleave, play

import random


class FakeRunner:
    """Answers each spec with a made-up result: baseline 10 µs/op, api +1, sdk +5."""

    def __init__(self, spans_per_op: float = 1.0, fail_arm: str = "", failure: str = "workload-crashed") -> None:
        self.specs: List[RunSpec] = []
        self.spans_per_op = spans_per_op
        self.fail_arm = fail_arm
        self.failure = failure

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        self.specs.append(spec)
        if spec.mode == "calibrate":
            return RunResult(arm=spec.arm, round=spec.round, ops=1000, wall_s=0.1)
        if spec.arm == self.fail_arm:
            return RunResult(arm=spec.arm, round=spec.round, failure=Failure(self.failure, "planted"))  # type: ignore[arg-type]
        cost = {"baseline": 10.0, "control": 10.0, "api": 11.0, "sdk": 15.0}[spec.arm] + spec.round * 0.01
        spans = self.spans_per_op * spec.ops if spec.arm == "sdk" else 0.0
        return RunResult(arm=spec.arm, round=spec.round, ops=spec.ops, wall_s=spec.ops * cost * 1e-6,
                         cpu_s=spec.ops * cost * 1e-6, loop_cpu_s=spec.ops * cost * 1e-6,
                         latency_p50_us=cost, latency_p99_us=cost * 2, telemetry=Telemetry(spans=spans))


OPTIONS = ScanOptions(targets=("fixture-ok",), rounds=5, seed=1)


def test_every_round_runs_each_arm_once_in_a_shuffled_order():
    order = interleave(50, random.Random(0), ARMS)
    rounds = {}
    for round_index, arm in order:
        rounds.setdefault(round_index, []).append(arm)
    assert sorted(rounds) == list(range(50))
    assert all(sorted(arms) == ["api", "baseline", "sdk"] for arms in rounds.values())
    assert len({tuple(arms) for arms in rounds.values()}) > 1


def test_rounds_can_start_later_and_any_value_can_be_an_arm():
    fixes = [object(), object()]
    order = interleave(3, random.Random(0), fixes, first_round=7)
    assert [i for i, _ in order] == [7, 7, 8, 8, 9, 9]
    assert all({id(a) for i, a in order if i == r} == {id(f) for f in fixes} for r in (7, 8, 9))


def test_play_stops_at_the_first_run_that_says_stop():
    order = interleave(4, random.Random(0), ["a", "b"])
    played = play(order, lambda i, arm: (i, arm), lambda result: result[0] < 2)
    assert played == order[:5]  # rounds 0 and 1, then the first run of round 2
    assert play(order, lambda i, arm: (i, arm)) == order


def test_overhead_is_the_paired_difference_to_the_baseline(fixture_site):
    runner = FakeRunner()
    report = scan(OPTIONS, runner=runner)
    result = report.results[0]
    assert result.status == "ok"
    assert result.overhead.cpu_us_per_op.estimate == pytest.approx(5.0)
    assert result.api_overhead.cpu_us_per_op.estimate == pytest.approx(1.0)
    assert result.overhead.cpu_ratio.estimate == pytest.approx(1.5, rel=0.01)
    assert result.overhead.verdict == "overhead"
    assert result.telemetry_per_op.spans == 1.0
    assert len([s for s in runner.specs if s.mode == "measure"]) == 20  # 3 arms and the A/A control arm, 5 rounds


def test_every_run_gets_the_same_operation_count_from_calibration(fixture_site):
    runner = FakeRunner()
    scan(OPTIONS, runner=runner)
    ops = {s.ops for s in runner.specs if s.mode == "measure"}
    assert ops == {int(1000 / 0.1 * OPTIONS.seconds_per_run)}


def test_no_telemetry_is_invalid_never_zero_overhead(fixture_site):
    result = scan(OPTIONS, runner=FakeRunner(spans_per_op=0.0)).results[0]
    assert result.status == "invalid"
    assert result.failure.kind == "no-telemetry"
    assert result.overhead is None


def test_less_telemetry_than_expected_is_a_warning(fixture_site):
    result = scan(OPTIONS, runner=FakeRunner(spans_per_op=0.5)).results[0]
    assert result.status == "ok"
    assert any("less telemetry" in w for w in result.warnings)


def test_a_failed_run_stops_the_scenario_and_is_recorded(fixture_site):
    runner = FakeRunner(fail_arm="sdk", failure="timeout")
    result = scan(OPTIONS, runner=runner).results[0]
    assert result.status == "error"
    assert result.failure.kind == "timeout"
    measured = [s for s in runner.specs if s.mode == "measure"]
    assert measured[-1].arm == "sdk" and len(measured) <= 3


def test_other_scenarios_still_run_after_one_fails(fixture_site):
    options = ScanOptions(targets=("fixture-ok", "fixture-nolib", "nosuch"), rounds=3, seed=1)
    report = scan(options, runner=FakeRunner())
    statuses = {r.instrumentor: (r.status, r.failure.kind if r.failure else None) for r in report.results}
    assert statuses == {
        "nosuch": ("not-covered", "unknown-target"),
        "fixture-ok": ("ok", None),
        "fixture-nolib": ("not-covered", "missing-library"),
    }


def test_each_finished_scenario_is_handed_over_at_once(fixture_site):
    seen = []
    options = ScanOptions(targets=("fixture-ok", "fixture-silent"), rounds=2, seed=1)
    scan(options, runner=FakeRunner(), on_result=lambda report: seen.append(tuple(r.partial for r in report.results)))
    assert seen == [(True,), (False,), (False, True), (False, False)]  # after each triage, and each finish


def test_quick_samples_one_profile_pair_a_default_scan_three(fixture_site):
    quick, default = FakeRunner(), FakeRunner()
    scan(ScanOptions.quick_defaults(targets=("fixture-ok",), seed=1), runner=quick)
    scan(OPTIONS, runner=default)
    assert [s.mode for s in quick.specs].count("profile") == 2
    assert [s.mode for s in default.specs].count("profile") == 6
