"""The LlamaIndex RAG workload, shared by the scenarios of its instrumentations so they are
measured on the same queries: an in-memory vector index over a shop's documents, built once
with `OpenAIEmbedding`, queried through its query engine with an `OpenAI` LLM, both pointed
at the loopback fake API. Offline by construction: the tokenizer encodings and NLTK data
LlamaIndex would otherwise download ship inside llama-index-core and are used from there."""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, List, cast

from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Workload
from otelaudit.scenarios.genai import CHAT_MODEL, CLIENT_TIMEOUT_S, EMBEDDING_MODEL, SYSTEM, user_turn

if TYPE_CHECKING:
    from llama_index.core.base.response.schema import AsyncStreamingResponse, Response

TOP_K = 3
KNOWLEDGE_BASE = (
    "Orders placed before 14:00 on a working day leave the warehouse the same day.",
    "Standard delivery takes two to four working days within the EU and costs 4.90 EUR.",
    "Express delivery arrives the next working day when ordered before 11:00 and costs 12 EUR.",
    "Tracking numbers starting with ZX belong to our courier; the tracking page updates every evening.",
    "A tracking page that has not changed for three working days means the parcel is being traced.",
    "Customers can return any item within 30 days of delivery, except personalised items.",
    "Refunds are processed within five working days after the returned parcel is received.",
    "Refunds above 200 EUR are reviewed by a team lead before they are paid out.",
    "Lost parcels are refunded or re-sent once the courier confirms the loss, within ten working days.",
    "Gift wrapping is available for all items except furniture and large appliances.",
    "Furniture is delivered by a freight partner who calls the day before to agree a two-hour slot.",
    "Large appliances include free removal of the old appliance when requested at checkout.",
    "Orders can be cancelled free of charge until they leave the warehouse.",
    "An order's delivery address cannot be changed once the parcel has been handed to the courier.",
    "Payment by invoice is available to customers with three completed orders and no open reminders.",
    "Vouchers cannot be combined, and a voucher's remaining value stays on the customer account.",
    "Damaged items must be reported with a photo within 48 hours of delivery.",
    "The support team answers from 8:00 to 20:00 on working days and from 10:00 to 16:00 on Saturdays.",
    "Customers in Switzerland and Norway pay import duties, which are shown before the order is placed.",
    "Price drops within 14 days of an order are refunded as a voucher on request.",
)


def bundled_tiktoken_cache() -> str:
    """The encodings llama-index-core ships: the LLM's own tokenizer would fetch them from the
    internet into tiktoken's default cache, which LlamaIndex points here only for its global one."""
    import llama_index.core

    return os.path.join(os.path.dirname(os.path.abspath(llama_index.core.__file__)), "_static", "tiktoken_cache")


class LlamaIndexWorkload(Workload):
    """One operation: one customer question through a RAG query engine (`aquery`: the question
    is embedded, the top three documents retrieved, and the LLM synthesises an answer), and the
    same question through the streaming query engine, consumed to the end (120 tokens). The
    index (20 documents, embedded by the fake API) and both engines are built once in
    `setup()`, as an app builds them at start-up."""

    async def setup(self) -> None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", bundled_tiktoken_cache())
        import httpx
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.query_engine import RetrieverQueryEngine
        from llama_index.embeddings.openai import OpenAIEmbedding
        from llama_index.llms.openai import OpenAI

        base = self.context.url("llm", "/v1")
        self.http = httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S)
        self.sync_http = httpx.Client(timeout=CLIENT_TIMEOUT_S)  # the index is built with the sync client
        embed_model = OpenAIEmbedding(model=EMBEDDING_MODEL, api_key="sk-otelaudit-dummy", api_base=base,
                                      max_retries=0, timeout=CLIENT_TIMEOUT_S, http_client=self.sync_http,
                                      async_http_client=self.http)
        llm = OpenAI(model=CHAT_MODEL, api_key="sk-otelaudit-dummy", api_base=base, temperature=0.2, max_tokens=256,
                     max_retries=0, timeout=CLIENT_TIMEOUT_S, system_prompt=SYSTEM, async_http_client=self.http)
        documents = [Document(text=text, metadata={"source": f"faq-{i:02d}"}) for i, text in enumerate(KNOWLEDGE_BASE)]
        index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
        # What `index.as_query_engine(llm=llm)` builds, without its check of whether `llm` is a
        # LangChain model, which imports langchain_core (3 s) wherever it is installed.
        retriever = index.as_retriever(similarity_top_k=TOP_K)
        self.engine = RetrieverQueryEngine.from_args(retriever, llm=llm)
        self.streaming_engine = RetrieverQueryEngine.from_args(retriever, llm=llm, streaming=True)
        self.counter = itertools.count()

    async def operation(self) -> None:
        question = user_turn(next(self.counter))
        answer = cast("Response", await self.engine.aquery(question))
        if not answer.response or len(answer.source_nodes) != TOP_K:
            raise RuntimeError("empty answer or wrong number of retrieved documents")
        stream = cast("AsyncStreamingResponse", await self.streaming_engine.aquery(question))
        parts: List[str] = [part async for part in stream.async_response_gen()]
        if not "".join(parts):
            raise RuntimeError("empty streamed answer")

    async def teardown(self) -> None:
        await self.http.aclose()
        self.sync_http.close()


def llamaindex_scenario(module: str, instrumentor: str, distribution: str, expects: Telemetry) -> Scenario:
    """A scenario of LlamaIndex, bound to one of its instrumentations (they register different
    entry-point names, `llama_index` and `llama-index`). Its library is
    `llama_index.llms.openai`, the integration the query engine calls: measuring children
    forked from a zygote that imported it skip seconds of imports (llama_index.core, openai)."""
    return Scenario(LlamaIndexWorkload, expects, module=module, instrumentor=instrumentor,
                    instrumentor_distribution=distribution, library="llama_index.llms.openai",
                    distribution="llama-index-llms-openai", supported_versions=">=0.6,<1", servers=("llm",))
