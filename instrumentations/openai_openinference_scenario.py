"""openai, instrumented by OpenInference's `openinference-instrumentation-openai` (Arize).

It registers the entry point `openai`, as both OpenTelemetry openai instrumentations do;
the scenario is bound to this distribution and drives the traffic of the `openai_v2`
scenario (`otelaudit.scenarios.genai.OpenAIWorkload`: per operation a chat completion,
the same request streamed as 120 SSE chunks, and an embeddings call, at concurrency 8,
against the loopback fake API), so the three instrumentations' figures compare directly.
Its defaults stay as they are (inputs and outputs recorded on spans). Expects per
operation three spans (one per call) and no metrics (it records none).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.genai import openai_scenario

SCENARIO = openai_scenario(__name__, "openinference-instrumentation-openai", Telemetry(spans=3))
