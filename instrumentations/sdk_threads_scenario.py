"""sdk_threads: nested `start_as_current_span` and context attach/detach on 4 threads.

A scenario of the SDK itself (see sdk_attributes): each operation runs on the event
loop's thread pool (4 operations at a time, so 4 threads contend for whatever the SDK
locks): it attaches a context carrying an application value, opens a `request` span
with `start_as_current_span`, inside it three child spans one after another (each made
current, so every one attaches and detaches a context), checks under an SDK that each
child belongs to the request's trace, and detaches. A lock taken on every context
operation shows here. Expects four spans per operation.
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import API, SDK, sdk_version

CHILDREN = ("load-user", "load-cart", "render")


class ThreadedSpansWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import context, trace

        self.tracer = trace.get_tracer("otelaudit.scenarios.sdk.threads")
        self.otel_context = context
        self.key = context.create_key("otelaudit.request")
        self.counter = itertools.count()

    def _handle(self, n: int) -> None:
        token = self.otel_context.attach(self.otel_context.set_value(self.key, n))
        try:
            with self.tracer.start_as_current_span("request") as request:
                trace_id = request.get_span_context().trace_id  # 0 without an SDK: nothing to check
                for name in CHILDREN:
                    with self.tracer.start_as_current_span(name) as child:
                        seen = child.get_span_context().trace_id
                        if trace_id and seen != trace_id:
                            raise RuntimeError(f"{name} is not in the request's trace: the context was lost")
                if self.otel_context.get_value(self.key) != n:
                    raise RuntimeError("the attached context value changed under another thread")
        finally:
            self.otel_context.detach(token)

    async def operation(self) -> None:
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, self._handle, next(self.counter))


SCENARIO = Scenario(ThreadedSpansWorkload, expects=Telemetry(spans=4), concurrency=4, library="opentelemetry.context",
                    instrumentor_distribution=SDK, distribution=API, library_version=sdk_version)
