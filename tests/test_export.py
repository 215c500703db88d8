"""The export arm: the real OTLP exporters against the loopback sink process (decoded and
counted per exporting process), its gate at the sink, an export-arm scan through the CLI
that reports export over sdk, and `--arms` as bad input."""

from __future__ import annotations

import http.client
import logging
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from otelaudit.child.export import delivered, exporters
from otelaudit.measure.export import delivery_problem, with_export
from otelaudit.model import Delivery, RunResult, ScenarioResult, Telemetry
from otelaudit.servers.running import running_servers

SPANS, LOG_RECORDS = 1200, 37  # more spans than one batch (512): several exports and a partial one


@pytest.fixture(scope="module")
def sink() -> Iterator[Tuple[str, int]]:
    with running_servers(("otlp",)) as servers:
        yield servers["otlp"]


def _send(address: Tuple[str, int], protocol: str) -> Tuple[Delivery, Telemetry]:
    """Telemetry through the SDK's batch processors and periodic reader into the real
    exporters, on providers of this test only (the global ones are set once per process)."""
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    chosen, points = exporters(address, protocol)
    tracers, loggers = TracerProvider(resource=chosen.resource), LoggerProvider(resource=chosen.resource)
    meters = MeterProvider(metric_readers=[PeriodicExportingMetricReader(chosen.metric)], resource=chosen.resource)
    tracers.add_span_processor(BatchSpanProcessor(chosen.span))
    loggers.add_log_record_processor(BatchLogRecordProcessor(chosen.log))
    tracer, histogram = tracers.get_tracer("t"), meters.get_meter("t").create_histogram("h")
    logger = logging.getLogger(f"otelaudit-export-{protocol}")
    logger.addHandler(LoggingHandler(logger_provider=loggers))
    logger.propagate, logger.level = False, logging.INFO
    for index in range(SPANS):
        with tracer.start_as_current_span("s"):
            histogram.record(index, {"route": str(index % 3)})
    for _ in range(LOG_RECORDS):
        logger.warning("sent")
    for provider in (tracers, loggers, meters):
        provider.force_flush()
    delivery = delivered(chosen, points, Telemetry(SPANS, 0, LOG_RECORDS))
    for provider in (tracers, loggers, meters):
        provider.shutdown()
    return delivery, Telemetry(SPANS, 3, LOG_RECORDS)


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_the_sink_counts_what_the_real_exporters_sent(sink: Tuple[str, int], protocol: str) -> None:
    if protocol == "grpc":
        pytest.importorskip("opentelemetry.exporter.otlp.proto.grpc")
    delivery, expected = _send(sink, protocol)
    assert delivery.sent == expected  # three histogram points: one per attribute set
    assert delivery.arrived == delivery.sent
    assert delivery_problem([RunResult("export", 0, delivery=delivery)]) is None


def test_the_sink_counts_each_process_apart_and_refuses_what_it_cannot_decode(sink: Tuple[str, int]) -> None:
    first, _ = _send(sink, "http/protobuf")
    second, _ = _send(sink, "http/protobuf")
    assert first.arrived == second.arrived == Telemetry(SPANS, 3, LOG_RECORDS)
    connection = http.client.HTTPConnection(*sink, timeout=10)
    connection.request("POST", "/v1/traces", body=b"\xff not protobuf", headers={"Content-Type": "application/x-protobuf"})
    assert connection.getresponse().status == 400
    connection.close()


def _run(round_index: int, arrived: Telemetry, cpu_s: float = 0.01) -> RunResult:
    delivery = Delivery("http/protobuf", Telemetry(10, 2, 1), arrived)
    return RunResult("export", round_index, ops=100, cpu_s=cpu_s, delivery=delivery)


def test_nothing_or_less_arriving_at_the_sink_makes_the_scenario_invalid() -> None:
    valid = ScenarioResult("x", None, None, "x", "ok")
    sdk = [RunResult("sdk", i, ops=100, cpu_s=0.008) for i in range(5)]
    good = [_run(i, Telemetry(10, 2, 1)) for i in range(5)]
    measured = with_export(valid, {"sdk": sdk, "export": good})
    assert measured.status == "ok" and measured.export_overhead is not None
    assert measured.export_overhead.cpu_us_per_op.estimate == pytest.approx(20.0)
    for arrived, words in ((Telemetry(), "no telemetry arrived"), (Telemetry(9, 2, 1), "decoded 9 spans")):
        judged = with_export(valid, {"sdk": sdk, "export": good[:4] + [_run(4, arrived)]})
        assert judged.status == "invalid" and judged.export_overhead is None
        assert judged.failure is not None and judged.failure.kind == "no-telemetry"
        assert words in judged.failure.message and "round 5" in judged.failure.message


def _cli(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


@pytest.fixture(scope="module")
def export_scan(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    folder = tmp_path_factory.mktemp("export-scan")
    out = _cli("scan", "sqlite3", "--quick", "--rounds", "3", "--no-control", "--arms", "sdk,export",
               "--json", str(folder / "r.json"), cwd=folder)
    markdown = _cli("report", str(folder / "r.json"), "--format", "markdown", cwd=folder)
    return {"out": out, "json": (folder / "r.json").read_text(), "markdown": markdown.stdout}


@pytest.mark.scan
def test_an_export_arm_scan_reports_export_over_sdk(export_scan: Dict[str, object]) -> None:
    import json

    out = export_scan["out"]
    assert isinstance(out, subprocess.CompletedProcess) and out.returncode == 0, out.stderr
    result = json.loads(str(export_scan["json"]))["results"][0]
    assert result["status"] == "ok" and set(result["arms"]) == {"baseline", "sdk", "export"}  # no api: not asked
    assert result["export_protocol"] == "http/protobuf" and result["export_overhead"]["rounds"] == 3
    assert result["arms"]["export"]["telemetry_per_op"]["spans"] > 0
    assert "Export arm over the sdk arm" in out.stdout
    assert "Export over the sdk arm (http/protobuf exporters" in str(export_scan["markdown"])
    assert "--arms baseline,sdk,export" in str(export_scan["markdown"])  # the reproduction command


def test_a_default_scan_has_no_export_arm() -> None:
    from otelaudit.plan.options import ScanOptions

    assert "export" not in ScanOptions().arms and "export" not in ScanOptions.quick_defaults().arms


def test_an_unknown_arm_is_a_one_line_usage_error(tmp_path: Path) -> None:
    out = _cli("scan", "sqlite3", "--arms", "baseline,sdk,exprot", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "otelaudit: error: --arms: unknown arm 'exprot' (did you mean 'export'?); choose from baseline, api, sdk, export"]


def test_the_export_arm_without_its_exporter_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from otelaudit.cli.options import check_exporter
    from otelaudit.errors import UsageError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.endswith("proto.grpc") else real(name, *a))
    check_exporter(("baseline", "sdk"), "grpc")  # no export arm: nothing to check
    check_exporter(("baseline", "sdk", "export"), "http/protobuf")
    with pytest.raises(UsageError, match="needs opentelemetry-exporter-otlp-proto-grpc: pip install"):
        check_exporter(("baseline", "sdk", "export"), "grpc")
