"""Budgets judged against whole confidence intervals, and deterministic call-count gates."""

from dataclasses import replace

import pytest

from otelaudit.gate.budgets import Budget, check
from otelaudit.model import CallCount, Comparison, Estimate, Failure, Frame, ScenarioResult


def _result(cpu: Estimate, calls=()) -> ScenarioResult:
    flat = Estimate(0.0, 0.0, 0.0)
    overhead = Comparison("sdk", cpu, Estimate(2.0, 1.9, 2.1), flat, flat, flat, Estimate(0.5, 0.4, 0.6),
                          "overhead", 10)
    return ScenarioResult("httpx", "d", "1", "httpx", "ok", overhead=overhead, call_counts=tuple(calls))


@pytest.mark.parametrize("interval, outcome", [
    (Estimate(12.0, 11.0, 13.0), "fail"),  # wholly above the limit
    (Estimate(8.0, 7.0, 9.0), "pass"),  # wholly within
    (Estimate(10.0, 9.0, 11.0), "inconclusive"),  # straddles it
])
def test_interval_budgets_fail_only_when_the_whole_interval_is_past_the_limit(interval, outcome):
    [verdict] = check(_result(interval), Budget.from_mapping({"max_cpu_us_per_op": 10}))
    assert verdict.outcome == outcome
    assert "CPU overhead" in verdict.message and "95% CI" in verdict.message


def test_call_count_gate_names_the_call_site():
    count = CallCount("importlib.metadata.version", "package-metadata", 1.0, Frame("/x/utils.py", 42, "is_v1"),
                      "opentelemetry-x", "1.0")
    [verdict] = check(_result(Estimate(1, 1, 1), [count]), Budget.from_mapping({"max_calls_per_op": {"package-metadata": 0}}))
    assert verdict.outcome == "fail"
    assert "importlib.metadata.version() × 1/op at /x/utils.py:42" in verdict.message


def test_a_scan_without_a_valid_measurement_fails_every_budget():
    invalid = replace(_result(Estimate(1, 1, 1)), status="invalid", failure=Failure("no-telemetry", "no spans"))
    [verdict] = check(invalid, Budget.from_mapping({"max_cpu_ratio": 3}))
    assert verdict.outcome == "fail" and "no spans" in verdict.message


def test_unknown_budget_names_are_refused():
    with pytest.raises(ValueError, match="unknown otelaudit budget"):
        Budget.from_mapping({"max_cpu": 1})
