"""Measuring children forked from a zygote behave as spawned ones do: same results, the
request's environment and working directory, their own random state, timeouts and
crashes reported alike, and no process left behind."""

from __future__ import annotations

import os
import time
from typing import Tuple

import pytest

from otelaudit.model import RunSpec
from otelaudit.run import forkserver
from otelaudit.run.runner import SubprocessRunner
from otelaudit.run.scenario import SDK_MODULES


SDK_PRELOAD = ("otelaudit_fixture_instrumentations.instrumentors", *SDK_MODULES)


def spec(scenario: str, arm: str = "sdk", ops: int = 40, preload: Tuple[str, ...] = ()) -> RunSpec:
    return RunSpec(preload=preload,
                   scenario_module="otelaudit_fixture_instrumentations.scenarios", scenario_name=scenario, arm=arm,
                   round=0, ops=ops, warmup_ops=4, concurrency=2,
                   instrumentor_value="otelaudit_fixture_instrumentations.instrumentors:SpanPerCallInstrumentor",
                   instrumentor_distribution="otelaudit-fixture-instrumentations", instrumentor_version="1.0",
                   memory_ops=2)


def test_a_forked_child_measures_what_a_spawned_one_does(fixture_site):
    forked = SubprocessRunner(fork=True).run(spec("fixture-ok"), {}, 60)
    spawned = SubprocessRunner(fork=False).run(spec("fixture-ok"), {}, 60)
    assert forked.ok and spawned.ok, (forked.failure, spawned.failure)
    assert forked.telemetry == spawned.telemetry and forked.telemetry.spans == 40
    assert forked.library_version == spawned.library_version


def test_an_sdk_child_from_a_zygote_that_imported_its_sdk_measures_the_same_but_times_no_import(fixture_site):
    preloaded = SubprocessRunner(fork=True).run(spec("fixture-ok", preload=SDK_PRELOAD), {}, 60)
    spawned = SubprocessRunner(fork=False).run(spec("fixture-ok", preload=SDK_PRELOAD), {}, 60)
    assert preloaded.ok and spawned.ok, (preloaded.failure, spawned.failure)
    assert preloaded.telemetry == spawned.telemetry and preloaded.telemetry.spans == 40
    assert preloaded.import_s is None  # imported by the zygote: not this child's to time
    assert spawned.import_s is not None and spawned.import_s > 0
    assert preloaded.instrument_s is not None and preloaded.instrument_s > 0


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="reads a process's environment from /proc")
def test_the_zygotes_of_a_scan_share_one_hash_seed_so_arms_forked_from_different_ones_hash_alike(fixture_site):
    runner = SubprocessRunner()
    runner.run(spec("fixture-ok", "baseline", 5), {}, 60)
    runner.run(spec("fixture-ok", ops=5, preload=SDK_PRELOAD), {}, 60)
    seeds = set()
    for zygote in (z for z in forkserver.POOL.all if z.alive):
        with open(f"/proc/{zygote.process.pid}/environ", "rb") as handle:
            seeds |= {v for v in handle.read().split(b"\0") if v.startswith(b"PYTHONHASHSEED=")}
    assert len([z for z in forkserver.POOL.all if z.alive]) >= 2 and len(seeds) == 1


def test_one_zygote_serves_runs_of_one_start_up_environment_and_another_gets_its_own(fixture_site):
    runner = SubprocessRunner()
    runner.run(spec("fixture-ok", "baseline", 5), {}, 60)
    first = {z.process.pid for z in forkserver.POOL.all if z.alive}
    runner.run(spec("fixture-ok", "baseline", 5), {"OTELAUDIT_PROBE_ONLY_IN_CHILD": "1"}, 60)
    assert {z.process.pid for z in forkserver.POOL.all if z.alive} == first  # not a start-up variable
    runner.run(spec("fixture-ok", "baseline", 5), {"PYTHONWARNINGS": "ignore::DeprecationWarning"}, 60)
    assert len({z.process.pid for z in forkserver.POOL.all if z.alive} - first) == 1


def test_a_crash_and_a_timeout_are_reported_as_for_a_spawned_child(fixture_site):
    runner = SubprocessRunner()
    crashed = runner.run(spec("fixture-crash"), {}, 60)
    assert crashed.failure is not None and crashed.failure.kind == "workload-crashed", crashed.failure
    began = time.perf_counter()
    hung = runner.run(spec("fixture-hang"), {}, 2)
    assert hung.failure is not None and hung.failure.kind == "timeout"
    assert time.perf_counter() - began < 10
    after = runner.run(spec("fixture-ok", ops=5), {}, 60)  # the zygote survives its children
    assert after.ok, after.failure


def test_no_child_or_zygote_outlives_the_pool(fixture_site):
    SubprocessRunner().run(spec("fixture-ok", ops=5), {}, 60)
    pids = [z.process.pid for z in forkserver.POOL.all]
    forkserver.POOL.close()
    for pid in pids:
        with pytest.raises(OSError):
            os.kill(pid, 0)
