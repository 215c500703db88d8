"""sdk_metrics: a counter and a 100-bucket histogram, a new attribute set every operation.

A scenario of the SDK itself (see sdk_attributes): each operation adds to a counter and
records into a histogram (explicit bucket boundaries: 100 buckets, given as the
instrument's advice where the API takes it) with attributes that include a value new to
every operation, as high-cardinality services do (a user or order id), so the SDK
creates per-attribute-set state (aggregations, exemplar reservoirs) on every operation
until its cardinality limit, then takes its overflow path. Expects two measurements per
operation.
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.sdk import API, SDK, sdk_version

BOUNDARIES = [float(2 ** (i / 8)) for i in range(100)]


class CardinalityWorkload(Workload):
    async def setup(self) -> None:
        from opentelemetry import metrics

        meter = metrics.get_meter("otelaudit.scenarios.sdk.metrics")
        self.counter = meter.create_counter("app.requests", unit="1")
        try:  # the advice parameter came with API 1.23
            self.histogram: Any = meter.create_histogram("app.duration", unit="ms",
                                                         explicit_bucket_boundaries_advisory=BOUNDARIES)
        except TypeError:
            self.histogram = meter.create_histogram("app.duration", unit="ms")
        self.numbers = itertools.count()

    async def operation(self) -> None:
        n = next(self.numbers)
        attributes = {"http.route": f"/api/items/{n % 20}", "http.method": "GET", "app.user_id": f"user-{n}"}
        self.counter.add(1, attributes)
        self.histogram.record((n % 977) * 0.37, attributes)


SCENARIO = Scenario(CardinalityWorkload, expects=Telemetry(metric_measurements=2), library="opentelemetry.metrics",
                    instrumentor_distribution=SDK, distribution=API, library_version=sdk_version)
