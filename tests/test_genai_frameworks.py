"""A quick coverage scan of the GenAI framework scenarios (LangChain under OpenLLMetry and
OpenInference, OpenInference's openai and anthropic) against the fake LLM API: each must
be matched to the scenario bound to its distribution and measure the telemetry its
operation should make. Rounds, timed phases and probes are cut to the minimum (this
checks coverage, not figures)."""

import sys

import pytest

from genai_coverage import assert_each_measured_by_its_own_scenario, coverage_scan

# distribution -> the scenario bound to it; OpenLLMetry's releases need Python 3.10+ (pyproject's genai extra)
SCENARIOS = {"openinference-instrumentation-langchain": "langchain_openinference",
             "openinference-instrumentation-openai": "openai_openinference",
             "openinference-instrumentation-anthropic": "anthropic_openinference"}
if sys.version_info >= (3, 10):
    SCENARIOS["opentelemetry-instrumentation-langchain"] = "langchain_openllmetry"


@pytest.fixture(scope="module")
def report():
    return coverage_scan(SCENARIOS)


@pytest.mark.scan
def test_each_framework_is_measured_by_its_own_scenario_with_valid_telemetry(report):
    assert_each_measured_by_its_own_scenario(report, SCENARIOS)
