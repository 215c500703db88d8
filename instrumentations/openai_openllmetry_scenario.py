"""openai, instrumented by OpenLLMetry's `opentelemetry-instrumentation-openai` (Traceloop).

Both this and the contrib `opentelemetry-instrumentation-openai-v2` register the entry
point `openai`; the scenario is bound to this distribution and drives the traffic of
the `openai_v2` scenario (`otelaudit.scenarios.genai.OpenAIWorkload`: per operation a
chat completion, the same request streamed as 120 SSE chunks, and an embeddings call,
at concurrency 8, against the loopback fake API), so their figures compare directly.
Its defaults stay as they are (prompt and completion content are recorded on spans).
Expects per operation three spans (one per call) and 15 metric measurements:
`gen_ai.client.operation.duration` per call, `gen_ai.client.token.usage` (input and
output of each chat call, input of the embeddings call), `gen_ai.client.generation.choices`,
the streaming `gen_ai.server.time_to_first_token` and time-to-generate, and the
embeddings vector size.
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.genai import openai_scenario

SCENARIO = openai_scenario(__name__, "opentelemetry-instrumentation-openai",
                           Telemetry(spans=3, metric_measurements=15))
