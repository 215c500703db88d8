"""CI's quick scan of the GenAI and data scenarios against the fake LLM API and real
redis-server and PostgreSQL processes: every one must measure valid telemetry. Rounds,
timed phases and probes are cut to the minimum (this checks coverage, not figures)."""

import shutil
import sys

import pytest

from otelaudit.pipeline import ScanOptions, scan
from otelaudit.servers.running import unavailable

GENAI = ("opentelemetry-instrumentation-openai-v2", "opentelemetry-instrumentation-openai",
         "opentelemetry-instrumentation-anthropic")  # their releases need Python 3.10+ (see pyproject's genai extra)
TARGETS = (GENAI if sys.version_info >= (3, 10) else ()) + ("sqlalchemy", "jinja2", "redis", "psycopg")
ALL_RULES = tuple(f"OA1{n:02d}" for n in range(1, 12)) + ("OA199",)  # no findings: no what-if rounds


@pytest.mark.scan
def test_genai_and_data_scenarios_measure_valid_telemetry():
    missing = [reason for reason in (unavailable("redis"), unavailable("postgres")) if reason]
    if missing and shutil.which("apt-get") is None:
        pytest.skip("; ".join(missing))
    options = ScanOptions(targets=TARGETS, rounds=1, seconds_per_run=0.02, calibrate_s=0.02, memory_ops=2,
                          probe_ops=2, profile_rounds=0, ignore_rules=ALL_RULES, seed=1,
                          scenario_budget_s=1.0)  # the cheapest plan: no memory-growth child, no control arm
    report = scan(options)
    by_distribution = {r.distribution: r for r in report.results}
    assert len(report.results) == len(TARGETS), [r.instrumentor for r in report.results]
    for result in report.results:
        assert result.status == "ok", f"{result.distribution}: {result.failure}"
        assert result.expected_per_op is not None and result.telemetry_per_op is not None
        assert result.telemetry_per_op.spans == pytest.approx(result.expected_per_op.spans, rel=0.05)
        assert result.telemetry_per_op.metric_measurements == pytest.approx(
            result.expected_per_op.metric_measurements, rel=0.05)
    if GENAI[0] not in TARGETS:
        return
    # Both openai instrumentations, each measured by the scenario bound to its distribution.
    assert by_distribution["opentelemetry-instrumentation-openai-v2"].scenario == "openai_v2"
    assert by_distribution["opentelemetry-instrumentation-openai"].scenario == "openai_openllmetry"
