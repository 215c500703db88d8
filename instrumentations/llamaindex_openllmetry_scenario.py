"""llama_index, instrumented by OpenLLMetry's `opentelemetry-instrumentation-llamaindex` (Traceloop).

The traffic of the `llamaindex_openinference` scenario
(`otelaudit.scenarios.llamaindex.LlamaIndexWorkload`: per operation one customer question
through a RAG query engine over an in-memory vector index of 20 documents, answered once
with `aquery` and once streamed, 120 tokens, against the loopback fake API, concurrency 8),
so the two instrumentations of LlamaIndex compare directly. Its defaults stay as they are
(prompts and completions recorded on spans). Expects per operation 20 spans (10 per query:
a workflow span for the query engine and task spans for its query, the retriever's two,
the query embedding's two, the response synthesiser's two and two text splits) and no
metrics. It makes no span for the OpenAI LLM's calls: by design it leaves them to
`opentelemetry-instrumentation-openai`, which is measured by its own scenario.
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.llamaindex import llamaindex_scenario

SCENARIO = llamaindex_scenario(__name__, "llama-index", "opentelemetry-instrumentation-llamaindex",
                               Telemetry(spans=20))
