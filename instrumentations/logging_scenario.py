"""logging: one formatted INFO record with arguments and `extra` fields per operation.

An application logger (level INFO, propagating to the root logger as usual) emits one
`%`-style record with three arguments and two `extra` fields per operation, on the
event-loop thread. In every arm the root logger has a realistic handler: a
StreamHandler with a timestamped format writing to an in-memory buffer that is emptied
now and then, so formatting and I/O cost are real but memory does not grow and nothing
reaches stderr. The root level is set to INFO in setup so no arm filters the record.
Concurrency 8 (operations never yield, so this only exercises the driver). Expects one
OTel log record per operation from the LoggingHandler the instrumentation adds to the
root logger; no spans or metrics.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload


FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s user=%(user_id)s route=%(route)s"
MAX_BUFFER = 1 << 20  # bytes of formatted log kept before the buffer is emptied


class LoggingWorkload(Workload):
    async def setup(self) -> None:
        import logging

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter(FORMAT))
        root = logging.getLogger()
        root.setLevel(logging.INFO)
        root.addHandler(self.handler)
        self.logger: Any = logging.getLogger("otelaudit.scenarios.api.orders")
        self.logger.setLevel(logging.INFO)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        self.logger.info(
            "order %s placed: %d items, total %.2f",
            f"ord-{n}", n % 7 + 1, n * 1.25,
            extra={"user_id": n % 1000, "route": "/api/orders"},
        )
        if self.stream.tell() > MAX_BUFFER:
            self.stream.seek(0)
            self.stream.truncate()

    async def teardown(self) -> None:
        import logging

        logging.getLogger().removeHandler(self.handler)
        self.handler.close()


SCENARIO = Scenario(LoggingWorkload, expects=Telemetry(log_records=1))
