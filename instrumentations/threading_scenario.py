"""threading: a request span whose work fans out to a thread pool.

Each operation opens a `handle-request` span and submits two tasks (`load-profile`,
`load-orders`: each opens its own span and serialises a small dict) to a
`ThreadPoolExecutor` built in setup (after instrumentation: the instrumentor wraps
`submit` and `Thread.start`/`run` to carry the OpenTelemetry context into the worker
thread), then waits for both, as a sync handler parallelising lookups does. The spans are
the application's own (through the OpenTelemetry API: no-ops without an SDK); the
instrumentation's work is the context hand-over, which the workload checks under an
SDK: a task span whose trace is not the request's fails the run. Concurrency 4.
Expects three spans per operation (the request and its two tasks). As those spans are
the application's, the SDK overhead includes recording them; the API overhead is the
instrumentation's own wrappers alone.
"""

from __future__ import annotations

import itertools
import json

from otelaudit import Scenario, Telemetry, Workload


class ThreadingWorkload(Workload):
    async def setup(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from opentelemetry import trace

        self.tracer = trace.get_tracer("otelaudit.scenarios.api.threading")
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="otelaudit-task")
        self.counter = itertools.count()

    def _task(self, name: str, n: int, trace_id: int) -> None:
        with self.tracer.start_as_current_span(name) as span:
            json.dumps({"task": name, "n": n, "items": list(range(10))})
            seen = span.get_span_context().trace_id
        if trace_id and seen != trace_id:
            raise RuntimeError(f"{name} ran outside the request's trace: context was not propagated")

    def _handle(self, n: int) -> None:
        with self.tracer.start_as_current_span("handle-request") as span:
            trace_id = span.get_span_context().trace_id  # 0 without an SDK: nothing to check
            futures = [self.pool.submit(self._task, name, n, trace_id) for name in ("load-profile", "load-orders")]
            for future in futures:
                future.result()

    async def operation(self) -> None:
        import asyncio  # not at module level: asyncio imports threading, the library under audit

        await asyncio.get_running_loop().run_in_executor(None, self._handle, next(self.counter))

    async def teardown(self) -> None:
        self.pool.shutdown()


SCENARIO = Scenario(ThreadingWorkload, expects=Telemetry(spans=3), concurrency=4)
