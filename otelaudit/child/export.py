"""The export arm's exporters: the real OTLP ones (`http/protobuf`, or `grpc`), sending
to the loopback sink (otelaudit.servers.otlp_sink) under a resource naming this child,
and the check that what the SDK sent is what the sink decoded. Only imported inside
measuring children."""

from __future__ import annotations

import http.client
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

from otelaudit.child.guard import describe
from otelaudit.model import Delivery, FailureKind, RunSpec, Telemetry

RUN_ATTRIBUTE = "otelaudit.run"  # the sink counts per value (otlp_sink.RUN_ATTRIBUTE)
PROTOCOLS = ("http/protobuf", "grpc")


@dataclass(frozen=True)
class Exporters:
    """One child's OTLP exporters and the resource its providers carry."""

    protocol: str
    sink: Tuple[str, int]  # the sink's HTTP address: payloads (http/protobuf) and count queries
    run: str
    span: Any
    log: Any
    metric: Any  # wrapped: it counts the data points it is handed
    resource: Any


class PointCount:
    def __init__(self) -> None:
        self.lock, self.points = threading.Lock(), 0

    def add(self, metrics_data: Any) -> None:
        points = sum(len(getattr(metric.data, "data_points", ()))
                     for resource in metrics_data.resource_metrics
                     for scope in resource.scope_metrics for metric in scope.metrics)
        with self.lock:
            self.points += points


Failed = Callable[[FailureKind, str], Exception]  # the measuring child's RunFailed


def export_arm(spec: RunSpec, failed: Failed) -> Tuple[Optional[Exporters], Callable[[Telemetry], Delivery]]:
    """The exporters to install, and what reports the sink's counts once the run is done."""
    try:
        chosen, points = exporters(spec.servers["otlp"], spec.export_protocol)
    except Exception as error:
        raise failed("instrument-failed", f"the OTLP exporters could not be set up: {describe(error)}") from error

    def delivery(produced: Telemetry) -> Delivery:
        try:
            return delivered(chosen, points, produced)
        except Exception as error:
            raise failed("workload-crashed", f"the OTLP sink's counts could not be read: {describe(error)}") from error

    return chosen, delivery


def exporters(sink: Tuple[str, int], protocol: str) -> Tuple[Exporters, PointCount]:
    """The exporters a deployment configures with OTEL_EXPORTER_OTLP_PROTOCOL=`protocol`."""
    from opentelemetry.sdk.resources import Resource

    run = uuid.uuid4().hex
    points = PointCount()
    span, log, metric_class, kwargs = (_grpc(_query(sink, "/grpc")) if protocol == "grpc" else _http(sink))

    class CountingMetricExporter(metric_class):  # type: ignore[misc,valid-type]
        def export(self, metrics_data: Any, *args: Any, **kw: Any) -> Any:
            points.add(metrics_data)
            return super().export(metrics_data, *args, **kw)

    resource = Resource.create({RUN_ATTRIBUTE: run})
    return Exporters(protocol, sink, run, span, log, CountingMetricExporter(**kwargs("metrics")), resource), points


def _http(sink: Tuple[str, int]) -> Tuple[Any, Any, Any, Any]:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    def kwargs(signal: str) -> Any:
        return {"endpoint": f"http://{sink[0]}:{sink[1]}/v1/{signal}"}

    return OTLPSpanExporter(**kwargs("traces")), OTLPLogExporter(**kwargs("logs")), OTLPMetricExporter, kwargs


def _grpc(port: str) -> Tuple[Any, Any, Any, Any]:
    if not port.isdigit() or port == "0":
        raise RuntimeError("the OTLP sink has no gRPC receiver (is grpcio installed?)")
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    def kwargs(signal: str) -> Any:
        return {"endpoint": f"127.0.0.1:{port}", "insecure": True}

    return OTLPSpanExporter(**kwargs("traces")), OTLPLogExporter(**kwargs("logs")), OTLPMetricExporter, kwargs


def delivered(chosen: Exporters, points: PointCount, produced: Telemetry) -> Delivery:
    """Exports everything still held (metrics included: their reader only exports on
    its interval), then asks the sink what arrived. `produced` is the counter's total."""
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    for provider in (trace.get_tracer_provider(), get_logger_provider(), metrics.get_meter_provider()):
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            flush()
    with points.lock:
        sent = Telemetry(produced.spans, float(points.points), produced.log_records)
    spans, metric_points, records = (float(n) for n in _query(chosen.sink, f"/counts/{chosen.run}").split())
    return Delivery(chosen.protocol, sent, Telemetry(spans, metric_points, records))


def _query(sink: Tuple[str, int], path: str) -> str:
    """A GET through http.client, which no instrumentation patches: the check adds no telemetry."""
    connection = http.client.HTTPConnection(sink[0], sink[1], timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().read().decode()
    finally:
        connection.close()
