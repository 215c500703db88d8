"""SDK providers for the `sdk` arm: the processors users run (batching), exporters that
do no I/O, and exact counters of the telemetry produced, so a run can prove it
exercised the instrumentation. The `export` arm is the same with the real OTLP
exporters (otelaudit.child.export) in place of the dropping ones. Only imported inside
measuring children."""

from __future__ import annotations

import itertools
import os
import threading
from typing import TYPE_CHECKING, Any, List, Optional

from otelaudit.model import Telemetry

if TYPE_CHECKING:
    from otelaudit.child.export import Exporters

SDK_SELF_METER = "opentelemetry-sdk"


class TelemetryCounter:
    """Counts spans ended, metric measurements recorded and log records emitted. Counting
    runs inside the measured arm, so it must cost next to nothing: `next()` on an
    itertools.count is one atomic C call (~0.05 µs), where a lock and setattr cost ~0.9 µs
    per item — a few µs per operation charged to the instrumentation."""

    FIELDS = ("spans", "metric_measurements", "log_records")

    def __init__(self) -> None:
        self._ticks = {field: itertools.count() for field in self.FIELDS}

    def snapshot(self) -> Telemetry:
        return Telemetry(*(float(self._current(self._ticks[field])) for field in self.FIELDS))

    def add(self, field: str) -> None:
        next(self._ticks[field])

    def ticker(self, field: str) -> "itertools.count[int]":
        """The field's own counter, for the hottest paths: `next(ticker)` counts one."""
        return self._ticks[field]

    @staticmethod
    def _current(ticks: "itertools.count[int]") -> int:
        return int(repr(ticks)[len("count("):-1])  # the next value, without taking it


EXPORT_BATCH_SIZE = 512  # the batch processors' default (OTEL_BSP_MAX_EXPORT_BATCH_SIZE)


def install_sdk(counter: TelemetryCounter, inline_export: bool = False, export: "Optional[Exporters]" = None) -> None:
    """Sets global tracer, meter and logger providers that count what they receive, and
    hand it to `export`'s exporters (the export arm) or to exporters that drop it.

    `inline_export` (instruction counting) batches spans and log records the same way but
    exports each full batch on the calling thread. With the batch processors' export
    thread, when it drains the queue depends on the clock and the scheduler, and so does
    how many spans the cyclic GC finds alive and how often it runs: one collection more
    or less moved a 2000-operation count by ~3 % in about one run in eight."""
    _install_tracing(counter, inline_export, export)
    _install_metrics(counter, export)
    _install_logs(counter, inline_export, export)


class InlineBatching:
    """A processor's batching without its export thread (`inline_export`): items are
    collected in batches of the SDK's default size and each full batch is exported on the
    thread that completed it."""

    def __init__(self, exporter: Any) -> None:
        self._exporter = exporter
        self._batch: List[Any] = []

    def add(self, item: Any) -> None:
        self._batch.append(item)
        if len(self._batch) >= EXPORT_BATCH_SIZE:
            self.force_flush()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        batch, self._batch = self._batch, []
        if batch:
            self._exporter.export(batch)
        return True

    def shutdown(self) -> None:
        self.force_flush()
        self._exporter.shutdown()


def _resource(export: "Optional[Exporters]") -> Any:
    from opentelemetry.sdk.resources import Resource

    return export.resource if export is not None else Resource.create()


def _install_tracing(counter: TelemetryCounter, inline_export: bool, export: "Optional[Exporters]") -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class DroppingSpanExporter(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

        def force_flush(self, timeout_millis: int = 0) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    ended = counter.ticker("spans")

    class CountingBatchSpanProcessor(BatchSpanProcessor):
        def on_end(self, span: Any) -> None:
            next(ended)
            super().on_end(span)

    class CountingInlineBatchSpanProcessor(InlineBatching, SpanProcessor):
        def on_end(self, span: Any) -> None:
            next(ended)
            if span.context.trace_flags.sampled:
                self.add(span)

    provider = TracerProvider(resource=_resource(export))
    processor: Any = (CountingInlineBatchSpanProcessor if inline_export else CountingBatchSpanProcessor)(
        export.span if export is not None else DroppingSpanExporter())
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)


