"""App mode end to end: the example service of examples/shop audited in-process through the
real CLI, the fixture apps behind real servers (`--server`: uvicorn for ASGI, gunicorn for
WSGI), and the bad input of --server: a port in use, the server not installed (an import
shadow on PYTHONPATH that fails as a missing module does), a request that answers 500.
Each real audit is one module-scoped run at the smallest settings, shared by its tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from otelaudit.app.arms import arms_for, spec
from otelaudit.app.inputs import AppRequest
from otelaudit.app.options import AppFacts, AppOptions
from otelaudit.model import Instrumentor

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).parent / "fixtures" / "apps"
SHOP = ROOT / "examples" / "shop"
SHOP_REQUESTS = ("--request", "GET /items/1", "--request", 'POST /chat {"message": "hi"}')
SHOP_INSTRUMENT = "fastapi,httpx,sqlalchemy,opentelemetry-instrumentation-openai-v2"
FASTAPI = Instrumentor("fastapi", "opentelemetry.instrumentation.fastapi:FastAPIInstrumentor",
                       "opentelemetry-instrumentation-fastapi", "1")
HTTPX = Instrumentor("httpx", "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
                     "opentelemetry-instrumentation-httpx", "1")


def run_cli(*args: str, cwd: Path = APPS, env: Dict[str, str] = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "otelaudit", "app", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, **(env or {})})


def rows(report_path: Path) -> Dict[str, Dict]:
    return {r["instrumentor"]: r for r in json.loads(report_path.read_text())["results"]}


# --- the spec a served arm travels in --------------------------------------------------------


def test_a_served_arm_leaves_the_client_uninstrumented_and_hands_its_telemetry_to_the_server():
    options = AppOptions(reference="shop_fastapi:app", requests=(AppRequest("GET", "/items/1"),), app_dir=str(APPS),
                         server=True, port=8123).checked(AppFacts("asgi", "fastapi"))
    assert options.memory_ops == 0 and options.profile_pairs == 0  # they would watch the client
    arms = arms_for((FASTAPI, HTTPX))
    without_fastapi = spec(options, arms[3], 2, 100)
    assert (without_fastapi.arm, without_fastapi.instrumentor_value, without_fastapi.also_instrument) == (
        "baseline", None, ())
    served = json.loads(without_fastapi.scenario_name)
    assert served == {"app": "shop_fastapi:app", "kind": "asgi", "app_dir": str(APPS), "port": 8123, "sdk": True,
                      "instrument": [HTTPX.value]}
    assert json.loads(spec(options, arms[0], 0, 100).scenario_name)["sdk"] is False


# --- bad input ------------------------------------------------------------------------------


def test_a_port_in_use_is_a_one_line_error_of_its_own():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = run_cli("shop_fastapi:app", "--request", "GET /items/1", "--server", "--port", str(port), "--quiet")
    assert out.returncode == 14, out.stderr
    assert f"--port {port}: 127.0.0.1:{port} is not free" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("reference, server", [("shop_fastapi:app", "uvicorn"), ("shop_flask:app", "gunicorn")])
def test_a_missing_server_is_a_one_line_error_naming_what_to_install(tmp_path, reference, server):
    """The server's module fails to import as an uninstalled one does (ModuleNotFoundError)."""
    (tmp_path / f"{server}.py").write_text(f"raise ModuleNotFoundError(\"No module named '{server}'\", name='{server}')\n")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    out = run_cli(reference, "--request", "GET /hello", "--server", "--quiet", env={"PYTHONPATH": path})
    assert out.returncode == 5, out.stderr
    assert out.stderr.strip().endswith(f"under {server}, which is not installed here: pip install {server}")
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_reference_that_does_not_import_is_a_usage_error_with_server_too():
    out = run_cli("shop_fastpi:app", "--request", "GET /items/1", "--server", "--quiet")
    assert out.returncode == 2 and "no module named 'shop_fastpi' in" in out.stderr
    assert "(did you mean shop_fastapi?)" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.scan
def test_a_request_answering_500_behind_the_server_makes_the_run_invalid_with_the_response_shown():
    out = run_cli("shop_fastapi:app", "--request", "GET /broken", "--instrument", "fastapi", "--server",
                  "--concurrency", "1", "--quick", "--quiet")
    assert out.returncode == 8, out.stderr
    assert "GET /broken answered 500: Internal Server Error" in out.stderr and "INVALID" in out.stdout.upper()


