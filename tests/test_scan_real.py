"""Real subprocess scans of bundled scenarios, and the JSON report contract."""


import pytest

from otelaudit.model import files as report_json

ESTIMATE_KEYS = {"estimate", "ci_low", "ci_high"}


def test_sqlite3_scan_measures_a_significant_overhead_with_spans(sqlite_scan):
    report = sqlite_scan.report
    result = report["results"][0]
    assert result["status"] == "ok"
    assert result["telemetry_per_op"]["spans"] >= 1
    assert result["overhead"]["cpu_us_per_op"]["estimate"] > 0
    assert result["overhead"]["verdict"] == "overhead"
    assert result["arms"]["api"]["import_ms"]["estimate"] > 0  # the sdk arm's zygote imported it: not timed
    assert result["arms"]["sdk"]["instrument_ms"]["estimate"] > 0


def test_json_report_holds_the_contract(sqlite_scan):
    report = sqlite_scan.report
    assert report["schema_version"] == "1.3"  # 1.1: comparison and memory growth; 1.2: complete; 1.3: cost growth, export, knobs
    assert {"python", "platform", "packages"} <= set(report["environment"])
    assert "opentelemetry-sdk" in report["environment"]["packages"]
    result = report["results"][0]
    assert {"instrumentor", "distribution", "version", "scenario", "status", "telemetry_per_op", "overhead"} <= set(result)
    overhead = result["overhead"]
    for key in ("cpu_us_per_op", "cpu_ratio", "latency_p50_us", "latency_p99_us", "throughput_ratio"):
        assert set(overhead[key]) == ESTIMATE_KEYS
    for arm in ("baseline", "api", "sdk"):
        assert set(result["arms"][arm]["throughput_ops_s"]) == ESTIMATE_KEYS


def test_json_report_round_trips(sqlite_scan):
    report = report_json.loads(sqlite_scan.json_path.read_text())
    assert report_json.loads(report_json.dumps(report)) == report
    assert report.results[0].overhead.cpu_ratio.estimate > 1


def test_terminal_table_shows_the_measurement(sqlite_scan):
    lines = sqlite_scan.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("sqlite3"))
    assert "overhead" in lines[at] and "1 span" in lines[at + 1]  # verdict first, then what it did


def test_atomic_write_replaces_without_leftovers(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    report_json.write_atomically(str(target), "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_httpx_scan_against_the_loopback_server_produces_spans(otelaudit):
    run = otelaudit("scan", "httpx", "--quick")
    assert run.code == 0, run.stderr
    result = run.result("httpx")
    assert result["status"] == "ok"
    assert result["telemetry_per_op"]["spans"] == pytest.approx(1.0)
    assert result["overhead"]["cpu_us_per_op"]["estimate"] > 0
