"""Each failure a scan must survive, through the real CLI and real child processes:
a clear one-line message, a distinct exit code, the failure in the JSON report, and
the other scenarios still measured."""

import os
import subprocess
import sys

import pytest

CASES = [
    # target, exit code, status, failure kind, words the one-line message must contain
    ("nosuch", 3, "not-covered", "unknown-target", "no installed instrumentor or distribution named 'nosuch'"),
    ("fixture-noscenario", 4, "not-covered", "no-scenario", "no scenario covers"),
    ("fixture-nolib", 5, "not-covered", "missing-library", "is not installed"),
    ("fixture-silent", 6, "invalid", "no-telemetry", "produced no telemetry"),
    ("fixture-raises", 7, "error", "instrument-failed", "planted failure in instrument()"),
    ("fixture-crash", 8, "error", "workload-crashed", "calibration (sdk arm) exited with code 3"),
    ("fixture-hang", 9, "error", "timeout", "calibration (sdk arm) timed out after 3 s in its workload"),
]


@pytest.mark.parametrize("target, code, status, kind, words", CASES, ids=[c[0] for c in CASES])
def test_failure_is_reported_with_its_exit_code(fixture_site, otelaudit, target, code, status, kind, words):
    run = otelaudit("scan", target, "--quick", "--timeout", "3")
    assert run.code == code, run.stderr
    result = run.result(target)
    assert (result["status"], result["failure"]["kind"]) == (status, kind)
    assert words in result["failure"]["message"]
    message_lines = [ln for ln in run.stderr.splitlines() if target in ln]
    assert len(message_lines) == 1 and words in message_lines[0]


@pytest.fixture(scope="module")
def mixed_scan(tmp_path_factory):
    """One scan of a good scenario between two failing ones, with budgets that hold."""
    from conftest import CliRun, FIXTURE_SITE

    folder = tmp_path_factory.mktemp("mixed")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(FIXTURE_SITE), os.environ.get("PYTHONPATH")])))
    env = {k: v for k, v in env.items() if not k.startswith("OTEL_")}
    completed = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "fixture-raises", "fixture-ok", "fixture-crash",
                                "--quick", "--quiet", "--json", str(folder / "r.json"), "--fail-on", "max_cpu_ratio=1e9",
                                "--fail-on", "forbid_rules=OA101"], capture_output=True, text=True, timeout=300,
                               cwd=folder, env=env)
    return CliRun(completed, folder / "r.json")


def test_other_scenarios_are_still_measured_and_the_worst_code_wins(mixed_scan):
    assert mixed_scan.code == 8, mixed_scan.stderr
    assert mixed_scan.result("fixture-ok")["status"] == "ok"
    assert mixed_scan.result("fixture-ok")["telemetry_per_op"]["spans"] == 1.0
    assert mixed_scan.result("fixture-raises")["status"] == "error"


def test_fail_on_budgets_that_hold_pass_and_leave_the_exit_code_to_the_failures(mixed_scan):
    assert "budget pass: fixture-ok" in mixed_scan.stderr and "budget fail" not in mixed_scan.stderr
    assert mixed_scan.code == 8


def test_untargeted_gaps_in_the_environment_do_not_fail_a_scan(fixture_site):
    from otelaudit import Failure, ScenarioResult
    from otelaudit.errors import exit_code_for

    gap = ScenarioResult("httpx2", "d", "1", None, "not-covered", failure=Failure("no-scenario", "x"))
    assert exit_code_for([gap]) == 0


def test_fail_on_budgets_exit_10_and_name_the_call_site(fixture_site, otelaudit):
    run = otelaudit("scan", "planted", "--quick", "--fail-on", "max_calls_per_op:package-metadata=0")
    assert run.code == 10, run.stderr
    assert "budget fail: planted: package-metadata calls per operation 1 (limit 0)" in run.stderr
    assert "otelaudit_planted/__init__.py:26" in run.stderr


def test_a_malformed_budget_is_a_usage_error_before_anything_runs(otelaudit):
    run = otelaudit("scan", "sqlite3", "--fail-on", "max_cpu_ratio")
    assert run.code == 2 and "NAME=VALUE" in run.stderr
