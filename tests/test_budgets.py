"""Budgets judged against whole confidence intervals, and deterministic call-count gates."""

from dataclasses import replace

import pytest

from otelaudit.errors import UsageError
from otelaudit.gate.budgets import Budget, check, parse_cli
from otelaudit.model import CallCount, Comparison, Estimate, Failure, Finding, Frame, ScenarioResult
from otelaudit.rules.registry import rule_ids


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


def test_unknown_budget_names_are_refused_with_the_closest_match():
    with pytest.raises(UsageError, match=r"unknown budget 'max_cpu' \(did you mean max_cpu_ratio\?\); known: "):
        Budget.from_mapping({"max_cpu": 1})


BAD = [
    ({"forbid_rules": "OA102"}, r"forbid_rules must be a list of rule ids.*got str 'OA102'"),
    ({"forbid_rules": ["OA1O2"]}, r"unknown rule 'OA1O2' \(did you mean OA102\?\); known: OA101, "),
    ({"forbid_rules": [""]}, r"unknown rule ''"),
    ({"max_calls_per_op": {"package_metadata": 0}}, r"unknown category or function 'package_metadata' "
                                                     r"\(did you mean package-metadata\?\)"),
    ({"max_calls_per_op": {"importlib.metadata.versoin": 0}}, r"did you mean importlib.metadata.version\?"),
    ({"max_calls_per_op": ["package-metadata"]}, r"max_calls_per_op must map a category or function"),
    ({"max_calls_per_op": {"package-metadata": -1}}, r"must be zero or more, got -1"),
    ({"max_cpu_ratio": -1}, r"max_cpu_ratio must be a positive number, got -1"),
    ({"max_cpu_ratio": 0}, r"max_cpu_ratio must be a positive number, got 0"),
    ({"max_cpu_ratio": float("nan")}, r"must be a positive number, got nan"),
    ({"max_cpu_us_per_op": float("inf")}, r"must be a positive number, got inf"),
    ({"max_cpu_ratio": "2"}, r"max_cpu_ratio must be a number, got str '2'"),
    ({"max_cpu_ratio": True}, r"max_cpu_ratio must be a number, got bool"),
]


@pytest.mark.parametrize("values, message", BAD, ids=[str(v) for v, _ in BAD])
def test_every_bad_budget_is_a_usage_error_that_says_why(values, message):
    with pytest.raises(UsageError, match=message) as raised:
        Budget.from_mapping(values)
    assert raised.value.exit_code == 2 and "\n" not in str(raised.value)


def test_good_budgets_are_kept_as_given():
    budget = Budget.from_mapping({"forbid_rules": ("oa102",), "max_calls_per_op": {"package-metadata": 0,
                                  "importlib.metadata.version": 1}, "max_cpu_ratio": 2})
    assert budget.forbid_rules == ("OA102",) and budget.limits == {"max_cpu_ratio": 2.0}
    assert budget.max_calls_per_op == {"package-metadata": 0.0, "importlib.metadata.version": 1.0}


def test_a_forbidden_rule_fails_on_its_finding():
    finding = Finding(rule="OA102", title="obtains a tracer per operation", call_site=None, target=None,
                      distribution=None, version=None, calls_per_op=None, suggestion="")
    result = replace(_result(Estimate(1, 1, 1)), findings=(finding,))
    [verdict] = check(result, Budget.from_mapping({"forbid_rules": ["OA102"]}))
    assert verdict.outcome == "fail" and "[OA102]" in verdict.message


def test_the_rule_registry_holds_every_rule_id_the_package_can_emit():
    import pathlib
    import re

    import otelaudit

    root = pathlib.Path(otelaudit.__file__).parent
    emitted = {m for p in root.rglob("*.py") for m in re.findall(r"[\"'](OA\d{3})[\"']", p.read_text())}
    assert emitted and emitted <= set(rule_ids())


@pytest.mark.parametrize("specs, message", [
    (["max_cpu_ratio=abc"], r"'abc' is not a number"),
    (["max_cpu_ratio=nan"], r"--fail-on: max_cpu_ratio must be a positive number"),
    (["forbid_rules=OA101,OA1O2"], r"did you mean OA102\?"),
    (["max_calls_per_op:package_metadata=0"], r"did you mean package-metadata\?"),
    (["max_cpu_ration=2"], r"did you mean max_cpu_ratio\?"),
])
def test_fail_on_specs_are_checked_the_same_way(specs, message):
    with pytest.raises(UsageError, match=message):
        parse_cli(specs)
