"""agents (the OpenAI Agents SDK), instrumented by OpenLLMetry's
`opentelemetry-instrumentation-openai-agents` (Traceloop).

The traffic of the `openai_agents_openinference` scenario
(`otelaudit.scenarios.agents.AgentsWorkload`: per operation a customer's question to a
support agent with one function tool, one `Runner.run` of two Responses API calls around
one tool call, against the loopback fake API, concurrency 8), so the two instrumentations
of the Agents SDK compare directly. Its processor is added beside the SDK's (its default);
the SDK's api.openai.com exporter is removed in every arm. Its defaults stay as they are
(prompts and completions recorded on spans). Expects per operation five spans (the
workflow, the agent, two model responses and the tool call) and no metrics (this release
creates its histograms but records none).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.agents import agents_scenario

SCENARIO = agents_scenario(__name__, "opentelemetry-instrumentation-openai-agents", Telemetry(spans=5))