# --- real audits ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_audit(tmp_path_factory) -> Dict[str, Dict]:
    """The example service in-process, as the README audits it, at one round."""
    report = tmp_path_factory.mktemp("shop") / "shop.json"
    out = run_cli("app:app", "--app-dir", str(SHOP), *SHOP_REQUESTS, "--instrument", SHOP_INSTRUMENT, "--quick",
                  "--rounds", "1", "--profiles", "0", "--json", str(report), "--quiet", cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return rows(report)


@pytest.mark.scan
def test_the_example_service_gets_a_total_and_a_leave_one_out_share_for_each_instrumentation(shop_audit):
    assert {"all", "fastapi", "httpx", "sqlalchemy", "openai"} <= set(shop_audit)
    for name in ("all", "fastapi", "httpx", "sqlalchemy", "openai"):
        cpu = shop_audit[name]["overhead"]["cpu_us_per_op"]
        assert shop_audit[name]["status"] == "ok" and cpu["ci_low"] <= cpu["estimate"] <= cpu["ci_high"]
    # Each request in turn: the item read queries sqlite and asks the inventory over httpx, the chat
    # calls the (fake) OpenAI API over httpx; each instrumentation's own spans are its share's.
    assert shop_audit["sqlalchemy"]["telemetry_per_op"]["spans"] > 0
    assert shop_audit["openai"]["telemetry_per_op"]["spans"] > 0
    assert shop_audit["httpx"]["telemetry_per_op"]["spans"] > 0
    if shop_audit["all"]["overhead"]["cpu_us_per_op"]["estimate"] > 0:  # one noisy round may say otherwise
        assert any("leave-one-out share" in w for w in shop_audit["sqlalchemy"]["warnings"])
    assert any("leave-one-out shares" in w and "sum to" in w for w in shop_audit["all"]["warnings"])


@pytest.fixture(scope="module")
def uvicorn_audit(tmp_path_factory) -> Dict[str, Dict]:
    report = tmp_path_factory.mktemp("served") / "served.json"
    out = run_cli("shop_fastapi:app", "--request", "GET /items/1", "--request", 'POST /chat {"message": "hi"}',
                  "--instrument", "fastapi,httpx", "--server", "--concurrency", "4", "--quick", "--rounds", "1",
                  "--json", str(report), "--quiet")
    assert out.returncode == 0, out.stderr
    return rows(report)


@pytest.mark.scan
def test_behind_uvicorn_the_servers_cpu_and_telemetry_are_measured(uvicorn_audit):
    total, httpx = uvicorn_audit["all"], uvicorn_audit["httpx"]
    assert total["status"] == "ok" and httpx["status"] == "ok"
    # The server's telemetry, not the client's: the app's outbound call, one client span per two requests.
    assert httpx["telemetry_per_op"]["spans"] == pytest.approx(0.5, abs=1.01 / httpx["ops_per_run"])
    assert total["telemetry_per_op"]["spans"] > 1
    for arm in ("baseline", "sdk"):
        summary = total["arms"][arm]
        assert summary["cpu_us_per_op"]["estimate"] > 0 and summary["throughput_ops_s"]["estimate"] > 0
        assert summary["latency_p50_us"]["estimate"] <= summary["latency_p99_us"]["estimate"]
    assert total["flame"] is None  # no sampled profiles of the client


@pytest.mark.scan
def test_behind_gunicorn_a_wsgi_apps_worker_is_measured(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GREETING=hello\n")
    report = tmp_path / "gunicorn.json"
    out = run_cli("shop_flask:app", "--request", "GET /hello", "--env-file", str(env_file), "--instrument", "flask",
                  "--server", "--concurrency", "2", "--quick", "--rounds", "1", "--json", str(report), "--quiet")
    assert out.returncode == 0, out.stderr
    total = rows(report)["all"]
    assert total["status"] == "ok" and total["telemetry_per_op"]["spans"] == pytest.approx(1.0, abs=0.05)
    assert total["arms"]["baseline"]["cpu_us_per_op"]["estimate"] > 0
