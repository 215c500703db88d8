"""openai, instrumented by the OpenTelemetry contrib `opentelemetry-instrumentation-openai-v2`.

Each operation sends, through one shared `openai.AsyncOpenAI` pointed at the loopback
fake API (`_llm_server`, its own process): a chat completion (system prompt, a user turn
that varies per request, temperature, max_tokens, user), the same request with
`stream=True` (server-sent events, 120 content chunks plus usage, ending
`data: [DONE]`, consumed chunk by chunk), and an embeddings call for three documents
(1536 dimensions each). Concurrency 8, as a service handling several conversations.
Message content capture stays off (the default). Expects per operation three spans (one
per call) and the GenAI client metrics: `gen_ai.client.operation.duration` per call and
`gen_ai.client.token.usage` for input and output tokens of each chat call and input
tokens of the embeddings call.
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.genai import openai_scenario

SCENARIO = openai_scenario(__name__, "opentelemetry-instrumentation-openai-v2",
                           Telemetry(spans=3, metric_measurements=8))
