"""anthropic, instrumented by OpenLLMetry's `opentelemetry-instrumentation-anthropic`.

Each operation sends, through one shared `anthropic.AsyncAnthropic` pointed at the
loopback fake API (`_llm_server`, its own process), a Messages API request (system
prompt, a user turn that varies per request, max_tokens, user metadata)
and the same request with `stream=True`, consumed event by event (Anthropic's typed
server-sent events: message_start, content_block_start, ping, 120 content_block_delta,
content_block_stop, message_delta, message_stop). Concurrency 8. The instrumentation's
defaults stay as they are (content recorded on spans); the client's own tracing (2.x
clients emit a span per call once an SDK is installed) is switched off with its
`open_telemetry` option, so only the instrumentation is measured. Expects per operation two spans
(one per request) and the GenAI client metrics it records for each (operation duration,
token usage for input and output, choices, and for the stream the time to first token
and time to generate).
"""

from __future__ import annotations

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.genai import AnthropicWorkload


SCENARIO = Scenario(AnthropicWorkload, expects=Telemetry(spans=2, metric_measurements=8), module=__name__,
                    distribution="anthropic", supported_versions=">=0.40,<3", servers=("llm",))
