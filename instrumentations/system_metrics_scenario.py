"""system-metrics: the background cost of collecting system and process metrics.

The instrumentation registers observable instruments (CPU, memory, swap, disk, network,
threads, file descriptors, context switches, GC, process CPU and memory) whose callbacks
run at every collection of the metric reader, not in the application's requests. The
workload is ordinary request work (encode and decode a 2 KB JSON document) and, to fit
the collection cadence into a short run, collects the meter provider (`force_flush`)
every 200 operations, as a periodic reader would every 10 to 60 s: the overhead per
operation is the collection cost spread over 200 operations, so scale it by your own
interval (requests per collection). Concurrency 1 (the work never blocks). Expects the
measurements of one collection spread over 200 operations: about 150 per collection on a
2-CPU machine with one disk and two network interfaces (0.75 per operation; more CPUs,
disks or interfaces make more).
"""

from __future__ import annotations

import itertools
import json

from otelaudit.model import Telemetry
from otelaudit.scenario import Scenario, Workload

OPS_PER_COLLECTION = 200
DOCUMENT = {"orders": [{"id": i, "customer": f"customer-{i}", "total": i * 2.5, "tags": ["gift", "express"]}
                       for i in range(25)]}


class SystemMetricsWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import metrics

        self.provider = metrics.get_meter_provider()
        self.counter = itertools.count(1)

    async def operation(self) -> None:
        if len(json.loads(json.dumps(DOCUMENT))["orders"]) != 25:
            raise RuntimeError("document lost orders")
        if next(self.counter) % OPS_PER_COLLECTION == 0:
            flush = getattr(self.provider, "force_flush", None)  # the API's no-op provider has none
            if flush is not None:
                flush()


SCENARIO = Scenario(
    name="system_metrics",
    instrumentor="system_metrics",
    library="psutil",
    distribution="psutil",
    supported_versions=">=5.9,<8",
    workload=SystemMetricsWorkload,
    expects=Telemetry(metric_measurements=0.75),
    description=__doc__ or "",
    concurrency=1,
)
