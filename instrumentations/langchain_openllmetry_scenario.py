"""langchain, instrumented by OpenLLMetry's `opentelemetry-instrumentation-langchain` (Traceloop).

Each operation is one request to an app's chain
(`otelaudit.scenarios.genai.LangChainWorkload`): a `ChatPromptTemplate` (the shop's system
prompt with three retrieved documents, and the customer's question, varying per request)
piped into `langchain_openai.ChatOpenAI` and a `StrOutputParser`, invoked once with
`ainvoke` and once with `astream` (120 tokens), against the loopback fake API, concurrency
8. The chain and its model are built once, as an app builds them at start-up; the
instrumentation's callback handler sees every run of it. Its defaults stay as they are
(prompts and completions recorded on spans). Expects per operation eight spans (a workflow
span for the chain and a task span for each of its three steps, per invocation) and six
metric measurements (the model call's duration and its input and output token usage, per
invocation).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.genai import langchain_scenario

SCENARIO = langchain_scenario(__name__, "opentelemetry-instrumentation-langchain",
                              Telemetry(spans=8, metric_measurements=6))
