"""Heavy operations (tens of ms each): every phase sized by time, and a real scan of the
planted heavy fixture that finds the per-chunk metadata read fast and ranks it first."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from otelaudit.plan.interleave import ops_for
from otelaudit.plan.sizing import Asked, budget_note, growth_sizes, size_phases

DEFAULT = Asked(seconds_per_run=0.5, rounds=10, memory_ops=50, probe_ops=200, arms=4, budget_s=300.0)
QUICK = Asked(seconds_per_run=0.1, rounds=5, memory_ops=10, probe_ops=50, arms=4, budget_s=60.0)


@pytest.mark.parametrize("rate", [2_000.0, 50_000.0])
def test_fast_operations_keep_the_default_counts(rate):
    sizes = size_phases(DEFAULT, rate, startup_s=1.0)
    assert sizes.ops == ops_for(rate, 0.5) == max(int(rate * 0.5), 50)
    assert (sizes.memory_ops, sizes.probe_ops, sizes.rounds) == (50, 200, 10)


def test_a_5_ms_operation_keeps_its_timed_counts_and_a_shorter_memory_phase():
    sizes = size_phases(DEFAULT, 200.0, startup_s=1.0)
    assert (sizes.ops, sizes.probe_ops, sizes.rounds) == (100, 75, 10)  # probe: 1.5 s of counting
    assert sizes.memory_ops == int(200 * 0.5 / 3 / 3)


@pytest.mark.parametrize("rate, warmup", [(100.0, 200), (1_000.0, 300), (50_000.0, 2000), (5.0, 10)])
def test_the_memory_growth_warm_up_fills_a_cache_of_a_few_hundred_entries_within_two_seconds(rate, warmup):
    # urllib.parse.urlsplit's lru_cache (128 entries) behind a workload of ~100 distinct URLs
    # looked like growth after a warm-up of 30 operations
    assert growth_sizes(DEFAULT, rate, warmup=5)[1] == warmup


@pytest.mark.parametrize("rate", [100.0, 300.0])
def test_a_memory_growth_segment_runs_every_concurrent_slot_at_least_once(rate):
    # aiohttp-client: three operations a segment at concurrency 8 read its connection pool
    # refilling (the last response on each connection keeps its span) as 1 KiB retained per operation
    assert growth_sizes(DEFAULT, rate, warmup=5)[0] < 8
    assert growth_sizes(DEFAULT, rate, warmup=5, concurrency=8)[0] == 8


def test_a_100_ms_operation_gets_a_few_operations_per_phase():
    sizes = size_phases(DEFAULT, 10.0, startup_s=1.0)
    assert 3 <= sizes.ops <= 10
    # tracemalloc (~3x slower) takes at most a third of a timed phase's time
    assert sizes.memory_ops * 3.0 / 10.0 <= 0.5 / 3 + 2 * 0.3
    assert sizes.memory_ops < 50 and sizes.probe_ops < 200
    assert sizes.rounds == 10  # fits the default budget: precision is not given away


def test_a_tight_budget_cuts_rounds_never_below_a_verdict_and_says_what_it_cost():
    sizes = size_phases(replace(DEFAULT, budget_s=30.0), 10.0, startup_s=1.0)
    assert sizes.budget_cut and sizes.rounds == 5
    note = budget_note(sizes)
    assert "5 of 10 timed rounds" in note and "1.4× wider" in note


def test_an_operation_of_seconds_fits_the_quick_budget_by_cuts_each_stated():
    from otelaudit.plan.sizing import cut_notes

    quick = replace(QUICK, budget_s=90.0, profile_pairs=1, verified_arms=0)
    assert size_phases(quick, 1.0, startup_s=1.0, concurrency=8).estimated_s <= 90.0  # 1 s per operation
    sizes = size_phases(quick, 0.5, startup_s=1.0, concurrency=8)  # 2 s: every cut, the cheapest plan
    assert (sizes.ops, sizes.warmup_ops, sizes.probe_ops, sizes.growth_ops) == (1, 1, 2, 0)
    notes = " ".join(cut_notes(sizes, concurrency=8))
    assert "1 operation(s) per timed run" in notes and "memory growth not measured" in notes
    assert sizes.control or "no A/A control arm" in notes


def test_a_warm_up_takes_at_most_a_quarter_of_a_run():
    from otelaudit.plan.sizing import warmup_ops

    assert warmup_ops(ops=5000, concurrency=8, rate=10_000.0, seconds_per_run=0.5) == 500  # a tenth, as before
    assert warmup_ops(ops=100, concurrency=8, rate=200.0, seconds_per_run=0.5) == 16  # two per slot
    assert warmup_ops(ops=3, concurrency=8, rate=10.0, seconds_per_run=0.5) == 1  # not 16 × 100 ms


def test_without_a_control_arm_to_drop_the_last_cut_is_not_offered():
    sizes = size_phases(replace(QUICK, budget_s=10.0, arms=3, control=False), 0.5, startup_s=1.0, concurrency=8)
    assert sizes.control


def test_the_floor_of_fifty_operations_stretches_a_run_at_most_twofold():
    assert ops_for(1_000.0, 0.5) == 500
    assert ops_for(100.0, 0.5) == 50  # 50 ops = 0.5 s... within twice 0.5 s
    assert ops_for(50.0, 0.5) == 50  # 1 s: twice
    assert ops_for(10.0, 0.5) == 10  # 100 ms ops: 1 s, not 5 s
    assert ops_for(1.0, 0.5, few=3) == 3


SITE = Path(__file__).parent / "fixtures" / "site"
DEFECT = ("otelaudit_planted_heavy/__init__.py", 16)


class Watched:
    """A real `otelaudit scan` in a subprocess, its stderr lines timestamped as they come
    and its JSON report read whenever it is rewritten."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        import os
        import threading

        self.json_path = tmp_path / "report.json"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
        self.started = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "otelaudit", "scan", *args, "--json", str(self.json_path)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
        self.lines: list = []
        self.partial_seen_at = None
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        while self.process.poll() is None:
            self._look_at_report()
            time.sleep(0.3)
        reader.join(10)
        self.elapsed = time.monotonic() - self.started
        self.stdout = self.process.stdout.read()
        self.report = json.loads(self.json_path.read_text())

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    def _look_at_report(self) -> None:
        try:
            report = json.loads(self.json_path.read_text())
        except (OSError, ValueError):
            return
        if self.partial_seen_at is None and any(r.get("partial") and r["findings"] for r in report["results"]):
            self.partial_seen_at = time.monotonic() - self.started

    def first(self, *words: str) -> float:
        return next(t for t, line in self.lines if all(w in line for w in words))


