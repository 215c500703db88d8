"""langchain, instrumented by OpenInference's `openinference-instrumentation-langchain` (Arize).

The traffic of the `langchain_openllmetry` scenario
(`otelaudit.scenarios.genai.LangChainWorkload`: per operation one request to an app's prompt
| ChatOpenAI | StrOutputParser chain, invoked once and once streamed, against the loopback
fake API, concurrency 8), so the two instrumentations of LangChain compare directly. Its
defaults stay as they are (inputs and outputs recorded on spans). Expects per operation
eight spans (the chain and each of its three steps, per invocation) and no metrics (it
records none).
"""

from __future__ import annotations

from otelaudit import Telemetry
from otelaudit.scenarios.genai import langchain_scenario

SCENARIO = langchain_scenario(__name__, "openinference-instrumentation-langchain", Telemetry(spans=8))
