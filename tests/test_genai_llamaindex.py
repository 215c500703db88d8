"""A quick coverage scan of the LlamaIndex scenarios (a RAG query engine under OpenInference's
and OpenLLMetry's instrumentations) against the fake LLM API: each distribution must be
matched to the scenario bound to it and measure the telemetry its operation should make.
Rounds, timed phases, probes and arms are cut to the minimum (this checks coverage, not
figures). llama-index-core and both instrumentations need Python 3.10+ (pyproject's genai extra)."""

import sys

import pytest

from genai_coverage import assert_each_measured_by_its_own_scenario, coverage_scan

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="llama-index-core needs Python 3.10+")

SCENARIOS = {"openinference-instrumentation-llama-index": "llamaindex_openinference",
             "opentelemetry-instrumentation-llamaindex": "llamaindex_openllmetry"}


@pytest.fixture(scope="module")
def report():
    # the two scenarios side by side: each child spends seconds importing and indexing
    return coverage_scan(SCENARIOS, arms=("baseline", "sdk"), jobs=2)


@pytest.mark.scan
def test_each_llamaindex_instrumentation_is_measured_by_its_own_scenario_with_valid_telemetry(report):
    assert_each_measured_by_its_own_scenario(report, SCENARIOS)
