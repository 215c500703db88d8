"""sdk_logs: a log record with arguments and `extra` fields through the SDK's logging handler.

A scenario of the SDK itself (see sdk_attributes): an application logger (INFO, not
propagating) has the OpenTelemetry `LoggingHandler` as its one handler, built in setup
on the global logger provider (the SDK's under an SDK, the API's no-op otherwise). Each
operation emits one `%`-style INFO record with three arguments and two `extra` fields,
so the handler's translation (attributes from the record, the formatted body, the
timestamp, the trace context) runs every time. Expects one log record per operation.
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import SDK, sdk_version


class SdkLogsWorkload(Workload):
    async def setup(self) -> None:
        import logging

        from opentelemetry.sdk._logs import LoggingHandler

        self.handler = LoggingHandler(level=logging.INFO)
        self.logger: Any = logging.getLogger("otelaudit.scenarios.sdk.logs")
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self.handler)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        self.logger.info("order %s placed: %d items, total %.2f", f"ord-{n}", n % 7 + 1, n * 1.25,
                         extra={"app.user_id": n % 1000, "app.route": "/api/orders"})

    async def teardown(self) -> None:
        self.logger.removeHandler(self.handler)


SCENARIO = Scenario(SdkLogsWorkload, expects=Telemetry(log_records=1), library="logging",
                    instrumentor_distribution=SDK, library_version=sdk_version)
