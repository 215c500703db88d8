"""A loopback OTLP receiver for the export arm, in its own process so decoding is never
charged to the measured child: `python -m otelaudit.servers.otlp_sink`.

It accepts OTLP/HTTP protobuf (`POST /v1/traces|metrics|logs`) on the port it prints and,
when grpcio is installed, OTLP/gRPC on a second port (`GET /grpc`). Every payload is
decoded and its spans, metric data points and log records counted per exporting
process (the resource attribute `otelaudit.run`); `GET /counts/RUN` answers
`spans points records` for one, so a child can prove what it sent arrived."""

from __future__ import annotations

import asyncio
import gzip
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from otelaudit.servers.http import HttpResponder

RUN_ATTRIBUTE = "otelaudit.run"
SIGNALS = ("traces", "metrics", "logs")
EMPTY_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"


class Counts:
    """Items decoded per run and signal; the gRPC server's threads and the loop share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_run: Dict[str, List[int]] = {}

    def add(self, run: str, signal: str, items: int) -> None:
        with self._lock:
            self._by_run.setdefault(run, [0, 0, 0])[SIGNALS.index(signal)] += items

    def of(self, run: str) -> Tuple[int, int, int]:
        with self._lock:
            spans, points, records = self._by_run.get(run, [0, 0, 0])
        return spans, points, records


def request_types() -> Dict[str, Any]:
    """The Export*ServiceRequest message per signal (opentelemetry-proto)."""
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    return {"traces": trace_service_pb2.ExportTraceServiceRequest,
            "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
            "logs": logs_service_pb2.ExportLogsServiceRequest}


def count(signal: str, request: Any, counts: Counts) -> None:
    """Adds one decoded request's items to its runs' counts."""
    for resource in _resources(signal, request):
        run = _run_of(resource.resource)
        if signal == "traces":
            items = sum(len(scope.spans) for scope in resource.scope_spans)
        elif signal == "logs":
            items = sum(len(scope.log_records) for scope in resource.scope_logs)
        else:
            items = sum(_points(metric) for scope in resource.scope_metrics for metric in scope.metrics)
        counts.add(run, signal, items)


def _resources(signal: str, request: Any) -> Any:
    return getattr(request, {"traces": "resource_spans", "metrics": "resource_metrics", "logs": "resource_logs"}[signal])


def _run_of(resource: Any) -> str:
    for attribute in resource.attributes:
        if attribute.key == RUN_ATTRIBUTE:
            return str(attribute.value.string_value)
    return ""


def _points(metric: Any) -> int:
    kind = metric.WhichOneof("data")
    return len(getattr(metric, kind).data_points) if kind else 0


class Sink:
    """The HTTP side: decodes OTLP/HTTP payloads and answers count queries."""

    def __init__(self, counts: Counts, grpc_port: Optional[int]) -> None:
        self.counts, self.grpc_port, self.types = counts, grpc_port, request_types()

    def respond(self, head: bytes, body: bytes) -> bytes:
        method, _, rest = head.partition(b" ")
        path = rest.partition(b" ")[0].decode("latin-1")
        if method == b"POST" and path.startswith("/v1/") and path[4:] in self.types:
            return self._export(path[4:], head, body)
        if method == b"GET" and path.startswith("/counts/"):
            return _text(" ".join(str(n) for n in self.counts.of(path[len("/counts/"):])))
        if method == b"GET" and path == "/grpc":
            return _text(str(self.grpc_port or 0))
        return _text("not found", b"404 Not Found")

    def _export(self, signal: str, head: bytes, body: bytes) -> bytes:
        try:
            if b"content-encoding: gzip" in head.lower():
                body = gzip.decompress(body)
            request = self.types[signal]()
            request.ParseFromString(body)
        except Exception as error:  # a payload the exporter should never send: refused, so the child's counts differ
            return _text(f"undecodable {signal} payload: {error}", b"400 Bad Request")
        count(signal, request, self.counts)
        return EMPTY_OK


def _text(text: str, status: bytes = b"200 OK") -> bytes:
    body = text.encode()
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


def start_grpc(counts: Counts, host: str) -> Tuple[Any, Optional[int]]:
    """The OTLP/gRPC receiver when grpcio is installed: (server, port), else (None, None)."""
    try:
        from concurrent import futures

        import grpc
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
    except ImportError:
        return None, None
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    services: Tuple[Tuple[Any, Any, str, str], ...] = (
        (trace_service_pb2_grpc, trace_service_pb2.ExportTraceServiceResponse, "traces", "TraceService"),
        (metrics_service_pb2_grpc, metrics_service_pb2.ExportMetricsServiceResponse, "metrics", "MetricsService"),
        (logs_service_pb2_grpc, logs_service_pb2.ExportLogsServiceResponse, "logs", "LogsService"))
    for stubs, response, signal, service in services:
        getattr(stubs, f"add_{service}Servicer_to_server")(_receiver(getattr(stubs, f"{service}Servicer"), signal,
                                                                      response, counts), server)
    port = server.add_insecure_port(f"{host}:0")
    server.start()
    return server, port


def _receiver(base: Any, signal: str, response: Any, counts: Counts) -> Any:
    class Receiver(base):  # type: ignore[misc]
        def Export(self, request: Any, context: Any) -> Any:
            count(signal, request, counts)
            return response()

    return Receiver()


async def serve(host: str = "127.0.0.1") -> None:
    try:
        request_types()
    except ImportError as error:
        print(f"missing the OTLP messages ({error}): pip install 'otelaudit[export]'", flush=True)
        return
    counts = Counts()
    grpc_server, grpc_port = start_grpc(counts, host)
    sink = Sink(counts, grpc_port)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpResponder(sink.respond), host, 0, backlog=1024)
    print(f"{host} {server.sockets[0].getsockname()[1]}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # returns when the parent closes stdin
    server.close()
    if grpc_server is not None:
        grpc_server.stop(0)


if __name__ == "__main__":
    asyncio.run(serve())
