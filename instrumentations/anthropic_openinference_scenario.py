"""anthropic, instrumented by OpenInference's `openinference-instrumentation-anthropic` (Arize).

It registers the entry point `anthropic`, as OpenLLMetry's instrumentation does; the
scenario is bound to this distribution and drives the traffic of the `anthropic` scenario
(`otelaudit.scenarios.genai.AnthropicWorkload`: per operation a Messages API request and
the same request streamed as 120 text deltas, at concurrency 8, against the loopback fake
API; the client's own tracing off), so the two instrumentations compare directly. Its
defaults stay as they are (inputs and outputs recorded on spans). Expects per operation
two spans (one per request) and no metrics (it records none).
"""

from __future__ import annotations

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.genai import AnthropicWorkload

SCENARIO = Scenario(AnthropicWorkload, expects=Telemetry(spans=2), module=__name__, instrumentor="anthropic",
                    instrumentor_distribution="openinference-instrumentation-anthropic", library="anthropic",
                    distribution="anthropic", supported_versions=">=0.40,<3", servers=("llm",))
