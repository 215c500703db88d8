"""A quick coverage scan of the LlamaIndex scenarios (a RAG query engine under OpenInference's
and OpenLLMetry's instrumentations) against the fake LLM API: each distribution must be
matched to the scenario bound to it and measure the telemetry its operation should make.
Rounds, timed phases, probes and arms are cut to the minimum (this checks coverage, not
figures). llama-index-core and both instrumentations need Python 3.10+ (pyproject's genai extra)."""

import sys

import pytest

from otelaudit.pipeline import ScanOptions, scan

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="llama-index-core needs Python 3.10+")

SCENARIOS = {"openinference-instrumentation-llama-index": "llamaindex_openinference",
             "opentelemetry-instrumentation-llamaindex": "llamaindex_openllmetry"}
ALL_RULES = tuple(f"OA1{n:02d}" for n in range(1, 17)) + ("OA199",)  # no findings: no what-if rounds


@pytest.fixture(scope="module")
def report():
    options = ScanOptions(targets=tuple(SCENARIOS), rounds=1, seconds_per_run=0.02, calibrate_s=0.02, memory_ops=2,
                          probe_ops=2, profile_rounds=0, ignore_rules=ALL_RULES, seed=1, arms=("baseline", "sdk"),
                          jobs=2,  # the two scenarios side by side: each child spends seconds importing and indexing
                          scenario_budget_s=1.0)  # the cheapest plan: no memory-growth child, no control arm
    return scan(options)


@pytest.mark.scan
def test_each_llamaindex_instrumentation_is_measured_by_its_own_scenario_with_valid_telemetry(report):
    by_distribution = {r.distribution: r for r in report.results}
    assert {d: r.scenario for d, r in by_distribution.items()} == SCENARIOS
    for result in report.results:
        assert result.status == "ok", f"{result.distribution}: {result.failure}"
        assert result.expected_per_op is not None and result.telemetry_per_op is not None
        assert result.expected_per_op.spans > 0
        assert result.telemetry_per_op.spans == pytest.approx(result.expected_per_op.spans, rel=0.05)
        assert result.telemetry_per_op.metric_measurements == pytest.approx(
            result.expected_per_op.metric_measurements, rel=0.05)
