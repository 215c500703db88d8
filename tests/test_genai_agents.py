"""The OpenAI Agents SDK scenarios: a quick coverage scan (each instrumentation matched to
the scenario bound to its distribution, measuring the telemetry its operation should make;
rounds, timed phases and probes cut to the minimum), and the workload never leaving
loopback although the SDK's default trace exporter sends to api.openai.com."""

import json
import subprocess
import sys

import pytest

from genai_coverage import assert_each_measured_by_its_own_scenario, coverage_scan
from otelaudit.servers.running import running_servers

# distribution -> the scenario bound to it; the SDK and both instrumentations need Python 3.10+
SCENARIOS = {"openinference-instrumentation-openai-agents": "openai_agents_openinference",
             "opentelemetry-instrumentation-openai-agents": "openai_agents_openllmetry"}
pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the Agents SDK needs Python 3.10+")

# In a fresh interpreter under OpenLLMetry's instrumentation (which keeps the SDK's processors),
# with an API key the default exporter would use: the hosts one operation reached, then the hosts
# one more reached with the SDK's default processor put back (the bad case the test must see).
CHILD = """
import asyncio, json, sys
hosts = set()
sys.addaudithook(lambda event, args: hosts.add(str(args[0] if event == "socket.getaddrinfo" else args[1][0]))
                 if event in ("socket.getaddrinfo", "socket.connect") else None)
from agents import add_trace_processor
from agents.tracing import get_trace_provider
from agents.tracing.processors import default_exporter, default_processor
from opentelemetry.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from otelaudit.scenarios.agents import AgentsWorkload
from otelaudit.scenarios.api import WorkloadContext
OpenAIAgentsInstrumentor().instrument()
async def main():
    workload = AgentsWorkload(WorkloadContext(1, {"llm": (sys.argv[1], int(sys.argv[2]))}))
    await workload.setup()
    await workload.operation()
    get_trace_provider().force_flush()
    print(json.dumps(sorted(hosts)))
    default_exporter().max_retries = 0  # one attempt shows it; no backoff
    add_trace_processor(default_processor())
    await workload.operation()
    await workload.teardown()
asyncio.run(main())
get_trace_provider().shutdown()
print(json.dumps(sorted(hosts)))
"""


@pytest.fixture(scope="module")
def report():
    return coverage_scan(SCENARIOS)


@pytest.mark.scan
def test_each_agents_instrumentation_is_measured_by_its_own_scenario_with_valid_telemetry(report):
    assert_each_measured_by_its_own_scenario(report, SCENARIOS)


def test_the_workload_stays_on_loopback_only_because_it_drops_the_default_exporter():
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-proj-would-be-exported"}
    with running_servers(["llm"]) as servers:
        host, port = servers["llm"]
        run = subprocess.run([sys.executable, "-c", CHILD, host, str(port)], capture_output=True, text=True,
                             timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    dropped, kept = (json.loads(line) for line in run.stdout.splitlines()[-2:])
    assert dropped == ["127.0.0.1"]
    assert kept == ["127.0.0.1", "api.openai.com"]
