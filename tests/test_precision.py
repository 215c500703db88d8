"""Precision features without subprocesses: stop rules of adaptive rounds, the A/A
noise floor holding verdicts, the count verdict, sharding and merging, parallel jobs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import List, Mapping

import pytest

from otelaudit.plan import adaptive
from otelaudit.measure import counting
from otelaudit.measure import noise
from otelaudit.model import files as report_json
from otelaudit.model import Comparison, Estimate, NoiseFloor, RunResult
from otelaudit.run.cores import measuring_core, usable_cpus
from otelaudit.run.parallel import effective_jobs
from otelaudit.run.runner import SubprocessRunner
from otelaudit.pipeline import ScanOptions, scan
from otelaudit.model import RunSpec
from otelaudit.plan.sharding import merge, parse_shard, shard_of

from test_pipeline import FakeRunner


class NoisyRunner(FakeRunner):
    """Like FakeRunner, with round-dependent noise so intervals have a width."""

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        result = super().run(spec, env, timeout_s)
        if spec.mode != "measure" or not result.ok:
            return result
        wobble = 1.0 + 0.02 * ((spec.round * 7 + len(spec.arm)) % 5 - 2)
        return dataclasses.replace(result, cpu_s=result.cpu_s * wobble)


def test_precision_and_budget_parse_with_units():
    assert adaptive.parse_target("2%") == adaptive.PrecisionTarget(2.0, "%")
    assert adaptive.parse_target("3us") == adaptive.PrecisionTarget(3.0, "us")
    assert adaptive.parse_duration("60s") == 60.0 and adaptive.parse_duration("2m") == 120.0
    for bad in ("2", "-1%", "fast"):
        with pytest.raises(ValueError):
            adaptive.parse_target(bad)


def play(rule: adaptive.StopRule, widths: List[float], round_seconds: float = 1.0) -> adaptive.RoundsPlayed:
    clock = [0.0]

    def one_round(index: int) -> bool:
        clock[0] += round_seconds
        return True

    def precision():  # one width per check, in % (and µs), the last one repeated
        width = widths.pop(0) if len(widths) > 1 else widths[0]
        return width, width

    return adaptive.play_rounds(one_round, precision, rule, clock=lambda: clock[0])


def test_fixed_rounds_without_a_target_or_budget():
    assert play(adaptive.StopRule(7), [5.0]).rounds == 7
    assert play(adaptive.StopRule(7), [5.0]).stop == "fixed-rounds"


def test_rounds_are_added_until_the_target_is_reached():
    widths = [9.0, 8.0, 6.0, 4.0, 3.0, 1.5, 1.0]  # checked after rounds 5, 6, 7, ...
    played = play(adaptive.StopRule(5, target=adaptive.parse_target("2%")), widths)
    assert played.stop == "precision-reached" and played.rounds == 10


def test_the_budget_stops_rounds_that_never_reach_the_target():
    played = play(adaptive.StopRule(5, target=adaptive.parse_target("0.1%"), budget_s=20.0), [5.0])
    assert played.stop == "budget-exhausted" and played.rounds == 20  # 1 s rounds in 20 s


def settle_play(rule: adaptive.StopRule, widths: List[float], estimate: float) -> adaptive.RoundsPlayed:
    def precision():
        width = widths.pop(0) if len(widths) > 1 else widths[0]
        return width, width, estimate

    return adaptive.play_rounds(lambda index: True, precision, rule)


def test_a_default_count_ends_early_once_the_overhead_is_known_to_a_tenth_of_itself():
    rule = adaptive.settling(10, 0.1)
    played = settle_play(rule, [30.0, 12.0, 9.0], estimate=100.0)  # checked after rounds 6, 7, 8
    assert played.stop == "overhead-settled" and played.rounds == 8
    small = settle_play(rule, [3.0], estimate=5.0)  # a small overhead: its interval never settles
    assert small.stop == "fixed-rounds" and small.rounds == 10
    assert settle_play(adaptive.settling(5, 0.1), [1.0], estimate=100.0).rounds == 5  # too few to cut
    assert rule.planned == 10


def test_the_round_cap_stops_a_budget_only_rule():
    played = play(adaptive.StopRule(5, max_rounds=12, budget_s=1000.0), [5.0])
    assert played.stop == "max-rounds" and played.rounds == 12


def comparison(estimate: float, low: float, high: float, verdict: str) -> Comparison:
    e = Estimate(estimate, low, high)
    return Comparison("sdk", e, e, e, e, e, e, verdict, 10)  # type: ignore[arg-type]


def floor(us: float) -> NoiseFloor:
    return NoiseFloor(10, Estimate(0.0, -us, us), us, us, "no-detectable-overhead")


def test_an_overhead_below_the_noise_floor_is_not_claimed():
    assert noise.floored(comparison(0.5, 0.1, 0.9, "overhead"), floor(0.8), 100.0).verdict == "inconclusive"
    assert noise.floored(comparison(2.0, 1.0, 3.0, "overhead"), floor(0.8), 100.0).verdict == "overhead"


def test_no_overhead_is_not_claimed_when_the_floor_is_above_the_margin():
    quiet = comparison(0.1, -0.5, 0.5, "no-detectable-overhead")
    assert noise.floored(quiet, floor(0.8), 100.0).verdict == "no-detectable-overhead"
    assert noise.floored(quiet, floor(3.0), 100.0).verdict == "inconclusive"


def test_scans_report_the_noise_floor_and_the_rounds(fixture_site):
    result = scan(ScanOptions(targets=("fixture-ok",), rounds=6, seed=3), runner=NoisyRunner()).results[0]
    assert result.noise_floor is not None and result.noise_floor.rounds == 6
    assert result.precision is not None and result.precision.stop == "fixed-rounds"
    assert result.overhead.verdict == "overhead"


def test_a_scan_adds_rounds_until_its_precision_target(fixture_site):
    options = ScanOptions(targets=("fixture-ok",), rounds=5, seed=3, precision=adaptive.parse_target("0.5us"), budget_s=600)
    result = scan(options, runner=NoisyRunner()).results[0]
    assert result.precision.stop == "precision-reached"
    assert result.precision.half_width_us <= 0.5 and result.precision.target == "0.5us"


def test_count_verdicts_use_the_repeats_as_their_noise_floor():
    assert counting.count_verdict([101.0, 101.1], [100.0, 100.1]) == "overhead"
    assert counting.count_verdict([100.05, 100.1], [100.0, 100.1]) == "no-detectable-overhead"
    assert counting.count_verdict([101.0, 104.0], [100.0, 101.0]) == "inconclusive"


def test_count_verdicts_claim_no_difference_finer_than_the_counts_resolve():
    # steady repeats, 0.05 % apart: real, but finer than counts resolve across environments
    assert counting.count_verdict([100.05, 100.06, 100.05], [100.0, 100.0, 100.01]) == "no-detectable-overhead"
    assert counting.count_verdict([100.5, 100.51, 100.5], [100.0, 100.0, 100.01]) == "overhead"


def test_time_and_counts_disagreeing_is_said():
    counts = counting.instruction_counts("valgrind", 100, {"baseline": [100.0, 100.0], "sdk": [101.0, 101.0]})
    assert counting.disagreement(counts, comparison(50.0, 40.0, 60.0, "overhead")) is not None
    close = dataclasses.replace(comparison(1.0, 0.5, 1.5, "overhead"), cpu_ratio=Estimate(1.01, 1.005, 1.015))
    assert counting.disagreement(counts, close) is None


def test_shards_partition_the_targets():
    items = list(range(7))
    assert sorted(shard_of(items, (1, 3)) + shard_of(items, (2, 3)) + shard_of(items, (3, 3))) == items
    for bad in ("0/2", "3/2", "x"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def content(report) -> str:
    """The report without what differs between any two runs: when, by which command, how long."""
    results = [dataclasses.replace(r, duration_s=0.0, precision=dataclasses.replace(r.precision, elapsed_s=0.0)
                                   if r.precision else None,
                                   stages=tuple(dataclasses.replace(s, done_s=0.0) for s in r.stages))
               for r in report.results]
    return report_json.dumps(dataclasses.replace(report, created="", command="", results=tuple(results),
                                                 settings=dataclasses.replace(report.settings, shard=None)))


def test_merged_shards_equal_the_unsharded_report(fixture_site):
    targets = ("fixture-ok", "fixture-nolib", "nosuch", "fixture-silent", "fixture-raises")
    options = ScanOptions(targets=targets, rounds=5, seed=9)
    whole = scan(options, runner=NoisyRunner())
    shards = [scan(dataclasses.replace(options, shard=(i, 2)), runner=NoisyRunner()) for i in (2, 1)]
    assert [len(s.results) for s in shards] == [2, 3]
    assert content(merge(shards)) == content(whole)


def test_shards_of_different_scans_are_refused(fixture_site):
    one = scan(ScanOptions(targets=("fixture-ok",), rounds=5, seed=1, shard=(1, 2)), runner=FakeRunner())
    other = scan(ScanOptions(targets=("fixture-ok",), rounds=5, seed=2, shard=(2, 2)), runner=FakeRunner())
    with pytest.raises(ValueError, match="different settings"):
        merge([one, other])
    with pytest.raises(ValueError, match="shards 1/N"):
        merge([one])


def test_parallel_jobs_keep_the_order_and_say_how_many_ran(fixture_site):
    options = ScanOptions(targets=("fixture-silent", "fixture-ok", "fixture-nolib"), rounds=5, seed=1, jobs=8)
    report = scan(options, runner=FakeRunner())
    assert [r.instrumentor for r in report.results] == ["fixture-silent", "fixture-ok", "fixture-nolib"]
    assert report.settings.jobs == effective_jobs(8) <= 8


@pytest.mark.skipif(len(usable_cpus()) < 2 or not hasattr(os, "sched_setaffinity"), reason="needs two cores")
def test_a_one_job_run_pins_every_measuring_child_to_one_core():
    # free to migrate, identical runs one after the other differed by 22-27% here; on one core by 4-6%
    env = SubprocessRunner().environment({})
    code = ("import os; from otelaudit.child.measure import pin_to_cpu; pin_to_cpu(os.environ.get('OTELAUDIT_CPU'));"
            "print(sorted(os.sched_getaffinity(0)))")
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert shown.strip() == f"[{measuring_core()}]" and measuring_core() in usable_cpus()
    assert SubprocessRunner(cpu=0).environment({})["OTELAUDIT_CPU"] == "0"  # a job's own core


@pytest.mark.skipif(len(usable_cpus()) < 2 or not hasattr(os, "sched_setaffinity"), reason="needs two cores")
def test_two_audits_on_one_machine_claim_different_cores(tmp_path):
    # two test workers both pinned to the last core once made timing and counts of each other's children noisy
    code = "import time; from otelaudit.run.cores import measuring_core; print(measuring_core(), flush=True); time.sleep(3)"
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the claims' lock files: none held yet (not this suite's workers')
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    second = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        cores = {first.stdout.readline().strip(), second.stdout.readline().strip()}  # type: ignore[union-attr]
    finally:
        first.kill(), second.kill()
        first.wait(), second.wait()
    assert len(cores) == 2


def test_instruction_budgets_are_deterministic_pass_or_fail():
    from otelaudit.gate.budgets import Budget, check
    from otelaudit.model import InstructionCounts, ScenarioResult

    counts = InstructionCounts("valgrind", 2000, {"baseline": 10000.0, "sdk": 25000.0}, 15000.0, 2.5, 0.1)
    result = ScenarioResult("x", "d", "1", "s", "ok", overhead=comparison(1.0, 0.5, 1.5, "overhead"), instructions=counts)
    budget = Budget.from_mapping({"max_instructions_per_op": 20000, "max_instruction_ratio": 2})
    assert budget.counts_instructions
    assert [v.outcome for v in check(result, budget)] == ["pass", "fail"]
    unmeasured = dataclasses.replace(result, instructions=None)
    assert [v.outcome for v in check(unmeasured, budget)] == ["fail", "fail"]


def test_one_outlying_count_run_does_not_hide_an_overhead():
    treated, baseline = [1010.0, 1010.4, 1060.0], [1000.0, 1000.5, 1000.2]  # one run retired far more
    assert counting.count_verdict(treated, baseline) == "overhead"
    assert counting.count_verdict([1000.0, 1000.4, 1060.0], baseline) == "no-detectable-overhead"
