"""sdk_attributes: a span per operation with 32 attributes set one by one.

A scenario of the SDK itself (no instrumentation: `compare opentelemetry-sdk==A
opentelemetry-sdk==B` and `scan sdk_attributes` measure the SDK under it): each operation
opens a span with `start_as_current_span` and sets 32 attributes through `set_attribute`,
one call each, with values that change every operation (strings, ints, floats, a bool),
as request handlers annotating their span do. Per-call costs in the span's attribute
path (locks, limits, validation) are multiplied by 32. Without an SDK the API's
non-recording span makes every call a no-op. Expects one span per operation.
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import API, SDK, sdk_version

ATTRIBUTES = 32


class SpanAttributesWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import trace

        self.tracer = trace.get_tracer("otelaudit.scenarios.sdk.attributes")
        self.counter = itertools.count()
        self.keys = [f"app.attribute_{i}" for i in range(ATTRIBUTES)]

    async def operation(self) -> None:
        n = next(self.counter)
        with self.tracer.start_as_current_span("handle") as span:
            for i, key in enumerate(self.keys):
                kind = i % 4
                value = f"value-{n}-{i}" if kind == 0 else n + i if kind == 1 else n * 0.5 if kind == 2 else bool(n & 1)
                span.set_attribute(key, value)


SCENARIO = Scenario(SpanAttributesWorkload, expects=Telemetry(spans=1), library="opentelemetry.trace",
                    instrumentor_distribution=SDK, distribution=API, library_version=sdk_version)
