"""openai, instrumented by OpenLLMetry's `opentelemetry-instrumentation-openai` (Traceloop).

Both this and the contrib `opentelemetry-instrumentation-openai-v2` register the entry
point `openai`; the scenario is bound to this distribution and drives the same traffic
as the `openai_v2` scenario, so their figures compare directly.

Each operation sends, through one shared `openai.AsyncOpenAI` pointed at the loopback
fake API (`_llm_server`, its own process): a chat completion (system prompt, a user turn
that varies per request, temperature, max_tokens, user), the same request with
`stream=True` (server-sent events, 120 content chunks plus usage, ending
`data: [DONE]`, consumed chunk by chunk), and an embeddings call for three documents
(1536 dimensions each). Concurrency 8, as a service handling several conversations.
Its defaults stay as they are (prompt and completion content are recorded on spans).
Expects per operation three spans (one per call) and 15 metric measurements:
`gen_ai.client.operation.duration` per call, `gen_ai.client.token.usage` (input and
output of each chat call, input of the embeddings call), `gen_ai.client.generation.choices`,
the streaming `gen_ai.server.time_to_first_token` and time-to-generate, and the
embeddings vector size.
"""

from __future__ import annotations

from otelaudit.genai_workload import OpenAIWorkload
from otelaudit.model import Telemetry
from otelaudit.scenario import Scenario


class OpenLLMetryOpenAIWorkload(OpenAIWorkload):
    pass


SCENARIO = Scenario(
    name="openai_openllmetry",
    instrumentor="openai",
    instrumentor_distribution="opentelemetry-instrumentation-openai",
    library="openai",
    distribution="openai",
    supported_versions=">=1.26,<4",
    workload=OpenLLMetryOpenAIWorkload,
    expects=Telemetry(spans=3, metric_measurements=15),
    description=__doc__ or "",
    concurrency=8,
    servers=("llm",),
)
