"""agents (the OpenAI Agents SDK), instrumented by OpenInference's
`openinference-instrumentation-openai-agents` (Arize).

Each operation is a customer's question to an app's support agent
(`otelaudit.scenarios.agents.AgentsWorkload`): an `Agent` with the shop's instructions and
one function tool, on an `OpenAIResponsesModel` over one `AsyncOpenAI` against the loopback
fake API, run with `Runner.run`, concurrency 8. A run is two Responses API calls: the first
answers with a call of the tool, the SDK runs it, the second answers with the final text.
The instrumentation replaces the SDK's trace processors by its own (its default); the SDK's
api.openai.com exporter is removed in every arm. Its defaults stay as they are (inputs and
outputs recorded on spans). Expects per operation eight spans (the trace, its workflow
task, the agent, two turns, two model responses and the tool call) and no metrics (it
records none).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.agents import agents_scenario

SCENARIO = agents_scenario(__name__, "openinference-instrumentation-openai-agents", Telemetry(spans=8))
