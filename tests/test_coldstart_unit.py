"""Cold start with an in-memory runner: the interleaved order of the children, stopping at
a failure, what each failure makes of the target, the auto-instrumentation start-up and
the report, without subprocesses. Real cold-start children run in test_coldstart.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Mapping, Optional, Tuple

import pytest

from otelaudit.coldstart.audit import ColdStartOptions, cold_start
from otelaudit.coldstart.auto import measure_auto
from otelaudit.model import (AutoBreakdown, AutoInstrumentorTiming, ColdRun, ColdSpec, Failure, ImportEntry, RunResult,
                             RunSpec, StartRun, StartSpec)
from otelaudit.model import files as report_json
from otelaudit.run.report import SCHEMA_VERSION

Fail = Tuple[str, int, str]  # arm, round, failure kind


class FakeColdRunner:
    """Answers cold-start specs with made-up runs: the instrumentation imports one module
    of 4 ms and adds 2 ms of import time; `fail` plants a failure at (arm, round)."""

    def __init__(self, fail: Optional[Fail] = None, start_fail: Optional[str] = None) -> None:
        self.cold_specs: List[ColdSpec] = []
        self.cold_envs: List[Mapping[str, str]] = []
        self.start_specs: List[StartSpec] = []
        self.fail = fail
        self.start_fail = start_fail

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        raise AssertionError("a cold start runs no scan children")

    def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun:
        self.cold_specs.append(spec)
        self.cold_envs.append(env)
        if self.fail is not None and (spec.arm, spec.round) == self.fail[:2]:
            return ColdRun(spec.arm, spec.round, failure=Failure(self.fail[2], "planted"))  # type: ignore[arg-type]
        treated = spec.arm != "baseline"
        imports = (ImportEntry(spec.library, 1000, 1000, (spec.library,)),)
        if spec.arm == "instrumented":
            imports += (ImportEntry("heavy", 4000, 4000, ("inst", "heavy")),)
        return ColdRun(spec.arm, spec.round, library_import_s=0.010 + spec.round * 1e-4,
                       instrumentation_import_s=0.002 if spec.arm == "instrumented" else 0.0,
                       instrument_s=0.001 if spec.arm == "instrumented" else None, library_import_cpu_s=0.010,
                       instrumentation_import_cpu_s=0.002 if spec.arm == "instrumented" else 0.0,
                       first_op_us=(100.0, 50.0, 40.0), steady_op_us=30.0, to_first_op_s=0.1 + 0.01 * treated,
                       telemetry_items=3.0 if treated else 0.0, imports=imports)

    def start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> StartRun:
        self.start_specs.append(spec)
        if spec.arm == self.start_fail:
            return StartRun(spec.arm, spec.round, failure=Failure("workload-crashed", "planted"))
        if spec.arm == "breakdown":
            row = AutoInstrumentorTiming("fixture-ok", 0.001, 0.003, 0.002, "instrumented", 5, ("fixture",))
            return StartRun(spec.arm, spec.round, 80.0, AutoBreakdown(0.02, 0.01, 0.004, "Distro", (row,)))
        wall = {"plain": 20.0, "sitecustomize": 50.0, "launcher": 90.0}[spec.arm] + spec.round * 0.1
        return StartRun(spec.arm, spec.round, wall)


def options(**changes: object) -> ColdStartOptions:
    values: Dict[str, object] = dict(targets=("fixture-ok",), rounds=4, seed=3, auto=False, quick=True)
    values.update(changes)
    return ColdStartOptions(**values)  # type: ignore[arg-type]


def by_round(specs: List[ColdSpec]) -> Dict[int, List[str]]:
    rounds: Dict[int, List[str]] = {}
    for spec in specs:
        if spec.round >= 0 and spec.patch_module is None:
            rounds.setdefault(spec.round, []).append(spec.arm)
    return rounds


@pytest.fixture(scope="module")
def measured():
    """One cold start of 12 rounds of the fixture target (and an unknown name) through
    the fake runner, with every report it handed on while it ran."""
    from conftest import FIXTURE_SITE

    runner, seen = FakeColdRunner(), []
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(FIXTURE_SITE))
        report = cold_start(options(targets=("fixture-ok", "no-such-thing"), rounds=12), runner=runner,
                            on_result=seen.append)
    return runner, report, seen


def test_every_round_runs_each_arm_once_in_a_shuffled_order(measured):
    runner, _, _ = measured
    rounds = by_round(runner.cold_specs)
    assert sorted(rounds) == list(range(12))
    assert all(sorted(arms) == ["baseline", "instrumented"] for arms in rounds.values())
    assert len({tuple(arms) for arms in rounds.values()}) == 2  # both orders occur
    probes = [s for s in runner.cold_specs if s.probe]
    assert len(probes) == 1 and probes[0].arm == "instrumented"


def test_the_same_seed_gives_the_same_order_up_to_a_crash(measured, fixture_site):
    first, _, _ = measured
    timed = [(s.arm, s.round) for s in first.cold_specs if s.round >= 0]
    again = FakeColdRunner(fail=(*timed[-1], "workload-crashed"))
    cold_start(options(rounds=12), runner=again)
    assert [(s.arm, s.round) for s in again.cold_specs] == timed


def test_a_measured_target_is_summarised_from_its_runs(measured):
    target = measured[1].cold_start.targets[0]
    assert target.status == "ok" and target.rounds == 12
    assert target.import_ms.estimate == pytest.approx(2.0)  # the paired difference, 2 ms every round
    assert target.instrument_ms.estimate == pytest.approx(1.0)
    assert [m.module for m in target.top_modules] == ["heavy"]


def test_a_crash_stops_the_rounds_and_makes_the_target_an_error(fixture_site):
    runner = FakeColdRunner(fail=("instrumented", 1, "instrument-failed"))
    target = cold_start(options(), runner=runner).cold_start.targets[0]
    assert target.status == "error" and target.failure.kind == "instrument-failed"
    assert (runner.cold_specs[-1].arm, runner.cold_specs[-1].round) == ("instrumented", 1)  # nothing after it
    assert max(s.round for s in runner.cold_specs) == 1 and not any(s.probe for s in runner.cold_specs)


def test_a_library_that_fails_to_import_in_the_child_is_not_covered(fixture_site):
    target = cold_start(options(), runner=FakeColdRunner(fail=("baseline", 0, "missing-library"))).cold_start.targets[0]
    assert target.status == "not-covered" and target.failure.kind == "missing-library"


def test_no_telemetry_in_the_instrumented_arm_is_invalid(fixture_site):
    class Silent(FakeColdRunner):
        def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun:
            run = super().cold(spec, env, timeout_s)
            return replace(run, telemetry_items=0.0)

    target = cold_start(options(), runner=Silent()).cold_start.targets[0]
    assert target.status == "invalid" and target.failure.kind == "no-telemetry"


def test_a_failed_auto_arm_is_a_warning_and_the_other_arms_go_on(fixture_site):
    runner = FakeColdRunner(fail=("auto", 2, "workload-crashed"))
    target = cold_start(options(auto=True), runner=runner).cold_start.targets[0]
    assert target.status == "ok"
    assert target.warnings == ("under opentelemetry-instrument: planted",)
    assert sorted(by_round(runner.cold_specs)) == [0, 1, 2, 3]
    auto_envs = [env for spec, env in zip(runner.cold_specs, runner.cold_envs) if spec.arm == "auto"]
    assert auto_envs and all("PYTHONPATH" in env for env in auto_envs)


def test_targets_without_a_scenario_or_library_are_not_covered_without_children(fixture_site):
    runner = FakeColdRunner()
    report = cold_start(options(targets=("fixture-noscenario", "fixture-nolib")), runner=runner)
    kinds = {t.instrumentor: (t.status, t.failure.kind) for t in report.cold_start.targets}
    assert kinds == {"fixture-noscenario": ("not-covered", "no-scenario"),
                     "fixture-nolib": ("not-covered", "missing-library")}
    assert runner.cold_specs == []


def test_the_report_is_the_scans_kind_of_report(measured):
    _, report, seen = measured
    assert report.schema_version == SCHEMA_VERSION and report.command == "otelaudit coldstart"
    assert (report.settings.rounds, report.settings.seed, report.settings.quick) == (12, 3, True)
    assert "otelaudit-fixture-instrumentations" in report.environment.packages
    assert report.results == () and report.cold_start.unknown_targets == ("no-such-thing",)
    assert len(seen) == 1 and seen[0].cold_start.targets == report.cold_start.targets
    assert report_json.loads(report_json.dumps(report)) == report


def test_auto_start_up_interleaves_its_four_arms_and_pairs_them():
    runner = FakeColdRunner()
    auto = measure_auto(6, 5, {}, 10.0, runner)
    rounds: Dict[int, List[str]] = {}
    for spec in runner.start_specs:
        rounds.setdefault(spec.round, []).append(spec.arm)
    assert all(sorted(arms) == ["breakdown", "launcher", "plain", "sitecustomize"] for arms in rounds.values())
    assert len({tuple(arms) for arms in rounds.values()}) > 1
    assert auto.failure is None and auto.rounds == 6
    assert auto.initialize_added_ms.estimate == pytest.approx(30.0)
    assert auto.total_added_ms.estimate == pytest.approx(70.0)
    assert [(i.name, i.outcome) for i in auto.instrumentors] == [("fixture-ok", "instrumented")]
    assert auto.initialize_in_process_ms.estimate == pytest.approx(30.0)


def test_a_start_up_that_fails_stops_the_auto_measurement_and_says_why():
    runner = FakeColdRunner(start_fail="launcher")
    auto = measure_auto(6, 5, {}, 10.0, runner)
    assert auto.failure == Failure("workload-crashed", "planted") and auto.rounds == 0
    assert runner.start_specs[-1].arm == "launcher"


def test_failed_breakdowns_lose_only_the_breakdown():
    auto = measure_auto(3, 5, {}, 10.0, FakeColdRunner(start_fail="breakdown"))
    assert auto.plain_ms.estimate > 0 and auto.instrumentors == ()
    assert auto.failure.kind == "workload-crashed" and "planted" in auto.failure.message


def test_the_real_runner_turns_a_signal_a_timeout_and_a_missing_program_into_failed_runs():
    from otelaudit.run.runner import SubprocessRunner

    runner = SubprocessRunner()
    killed = runner.start(StartSpec("plain", 0, launcher=("sh", "-c", "kill -9 $$", "sh")), {}, 30)
    assert killed.failure == Failure("workload-crashed", "the plain interpreter was killed by SIGKILL "
                                     "(retried once: the first attempt was killed by SIGKILL)")
    slow = runner.start(StartSpec("plain", 0, launcher=("sh", "-c", "exec sleep 5", "sh")), {}, 0.5)
    assert slow.failure is not None and slow.failure.kind == "timeout"
    missing = runner.start(StartSpec("launcher", 0, launcher=("/no/such/launcher",)), {}, 30)
    assert missing.failure is not None and "cannot start /no/such/launcher" in missing.failure.message
    assert runner.start(StartSpec("plain", 1), {}, 30).failure is None
