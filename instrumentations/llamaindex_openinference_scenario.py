"""llama_index, instrumented by OpenInference's `openinference-instrumentation-llama-index` (Arize).

Each operation is one customer question to a RAG app (`otelaudit.scenarios.llamaindex.
LlamaIndexWorkload`): an in-memory `VectorStoreIndex` over 20 documents, built once with
`OpenAIEmbedding`, queried with `aquery` through its query engine (the question embedded,
the top three documents retrieved, an `OpenAI` LLM synthesising the answer) and once through
its streaming query engine (120 tokens), against the loopback fake API, concurrency 8. The
instrumentation listens to LlamaIndex's own dispatcher; its defaults stay as they are
(inputs and outputs recorded on spans). Expects per operation 26 spans (13 per query: two
for the query engine, two for the retriever, two for the query's embedding, three for the
response synthesiser, two text splits, and two for the LLM call) and no metrics (it records
none).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.llamaindex import llamaindex_scenario

SCENARIO = llamaindex_scenario(__name__, "llama_index", "openinference-instrumentation-llama-index",
                               Telemetry(spans=26))
