"""The traffic the GenAI client scenarios send to the fake API (`_llm_server`), shared by
the scenarios of different instrumentations of one client so they are measured on the
same requests: a chat prompt with a system message and a user turn that varies per
operation, request parameters an application sets, and an embeddings batch."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Dict, List

from otelaudit.model import Telemetry
from otelaudit.scenarios import payload
from otelaudit.scenarios.api import Scenario, Workload

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
ANTHROPIC_MODEL = "claude-3-5-haiku-20241022"
SYSTEM = ("You are a support assistant for an online shop. Answer in at most three sentences, cite the order "
          "number when the customer gives one, never invent delivery dates, and escalate refunds above 200 EUR.")
DOCUMENTS = ["Order 1042 was shipped on Monday with tracking number ZX-88213.",
             "Refunds are processed within five working days after the parcel is received.",
             "Gift wrapping is available for all items except furniture and large appliances."]


def user_turn(n: int) -> str:
    return (f"Hello, this is customer {n % 997}. My order {1000 + n % 500} has not arrived yet and the tracking page "
            "has not changed for three days. Can you tell me what is going on and whether I can get a refund?")


def chat_messages(n: int) -> List[Dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user_turn(n)}]


# The measuring child's --timeout is the limit; a shorter client one turned heavy-but-working releases'
# requests under the call-count probe (which slows every call) into APITimeoutError.
CLIENT_TIMEOUT_S = 600.0

class OpenAIWorkload(Workload):
    """One operation: a chat completion, the same request streamed (120 chunks, usage in the
    last one), and an embeddings call for three documents, through one `AsyncOpenAI`.
    In the scaling run the user turn carries a pasted note of up to 16 KB."""

    sizes = (0, 16384)

    async def setup(self) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=self.context.url("llm", "/v1"), api_key="sk-otelaudit-dummy",
                                         max_retries=0, timeout=CLIENT_TIMEOUT_S)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        messages = chat_messages(n)
        if self.size:
            messages[-1]["content"] += " " + payload.text(self.size)
        params: Dict[str, Any] = dict(model=CHAT_MODEL, messages=messages, temperature=0.2, max_tokens=256,
                                      user=f"customer-{n % 997}")
        completion = await self.client.chat.completions.create(**params)
        if not completion.choices[0].message.content:
            raise RuntimeError("empty chat completion")
        stream = await self.client.chat.completions.create(**params, stream=True,
                                                           stream_options={"include_usage": True})
        parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
        if not "".join(parts):
            raise RuntimeError("empty streamed chat completion")
        embedded = await self.client.embeddings.create(model=EMBEDDING_MODEL, input=DOCUMENTS)
        if len(embedded.data) != len(DOCUMENTS):
            raise RuntimeError("wrong number of embeddings")

    async def teardown(self) -> None:
        await self.client.close()


class AnthropicWorkload(Workload):
    """One operation: a message, and the same request streamed (120 text deltas)."""

    async def setup(self) -> None:
        import inspect

        import anthropic

        options: Dict[str, Any] = {}
        if "open_telemetry" in inspect.signature(anthropic.AsyncAnthropic.__init__).parameters:
            # Clients from 2.x trace their own calls once an SDK is installed: off, so only the
            # instrumentation under audit is measured.
            options["open_telemetry"] = {"traces": {"enabled": False}}
        self.client = anthropic.AsyncAnthropic(base_url=self.context.url("llm", ""), api_key="sk-ant-otelaudit-dummy",
                                               max_retries=0, timeout=CLIENT_TIMEOUT_S, **options)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        params: Dict[str, Any] = dict(model=ANTHROPIC_MODEL, system=SYSTEM, max_tokens=256,
                                      messages=[{"role": "user", "content": user_turn(n)}],
                                      metadata={"user_id": f"customer-{n % 997}"})
        message = await self.client.messages.create(**params)
        if not message.content[0].text:
            raise RuntimeError("empty message")
        stream = await self.client.messages.create(**params, stream=True)
        parts = [event.delta.text async for event in stream if event.type == "content_block_delta"]
        if not "".join(parts):
            raise RuntimeError("empty streamed message")

    async def teardown(self) -> None:
        await self.client.close()


class LangChainWorkload(Workload):
    """One operation: one request to an app's chain (prompt template with the shop's system
    prompt and retrieved documents, `ChatOpenAI`, string output parser), invoked once and
    once streamed (120 tokens), as a service answers a chat turn. The chain and its model
    are built once in `setup()`, as an app builds them at start-up."""

    async def setup(self) -> None:
        import httpx
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_openai import ChatOpenAI

        self.http = httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S)
        settings: Dict[str, Any] = dict(model=CHAT_MODEL, base_url=self.context.url("llm", "/v1"),
                                        api_key="sk-otelaudit-dummy", temperature=0.2, max_tokens=256, max_retries=0,
                                        timeout=CLIENT_TIMEOUT_S, stream_usage=True, http_async_client=self.http)
        model = ChatOpenAI(**settings)
        prompt = ChatPromptTemplate.from_messages([("system", SYSTEM + "\n\nKnown facts:\n{facts}"),
                                                   ("human", "{question}")])
        self.chain = prompt | model | StrOutputParser()
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        request = {"facts": "\n".join(DOCUMENTS), "question": user_turn(n)}
        config: RunnableConfig = {"metadata": {"user_id": f"customer-{n % 997}"}, "tags": ["support"]}
        if not await self.chain.ainvoke(request, config=config):
            raise RuntimeError("empty chain answer")
        parts = [part async for part in self.chain.astream(request, config=config)]
        if not "".join(parts):
            raise RuntimeError("empty streamed chain answer")

    async def teardown(self) -> None:
        await self.http.aclose()


def langchain_scenario(module: str, distribution: str, expects: Telemetry) -> Scenario:
    """A scenario of the `langchain` entry point, bound to one of the distributions registering it.
    Its library is `langchain_openai`, the integration the chain calls: measuring children
    forked from a zygote that imported it skip seconds of imports (it imports langchain_core
    and openai)."""
    return Scenario(LangChainWorkload, expects, module=module, instrumentor="langchain",
                    instrumentor_distribution=distribution, library="langchain_openai",
                    distribution="langchain-openai", supported_versions=">=0.3,<2", servers=("llm",))


def openai_scenario(module: str, distribution: str, expects: Telemetry) -> Scenario:
    """A scenario of the `openai` entry point, defined in `module`, bound to one of the
    distributions registering that entry point."""
    return Scenario(OpenAIWorkload, expects, module=module, instrumentor="openai",
                    instrumentor_distribution=distribution, library="openai", distribution="openai",
                    supported_versions=">=1.26,<4", servers=("llm",))
