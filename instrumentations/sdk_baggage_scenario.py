"""sdk_baggage: 16 baggage entries set one by one, then copied onto a span.

A scenario of the SDK itself (see sdk_attributes): each operation builds a context with
16 baggage entries through `baggage.set_baggage` (each call makes a new context and a
new baggage mapping), attaches it, opens a span and copies every entry onto it as an
attribute (what a baggage span processor does), then detaches. Copying the baggage on
every set, through a proxy or otherwise, shows as growth in the cost per entry. Expects
one span per operation.
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import API, SDK, sdk_version

ENTRIES = 16


class BaggageWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import baggage, context, trace

        self.baggage, self.otel_context = baggage, context
        self.tracer = trace.get_tracer("otelaudit.scenarios.sdk.baggage")
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        ctx = self.otel_context.get_current()
        for i in range(ENTRIES):
            ctx = self.baggage.set_baggage(f"app.entry_{i}", f"{n}-{i}", context=ctx)
        token = self.otel_context.attach(ctx)
        try:
            with self.tracer.start_as_current_span("handle") as span:
                entries = self.baggage.get_all()
                if len(entries) != ENTRIES:
                    raise RuntimeError(f"{len(entries)} baggage entries arrived of {ENTRIES}")
                span.set_attributes({key: str(value) for key, value in entries.items()})
        finally:
            self.otel_context.detach(token)


SCENARIO = Scenario(BaggageWorkload, expects=Telemetry(spans=1), library="opentelemetry.baggage",
                    instrumentor_distribution=SDK, distribution=API, library_version=sdk_version)
