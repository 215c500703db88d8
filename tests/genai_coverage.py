"""The cheap coverage scan the GenAI scenario tests share: each distribution matched to the
scenario bound to it, measuring the telemetry its operation should make. Rounds, timed
phases, probes and plans are cut to the minimum: this checks coverage, not figures."""

from typing import Mapping

import pytest

from otelaudit.model import Report
from otelaudit.pipeline import ScanOptions, scan

ALL_RULES = tuple(f"OA1{n:02d}" for n in range(1, 17)) + ("OA199",)  # no findings: no what-if rounds


def coverage_scan(scenarios: Mapping[str, str], **options: object) -> Report:
    """`scenarios`: distribution -> the scenario bound to it."""
    chosen = dict(targets=tuple(scenarios), rounds=1, seconds_per_run=0.02, calibrate_s=0.02, memory_ops=2,
                  probe_ops=2, profile_rounds=0, ignore_rules=ALL_RULES, seed=1,
                  scenario_budget_s=1.0)  # the cheapest plan: no memory-growth child, no control arm
    chosen.update(options)
    return scan(ScanOptions(**chosen))  # type: ignore[arg-type]


def assert_each_measured_by_its_own_scenario(report: Report, scenarios: Mapping[str, str]) -> None:
    by_distribution = {r.distribution: r for r in report.results}
    assert {d: r.scenario for d, r in by_distribution.items()} == dict(scenarios)
    for result in report.results:
        assert result.status == "ok", f"{result.distribution}: {result.failure}"
        assert result.expected_per_op is not None and result.telemetry_per_op is not None
        assert result.expected_per_op.spans > 0
        assert result.telemetry_per_op.spans == pytest.approx(result.expected_per_op.spans, rel=0.05)
        assert result.telemetry_per_op.metric_measurements == pytest.approx(
            result.expected_per_op.metric_measurements, rel=0.05)
