"""The corpus of benchmarks/realworld.py: real release pairs of instrumentation packages,
one release with a known per-operation or import-time cost and the release without it.
Every `bad_site` and `good_site` was read in the released wheels (file:line); a pair is
listed only once its sites were seen there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Pair:
    """A release with the cost (`bad`) and the release without it (`good`). `pins` are installed
    in both venvs so only the release differs where it can; `bad_pins`/`good_pins` hold what
    each release's own requirements force (its era's API and SDK)."""

    name: str
    distribution: str
    bad: str
    good: str
    target: str  # what `otelaudit scan` is given: an entry-point or distribution name
    rule: str
    category: str
    file_suffix: str  # of the responsible call site otelaudit must name
    function: str
    bad_site: str  # read in the bad release's wheel
    good_site: str  # what the good release does instead
    reference: str
    pins: Tuple[str, ...] = ()
    bad_pins: Tuple[str, ...] = ()
    good_pins: Tuple[str, ...] = ()
    command: str = "scan"  # or "coldstart", for a cost paid while importing or in instrument()
    options: Tuple[str, ...] = ()  # more CLI options
    quick: bool = True  # False for a memory pair: --quick skips the memory-growth child

    def requirements(self, version: str) -> Tuple[str, ...]:
        own = self.bad_pins if version == self.bad else self.good_pins
        return (f"{self.distribution}=={version}", *self.pins, *own)


# The genai instrumentations of early 2025 against the API, SDK and clients of their time.
_GENAI_2025 = ("openai==1.61.1", "opentelemetry-api==1.30.0", "opentelemetry-sdk==1.30.0",
               "opentelemetry-instrumentation==0.51b0", "opentelemetry-semantic-conventions==0.51b0")
# Against the fake API a quick openai scan's children need more than the default 120 s on a busy
# machine, and the releases with a per-chunk metadata read are ~20x slower per streamed completion.
_SLOW = ("--timeout", "900")
_GENAI_2026 = ("openai==3.57.0", "opentelemetry-api==1.45.1", "opentelemetry-sdk==1.45.1",
               "opentelemetry-instrumentation==0.66b1", "opentelemetry-semantic-conventions==0.66b1")

# LangChain and OpenLLMetry's langchain instrumentation of mid-2025 (0.43.1 and 0.44.0 both require
# opentelemetry-semantic-conventions-ai 0.4.11), with the API, SDK and clients of their time.
_LANGCHAIN_2025 = ("langchain-core==0.3.72", "langchain-openai==0.3.28", "openai==1.97.1",
                   "opentelemetry-api==1.36.0", "opentelemetry-sdk==1.36.0", "opentelemetry-instrumentation==0.57b0",
                   "opentelemetry-semantic-conventions==0.57b0")

PAIRS: Tuple[Pair, ...] = (
    Pair("openllmetry-openai-version", "opentelemetry-instrumentation-openai", "0.37.1", "0.38.0",
         target="opentelemetry-instrumentation-openai", rule="OA101", category="package-metadata",
         file_suffix="opentelemetry/instrumentation/openai/utils.py", function="is_openai_v1",
         bad_site="utils.py:14 `return version(\"openai\") >= \"1.0.0\"` inside is_openai_v1(), called on every "
                  "request",
         good_site="utils.py:12 `_OPENAI_VERSION = version(\"openai\")`, read once at import",
         reference="https://github.com/traceloop/openllmetry/issues/2547", pins=_GENAI_2025, options=_SLOW),
    Pair("openllmetry-openai-pydantic-version", "opentelemetry-instrumentation-openai", "0.37.1", "0.38.0",
         target="opentelemetry-instrumentation-openai", rule="OA101", category="package-metadata",
         file_suffix="opentelemetry/instrumentation/openai/shared/__init__.py", function="model_as_dict",
         bad_site="shared/__init__.py:238 `if version(\"pydantic\") < \"2.0.0\"` in model_as_dict(), called for the "
                  "response (chat_wrappers.py:265, embeddings_wrappers.py:182) and for every streamed chunk "
                  "(chat_wrappers.py:826)",
         good_site="shared/__init__.py:26 `_PYDANTIC_VERSION = version(\"pydantic\")`, read once at import",
         reference="https://github.com/traceloop/openllmetry/issues/2547", pins=_GENAI_2025, options=_SLOW),
    Pair("openllmetry-openai-deepcopy", "opentelemetry-instrumentation-openai", "0.54.0", "0.55.0",
         target="opentelemetry-instrumentation-openai", rule="OA105", category="deep-copy",
         file_suffix="opentelemetry/instrumentation/openai/shared/chat_wrappers.py", function="_set_prompts",
         bad_site="shared/chat_wrappers.py:452 `content = copy.deepcopy(msg.get(\"content\"))` for every message of "
                  "every chat request in _set_prompts() (content is recorded by default)",
         good_site="shared/chat_wrappers.py:467: deep-copies only base64 image items, in _preprocess_base64_images()",
         reference="no upstream report found: removed in 0.55.0's move to gen_ai.input.messages (found by diffing "
                   "the two wheels)", pins=_GENAI_2026, options=_SLOW),
    Pair("asgi-custom-headers-env", "opentelemetry-instrumentation-fastapi", "0.43b0", "0.44b0",
         target="opentelemetry-instrumentation-fastapi", rule="OA107", category="environment-read",
         file_suffix="opentelemetry/util/http/__init__.py", function="get_custom_headers",
         bad_site="asgi/__init__.py:341, :354, :367, :380: collect_custom_{request,response}_headers_attributes() "
                  "(called from OpenTelemetryMiddleware.__call__ at :586 and :688) call get_custom_headers() for "
                  "three OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* variables; util/http/__init__.py:220 "
                  "`environ.get(env_var, [])`, on every server request",
         good_site="asgi/__init__.py:525-543 reads the three variables once, in OpenTelemetryMiddleware.__init__",
         reference="https://github.com/open-telemetry/opentelemetry-python-contrib/pull/2026",
         pins=("fastapi==0.103.2", "setuptools<70"),
         bad_pins=("opentelemetry-api==1.22.0", "opentelemetry-sdk==1.22.0"),
         good_pins=("opentelemetry-api==1.23.0", "opentelemetry-sdk==1.23.0")),
    Pair("aiohttp-server-instruments-per-request", "opentelemetry-instrumentation-aiohttp-server", "0.60b0", "0.61b0",
         target="opentelemetry-instrumentation-aiohttp-server", rule="OA103", category="instrument-creation",
         file_suffix="opentelemetry/instrumentation/aiohttp_server/__init__.py", function="middleware",
         bad_site="aiohttp_server/__init__.py:406 `duration_histogram = meter.create_histogram(...)` and :412 "
                  "`active_requests_counter = meter.create_up_down_counter(...)` inside middleware(), on every server "
                  "request (the SDK logs 'has been created already' each time)",
         good_site="aiohttp_server/__init__.py:596-620: the instruments are created once, in "
                   "AioHttpServerInstrumentor._instrument()",
         reference="https://github.com/open-telemetry/opentelemetry-python-contrib/issues/2168",
         pins=("aiohttp==3.12.15",),
         bad_pins=("opentelemetry-api==1.39.0", "opentelemetry-sdk==1.39.0"),
         good_pins=("opentelemetry-api==1.40.0", "opentelemetry-sdk==1.40.0")),
    # A cost introduced, not fixed: the release without it (`good`) is the older one.
    Pair("aiohttp-server-header-env-introduced", "opentelemetry-instrumentation-aiohttp-server", "0.60b0", "0.59b0",
         target="opentelemetry-instrumentation-aiohttp-server", rule="OA107", category="environment-read",
         file_suffix="opentelemetry/util/http/__init__.py", function="get_custom_headers",
         bad_site="aiohttp_server/__init__.py:313, :320, :331, :338: collect_{request,response}_headers_attributes() "
                  "(called from middleware() at :424 and :436 whenever the span records) call get_custom_headers() "
                  "for three OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* variables, four environment reads per "
                  "server request",
         good_site="0.59b0 has no header capture: aiohttp_server/__init__.py never calls get_custom_headers()",
         reference="https://github.com/open-telemetry/opentelemetry-python-contrib/pull/3916",
         pins=("aiohttp==3.12.15",),
         bad_pins=("opentelemetry-api==1.39.0", "opentelemetry-sdk==1.39.0"),
         good_pins=("opentelemetry-api==1.38.0", "opentelemetry-sdk==1.38.0")),
    Pair("contrib-pkg-resources-import", "opentelemetry-instrumentation-sqlite3", "0.48b0", "0.49b0",
         target="opentelemetry-instrumentation-sqlite3", rule="OA202", category="package-metadata",
         file_suffix="opentelemetry/instrumentation/dependencies.py", function="<module>",
         bad_site="opentelemetry-instrumentation 0.48b0, instrumentation/dependencies.py:4 `from pkg_resources import "
                  "(...)` at module level (pkg_resources indexes every installed distribution when imported); "
                  "imported by instrumentor.py, so by every instrumentation",
         good_site="opentelemetry-instrumentation 0.49b0, dependencies.py:22 uses opentelemetry.util._importlib_metadata",
         reference="https://github.com/open-telemetry/opentelemetry-python-contrib/issues/1970",
         pins=("setuptools<70",), bad_pins=("opentelemetry-api==1.27.0", "opentelemetry-sdk==1.27.0"),
         good_pins=("opentelemetry-api==1.28.0", "opentelemetry-sdk==1.28.0"), command="coldstart"),
    # A cost introduced, not fixed (found by otelaudit's own scan of the current release): `good` is older.
    Pair("tornado-route-signature-introduced", "opentelemetry-instrumentation-tornado", "0.63b0", "0.62b0",
         target="opentelemetry-instrumentation-tornado", rule="OA110", category="code-introspection",
         file_suffix="opentelemetry/instrumentation/tornado/_utils.py", function="route_from_rule",
         bad_site="tornado/_utils.py:84 `inspect.signature(method).parameters` inside route_from_rule(), called from "
                  "__init__.py:738 and :961 (span name and metric attributes) on every server request with the "
                  "request's new handler's bound method, to name the route's parameters",
         good_site="0.62b0 has no route_from_rule(): the span is named from the request path, no signature is read",
         reference="https://github.com/open-telemetry/opentelemetry-python-contrib/pull/4577",
         pins=("tornado==6.6.1",),
         bad_pins=("opentelemetry-api==1.42.0", "opentelemetry-sdk==1.42.0"),
         good_pins=("opentelemetry-api==1.41.0", "opentelemetry-sdk==1.41.0")),
    # A memory leak: scanned without --quick (which skips the memory-growth child), at the quick sizes.
    Pair("openllmetry-langchain-spans-dict", "opentelemetry-instrumentation-langchain", "0.43.1", "0.44.0",
         target="opentelemetry-instrumentation-langchain", rule="OA112", category="retained-memory",
         file_suffix="opentelemetry/instrumentation/langchain/callback_handler.py", function="_create_span",
         bad_site="callback_handler.py:240 `self.spans[run_id] = SpanHolder(span, token, None, [], workflow_name, "
                  "entity_name, entity_path)` in _create_span() for every run (chain, prompt, model, parser) of "
                  "every request; _end_span() (:189-194) ends the span but never removes the entry, so "
                  "TraceloopCallbackHandler.spans (:164), one handler for the process, keeps every finished span "
                  "with its prompts and completions",
         good_site="callback_handler.py:190 `del self.spans[run_id]` at the end of _end_span()",
         reference="https://github.com/traceloop/openllmetry/issues/2790",
         pins=_LANGCHAIN_2025, options=("--rounds", "5", "--seconds-per-run", "0.1", *_SLOW), quick=False),
)
