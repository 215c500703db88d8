"""What a child counts beside its timed figures: telemetry items, what the export arm's
SDK sent and its sink decoded, and a what-if stand-in's calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Telemetry:
    """Telemetry items, either totals of one run or per operation."""

    spans: float = 0.0
    metric_measurements: float = 0.0
    log_records: float = 0.0

    @property
    def total(self) -> float:
        return self.spans + self.metric_measurements + self.log_records

    def per(self, ops: int) -> "Telemetry":
        n = max(ops, 1)
        return Telemetry(self.spans / n, self.metric_measurements / n, self.log_records / n)


@dataclass(frozen=True)
class Delivery:
    """What the export arm's SDK sent over one child's life and what its sink decoded (metric points)."""

    protocol: str  # OTEL_EXPORTER_OTLP_PROTOCOL's spelling: "http/protobuf" or "grpc"
    sent: Telemetry
    arrived: Telemetry



@dataclass(frozen=True)
class WhatIfCounts:
    """A what-if stand-in's calls from its site, cache answers, None results; or why none was `missing`."""
    calls: int = 0
    hits: int = 0
    none_results: int = 0
    missing: Optional[str] = None
