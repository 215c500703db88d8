"""The traffic of the OpenAI Agents SDK scenarios, shared by the scenarios of its different
instrumentations so they are measured on the same runs: an agent with one function tool
answering a customer, against the fake API's Responses API (`servers.llm_responses`).

The SDK's own tracing stays on (the instrumentations receive its traces and spans through
trace processors), but its default processor, which exports to api.openai.com, is taken
out: a scenario never leaves loopback."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, List

from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Workload
from otelaudit.scenarios.genai import CHAT_MODEL, CLIENT_TIMEOUT_S, SYSTEM, user_turn

if TYPE_CHECKING:
    from agents import Agent
    from agents.tracing import TracingProcessor

ORDERS = {"1042": "shipped on Monday, tracking number ZX-88213, last scan at the Leipzig hub"}


async def get_order_status(order_id: str) -> str:
    """Look up an order's shipping status.

    Args:
        order_id: The order number the customer gave.
    """
    return ORDERS.get(order_id, f"order {order_id} is being prepared for shipping")


def _registered_processors() -> List[TracingProcessor]:
    """The processors registered with the SDK's trace provider. The SDK can add or replace
    them but not list them, so this reads the default provider's list (as instrumentations
    do); a provider it cannot read is an error: the default exporter could not be removed."""
    from agents.tracing import get_trace_provider

    registered = getattr(getattr(get_trace_provider(), "_multi_processor", None), "_processors", None)
    if not isinstance(registered, (tuple, list)):
        raise RuntimeError("cannot read the Agents SDK's trace processors to remove its api.openai.com exporter")
    return list(registered)


def drop_default_exporter() -> None:
    """Removes the SDK's default processor (batching to api.openai.com), keeping any
    processor an instrumentation registered before the workload's setup ran."""
    from agents import set_trace_processors
    from agents.tracing.processors import default_processor

    exporter = default_processor()
    set_trace_processors([p for p in _registered_processors() if p is not exporter])


class AgentsWorkload(Workload):
    """One operation: a customer's question to a support agent with one function tool, one
    `Runner.run`: two model calls (the first answers with a call of the tool, the SDK runs
    it, the second, given its output, answers with the final text). The agent and its client
    are built once in `setup()`, as an app builds them. Not `Runner.run_streamed`: a streamed
    run costs three times the CPU of a run (the openai client validates each of its 126
    events), which would dilute the instrumentations' per-span cost the scenario measures."""

    async def setup(self) -> None:
        import openai
        from agents import Agent, ModelSettings, OpenAIResponsesModel, RunConfig, Runner, function_tool

        drop_default_exporter()
        self.client = openai.AsyncOpenAI(base_url=self.context.url("llm", "/v1"), api_key="sk-otelaudit-dummy",
                                         max_retries=0, timeout=CLIENT_TIMEOUT_S)
        model = OpenAIResponsesModel(model=CHAT_MODEL, openai_client=self.client)
        self.agent: Agent[Any] = Agent(name="Support agent", instructions=SYSTEM, model=model,
                                       model_settings=ModelSettings(temperature=0.2, max_tokens=256),
                                       tools=[function_tool(get_order_status)])
        self.runner, self.run_config = Runner, RunConfig
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        config = self.run_config(workflow_name="support chat", group_id=f"customer-{n % 997}")
        result = await self.runner.run(self.agent, user_turn(n), run_config=config)
        if not result.final_output:
            raise RuntimeError("empty agent answer")

    async def teardown(self) -> None:
        await self.client.close()


def agents_scenario(module: str, distribution: str, expects: Telemetry) -> Scenario:
    """A scenario of the `openai_agents` entry point, bound to one of the distributions
    registering it."""
    return Scenario(AgentsWorkload, expects, module=module, instrumentor="openai_agents",
                    instrumentor_distribution=distribution, library="agents", distribution="openai-agents",
                    supported_versions=">=0.2,<1", servers=("llm",))
