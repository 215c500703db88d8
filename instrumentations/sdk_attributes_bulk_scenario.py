"""sdk_attributes_bulk: a span per operation with 32 attributes given in bulk.

A scenario of the SDK itself (see sdk_attributes): each operation starts a span with 16
attributes passed to `start_span(attributes=…)`, adds 16 more with one `set_attributes`
call, and ends it, the attribute dictionaries built fresh every operation (values change
each time). Where sdk_attributes multiplies per-call costs, this one shows the bulk path
(copying, bounded-dict construction, validation of each value). Expects one span per
operation.
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import API, SDK, sdk_version

HALF = 16


class BulkAttributesWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import trace

        self.tracer = trace.get_tracer("otelaudit.scenarios.sdk.attributes_bulk")
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        first = {f"app.start_{i}": (f"v{n}-{i}" if i % 2 else n + i) for i in range(HALF)}
        later = {f"app.later_{i}": (n * 0.25 if i % 2 else f"w{n}-{i}") for i in range(HALF)}
        span = self.tracer.start_span("handle", attributes=first)
        span.set_attributes(later)
        span.end()


SCENARIO = Scenario(BulkAttributesWorkload, expects=Telemetry(spans=1), library="opentelemetry.trace",
                    instrumentor_distribution=SDK, distribution=API, library_version=sdk_version)