@pytest.fixture(scope="module")
def heavy_quick(tmp_path_factory) -> Watched:
    return Watched(tmp_path_factory.mktemp("heavy"), "planted-heavy", "--quick")


@pytest.mark.scan
def test_the_root_cause_is_printed_within_a_minute_and_the_scan_ends_within_ninety_seconds(heavy_quick):
    # Targets on a quiet 2-core machine; a shared one may need the margin.
    printed = heavy_quick.first("[OA101]", f"{DEFECT[0]}:{DEFECT[1]}")
    assert printed < 60, heavy_quick.lines
    assert printed < heavy_quick.first("timed round"), "triage findings come before the timed rounds"
    assert heavy_quick.partial_seen_at is not None and heavy_quick.partial_seen_at < 60
    assert heavy_quick.elapsed < 90 and heavy_quick.process.returncode == 0


@pytest.mark.scan
def test_the_root_cause_ranks_first_with_agreeing_magnitudes(heavy_quick):
    from test_magnitudes import disagreements

    (result,) = heavy_quick.report["results"]
    top = result["findings"][0]
    assert (top["rule"], top["call_site"]["line"]) == ("OA101", DEFECT[1])
    assert top["call_site"]["file"].endswith(DEFECT[0]) and top["calls_per_op"] == 40
    assert not result["partial"] and [s["name"] for s in result["stages"]][:2] == ["triage", "timed-rounds"]
    assert result["sizing"]["ops"] < 50 and result["sizing"]["memory_ops"] < 10
    assert "memory per operation measured over" in " ".join(result["warnings"])
    assert "not verified: --quick skips the what-if arms" in " ".join(result["warnings"])
    assert "verification" not in [s["name"] for s in result["stages"]]
    assert disagreements(result) == []


@pytest.mark.scan
def test_progress_names_the_scenario_phase_and_rounds_at_least_every_ten_seconds(heavy_quick):
    times = [t for t, line in heavy_quick.lines if line.startswith("otelaudit ")]
    assert all("[1/1] planted-heavy" in line for _, line in heavy_quick.lines if line.startswith("otelaudit "))
    assert any("timed round" in line and "/5" in line and "planned" in line for _, line in heavy_quick.lines)
    gaps = [b - a for a, b in zip([0.0] + times, times + [heavy_quick.elapsed])]
    assert max(gaps) < 13, gaps


def test_a_rounds_budget_raises_the_scenario_budget_it_must_fit_in():
    from otelaudit.plan.sizing import scenario_budget_s

    assert scenario_budget_s(300.0, None) == 300.0
    assert scenario_budget_s(300.0, 600.0) == pytest.approx(1000.0)


def test_verification_is_costed_from_the_sizes_and_its_skip_says_why():
    from otelaudit.plan.sizing import unverified_note, verification_s

    sizes = size_phases(QUICK, 10.0, startup_s=1.0)
    assert verification_s(sizes) == pytest.approx(sizes.rounds * 2 * (1.0 + (sizes.ops + sizes.warmup_ops) * 1.1 * 0.1))
    note = unverified_note(sizes, 40.0)
    assert "not verified" in note and "~40 s" in note and "budget of 60 s" in note


def test_a_log_gets_one_line_per_phase_not_one_per_round():
    import io

    from otelaudit.run.progress import ProgressPrinter

    log = io.StringIO()
    printer = ProgressPrinter(stream=log, heartbeat_s=3600.0)
    for message in ["[1/2] sqlite3: starting", "[1/2] sqlite3: triage: counting calls (50 ops)",
                    "[1/2] sqlite3: timed round 1/5 baseline", "[1/2] sqlite3: timed round 1/5 sdk",
                    "[1/2] sqlite3: timed round 2/5 baseline", "[2/2] redis: starting"]:
        printer(message)
    printer.done()
    shown = [line.split(" ", 2)[2] for line in log.getvalue().splitlines()]
    assert shown == ["[1/2] sqlite3: starting", "[1/2] sqlite3: triage: counting calls (50 ops)",
                     "[1/2] sqlite3: timed round 1/5 baseline", "[2/2] redis: starting"]
