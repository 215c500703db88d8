"""system-metrics: the background cost of collecting system and process metrics.

The instrumentation registers observable instruments (CPU, memory, swap, disk, network,
threads, file descriptors, context switches, GC, process CPU and memory) whose callbacks
run at every collection of the metric reader, not in the application's requests. To fit
the collection cadence into a short run, one operation is a batch of 200 requests'
ordinary work (encode and decode a 2 KB JSON document each) followed by one collection
of the meter provider (`force_flush`), as a periodic reader would collect every 10 to
60 s: the overhead per operation is one collection's cost against 200 requests, so scale
it by your own requests per collection. Concurrency 1 (the work never blocks). The
instrumentation's default configuration. Expects the measurements of one collection per
operation: 152 on a 2-CPU machine with the loopback and one network interface and one
disk (per-CPU, per-interface and per-disk series make more on bigger machines).
"""

from __future__ import annotations

import json

from otelaudit import Scenario, Telemetry, Workload


REQUESTS_PER_COLLECTION = 200
DOCUMENT = {"orders": [{"id": i, "customer": f"customer-{i}", "total": i * 2.5, "tags": ["gift", "express"]}
                       for i in range(25)]}


class SystemMetricsWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import metrics

        self.provider = metrics.get_meter_provider()

    async def operation(self) -> None:
        for _ in range(REQUESTS_PER_COLLECTION):
            if len(json.loads(json.dumps(DOCUMENT))["orders"]) != 25:
                raise RuntimeError("document lost orders")
        flush = getattr(self.provider, "force_flush", None)  # the API's no-op provider has none
        if flush is not None:
            flush()


SCENARIO = Scenario(SystemMetricsWorkload, expects=Telemetry(metric_measurements=152), library="psutil",
                    distribution="psutil", supported_versions=">=5.9,<8", concurrency=1)