def _install_metrics(counter: TelemetryCounter, export: "Optional[Exporters]") -> None:
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader

    # OTEL_METRICS_EXPORTER=none (`--knobs metrics-off`): as the SDK's configurator does, a provider
    # without readers; its measurements reach no storage, so none is counted.
    if os.environ.get("OTEL_METRICS_EXPORTER", "").strip().lower() == "none":
        metrics.set_meter_provider(MeterProvider(metric_readers=[], resource=_resource(export)))
        return
    # The export arm's reader exports on the SDK's default interval (60 s), as deployed.
    reader = PeriodicExportingMetricReader(export.metric) if export is not None else InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=_resource(export))
    consumer = getattr(provider, "_measurement_consumer", None)
    # The one reader's storage sees synchronous measurements and those of observable
    # instruments' callbacks at collection; the consumer sees only the former.
    storages = list(getattr(consumer, "_reader_storages", {}).values())
    target = storages[0] if len(storages) == 1 else consumer
    if target is not None:
        consume = target.consume_measurement
        recorded = counter.ticker("metric_measurements")

        def counting_consume(measurement: Any, *args: Any, **kwargs: Any) -> Any:
            if not _is_sdk_self_metric(measurement):
                next(recorded)
            return consume(measurement, *args, **kwargs)

        target.consume_measurement = counting_consume
    metrics.set_meter_provider(provider)


def _is_sdk_self_metric(measurement: Any) -> bool:
    """The SDK's own health metrics (some releases record them for every span) are the
    SDK's cost, not telemetry the instrumentation produced."""
    instrument = getattr(measurement, "instrument", None)
    scope = getattr(instrument, "instrumentation_scope", None) or getattr(instrument, "_instrumentation_scope", None)
    return getattr(scope, "name", None) == SDK_SELF_METER


def _install_logs(counter: TelemetryCounter, inline_export: bool, export: "Optional[Exporters]") -> None:
    try:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogExporter
    except ImportError:  # an SDK without the logs signal
        return

    class DroppingLogExporter(LogExporter):
        def export(self, batch: Any) -> Any:
            from opentelemetry.sdk._logs.export import LogExportResult

            return LogExportResult.SUCCESS

        def force_flush(self, timeout_millis: int = 0) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    class CountingBatchLogRecordProcessor(BatchLogRecordProcessor):
        # SDK releases named the hook `emit`, then `on_emit`, some aliasing one to the
        # other: count once per record whichever is entered first.
        _inside = threading.local()

        def _counted(self, method: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(self._inside, "active", False):
                return method(*args, **kwargs)
            self._inside.active = True
            try:
                counter.add("log_records")
                return method(*args, **kwargs)
            finally:
                self._inside.active = False

        def on_emit(self, *args: Any, **kwargs: Any) -> None:
            self._counted(super().on_emit, *args, **kwargs)

        def emit(self, *args: Any, **kwargs: Any) -> None:
            self._counted(super().emit, *args, **kwargs)  # type: ignore[misc]

    class CountingInlineBatchLogRecordProcessor(InlineBatching, LogRecordProcessor):
        # Both hook names, for the releases that call either (see above); one record each.
        def on_emit(self, record: Any) -> None:
            counter.add("log_records")
            self.add(record)

        emit = on_emit

    provider = LoggerProvider(resource=_resource(export))
    processor: Any = (CountingInlineBatchLogRecordProcessor if inline_export else CountingBatchLogRecordProcessor)(
        export.log if export is not None else DroppingLogExporter())
    provider.add_log_record_processor(processor)
    set_logger_provider(provider)


def flush_sdk() -> None:
    """Exports what every processor still holds (the batch queue), so spans waiting for
    export never pass for memory the instrumentation retains."""
    from opentelemetry import trace
    from opentelemetry._logs import get_logger_provider

    for provider in (trace.get_tracer_provider(), get_logger_provider()):
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            flush()
