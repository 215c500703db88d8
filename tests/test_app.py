"""App mode (`otelaudit app`): the user's own ASGI/WSGI app driven in-process under no, all
and all-but-one instrumentations. Input checks and the describe child run in milliseconds to
a second; the scheduling and the arithmetic of the shares run against a fake Runner; one real
end-to-end run through the CLI (FastAPI + httpx calling the loopback fake LLM API) is shared
by the tests that read its report."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping

import pytest

from otelaudit.app.arms import arms_for, child_env, spec
from otelaudit.app.inputs import AppRequest, parse_request, read_env_file
from otelaudit.app.options import AppFacts, AppOptions
from otelaudit.app.result import app_results
from otelaudit.app.rounds import play_app
from otelaudit.app.select import choose
from otelaudit.cli.main import main
from otelaudit.errors import UnknownTargetError, UsageError
from otelaudit.model import Failure, Instrumentor, RunResult, RunSpec, Telemetry

APPS = Path(__file__).parent / "fixtures" / "apps"
FASTAPI = Instrumentor("fastapi", "opentelemetry.instrumentation.fastapi:FastAPIInstrumentor",
                       "opentelemetry-instrumentation-fastapi", "1")
HTTPX = Instrumentor("httpx", "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
                     "opentelemetry-instrumentation-httpx", "1")
FACTS = AppFacts("asgi", "fastapi")
LOGGING = Instrumentor("logging", "opentelemetry.instrumentation.logging:LoggingInstrumentor",
                       "opentelemetry-instrumentation-logging", "1")


def options(**overrides: object) -> AppOptions:
    values: Dict[str, object] = dict(reference="shop_fastapi:app", requests=(AppRequest("GET", "/items/1"),),
                                     app_dir=str(APPS), rounds=5, seed=1, concurrency=4)
    values.update(overrides)
    return AppOptions(**values)  # type: ignore[arg-type]


# --- input -------------------------------------------------------------------------------


def test_requests_parse_with_and_without_a_json_body():
    assert parse_request("get /items/1") == AppRequest("GET", "/items/1")
    assert parse_request('POST /chat {"message": "hi"}') == AppRequest("POST", "/chat", {"message": "hi"})


@pytest.mark.parametrize("text, says", [("GTE /items", "did you mean GET"), ("GET", "METHOD /path"),
                                        ("GET items", "must start with '/'"), ("POST /chat {oops", "not JSON")])
def test_malformed_requests_are_usage_errors(text, says):
    with pytest.raises(UsageError, match=says):
        parse_request(text)


def test_env_files_read_as_docker_and_dotenv_do(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# settings\nexport A=1\nB = 'two words'\nC=\"x#y\"\nD=plain # comment\n\n")
    assert read_env_file(str(path)) == {"A": "1", "B": "two words", "C": "x#y", "D": "plain"}
    path.write_text("A=1\nnot a setting\n")
    with pytest.raises(UsageError, match=r":2: expected KEY=VALUE"):
        read_env_file(str(path))


def test_instrument_names_are_checked_against_what_is_installed():
    installed = [FASTAPI, HTTPX]
    assert choose(["httpx,fastapi", "httpx"], installed, {}) == (HTTPX, FASTAPI)
    assert choose(["opentelemetry-instrumentation-httpx"], installed, {}) == (HTTPX,)
    with pytest.raises(UnknownTargetError, match="did you mean fastapi"):
        choose(["fastap"], installed, {})


def test_by_default_what_opentelemetry_instrument_would_apply_less_the_disabled_ones():
    chosen = choose([], [FASTAPI, HTTPX], {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "httpx, redis"})
    assert chosen == (FASTAPI,)
    assert choose([], [FASTAPI, HTTPX], {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "*"}) == ()


def test_arms_are_none_all_the_sdk_alone_and_leave_one_out():
    arms = arms_for((FASTAPI, HTTPX))
    assert [a.label for a in arms] == ["baseline", "all", "sdk only", "without fastapi", "without httpx"]
    assert arms[3].applied == (HTTPX,) and arms[3].left_out == FASTAPI
    assert [a.label for a in arms_for((FASTAPI,))] == ["baseline", "all", "sdk only"]
    twin = Instrumentor("fastapi", "other:FastAPIInstrumentor", "another-fastapi-instrumentation", "1")
    assert [a.label for a in arms_for((FASTAPI, twin))][3:] == [
        "without fastapi (opentelemetry-instrumentation-fastapi)", "without fastapi (another-fastapi-instrumentation)"]
    first = spec(options(), arms[1], 0, 100)
    assert (first.arm, first.instrumentor_value, first.also_instrument) == ("sdk", FASTAPI.value, (HTTPX.value,))
    assert spec(options(), arms[0], 0, 100).arm == "baseline"
    alone = spec(options(), arms[2], 0, 100)
    assert (alone.arm, alone.instrumentor_value, alone.also_instrument) == ("sdk", None, ())


def test_llm_clients_point_at_the_loopback_api_whatever_the_env_file_says():
    env = child_env(options(env={"OPENAI_BASE_URL": "https://api.openai.com/v1", "OPENAI_API_KEY": "sk-real"}),
                    ("127.0.0.1", 4242))
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:4242/v1"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:4242"
    assert env["OPENAI_API_KEY"] == "sk-real" and env["ANTHROPIC_API_KEY"]


# --- scheduling and shares, against a fake Runner ------------------------------------------

COST_US = {FASTAPI.value: 30.0, HTTPX.value: 10.0, LOGGING.value: 5.0}  # per request, per instrumentation
SPANS = {FASTAPI.value: 2.0, HTTPX.value: 1.0, LOGGING.value: 0.0}


@dataclass
class FakeRunner:
    """The SDK and each instrumentation add a fixed CPU cost and their spans (the SDK's:
    a framework's native telemetry); a round's noise is shared by its arms."""

    fail_on: str = ""
    native_spans: float = 0.0
    specs: List[RunSpec] = None  # type: ignore[assignment]

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        self.specs = (self.specs or []) + [spec]
        applied = [spec.instrumentor_value, *spec.also_instrument] if spec.instrumentor_value else []
        if spec.mode == "calibrate":
            return RunResult(arm=spec.arm, round=-1, ops=1000, wall_s=0.1)
        if self.fail_on and self.fail_on in applied:
            return RunResult(arm=spec.arm, round=spec.round, failure=Failure(
                "workload-crashed", "workload raised RequestFailed: GET /items/1 answered 500: boom"))
        sdk = spec.arm == "sdk"
        cpu_us = 100.0 + (spec.round % 3) * 0.5 + 5.0 * sdk + sum(COST_US[v] for v in applied)
        spans = (self.native_spans * sdk + sum(SPANS[v] for v in applied)) * spec.ops
        return RunResult(arm=spec.arm, round=spec.round, ops=spec.ops, wall_s=1.0, cpu_s=cpu_us * spec.ops / 1e6,
                         latency_p99_us=cpu_us * 3, telemetry=Telemetry(spans=spans))

    def cold(self, *args: object) -> object:
        raise NotImplementedError

    def start(self, *args: object) -> object:
        raise NotImplementedError


def test_each_share_is_what_leaving_that_instrumentation_out_saves():
    arms = arms_for((FASTAPI, HTTPX))
    runner = FakeRunner()
    measured = play_app(options(), arms, runner, {})
    assert len(measured.runs) == 5 * len(arms) and measured.played is not None
    rounds = [s.round for s in runner.specs if s.mode == "measure"]
    assert rounds == sorted(rounds)  # every arm once per round, round after round
    total, fastapi, httpx = app_results(options(), arms, measured, FACTS)
    assert total.overhead is not None and total.overhead.cpu_us_per_op.estimate == pytest.approx(45.0)
    assert fastapi.overhead.cpu_us_per_op.estimate == pytest.approx(30.0)
    assert httpx.overhead.cpu_us_per_op.estimate == pytest.approx(10.0)
    assert fastapi.telemetry_per_op.spans == pytest.approx(2.0)
    assert "67% of all instrumentations' CPU overhead" in fastapi.warnings[0]
    assert any("no library here traces natively" in w for w in total.warnings)  # no sdk-only row
    assert any("outside the total's interval" in w for w in total.warnings)  # 40 of 45: the SDK's 5 unexplained


def test_the_sdk_alone_is_a_row_when_a_library_traces_natively_and_the_parts_add_up():
    arms = arms_for((FASTAPI, HTTPX))
    results = app_results(options(), arms, play_app(options(), arms, FakeRunner(native_spans=1.0), {}), FACTS)
    assert [r.instrumentor for r in results] == ["all", "sdk only", "fastapi", "httpx"]
    assert results[1].overhead.cpu_us_per_op.estimate == pytest.approx(5.0)
    assert results[1].telemetry_per_op.spans == pytest.approx(1.0)
    assert any("and the sdk-only row sum to +45" in w and "within" in w for w in results[0].warnings)


def test_one_instrumentation_is_measured_against_the_sdk_alone():
    arms = arms_for((FASTAPI,))
    total, native, fastapi = app_results(options(), arms, play_app(options(), arms, FakeRunner(native_spans=1.0), {}),
                                         FACTS)
    assert fastapi.overhead.cpu_us_per_op.estimate == pytest.approx(30.0)
    assert total.overhead.cpu_us_per_op.estimate == pytest.approx(35.0)


def test_an_instrumentation_that_adds_no_telemetry_claims_no_share():
    arms = arms_for((FASTAPI, LOGGING))
    named = options(instrument=("fastapi", "logging"))
    total, _, logging = app_results(named, arms, play_app(named, arms, FakeRunner(), {}), FACTS)
    assert total.status == "ok"
    assert logging.status == "invalid" and logging.overhead is None and logging.targeted
    assert logging.failure.kind == "no-telemetry" and "no share is claimed" in logging.failure.message
    # Unnamed (what opentelemetry-instrument would apply), such ones are one line on the total.
    total, fastapi = app_results(options(), arms, play_app(options(), arms, FakeRunner(), {}), FACTS)
    assert fastapi.instrumentor == "fastapi" and any(w.endswith("no share; applied in every arm): logging")
                                                     for w in total.warnings)


def test_no_telemetry_with_everything_on_makes_the_audit_invalid():
    arms = arms_for((LOGGING,))
    (total,) = app_results(options(), arms, play_app(options(), arms, FakeRunner(), {}), FACTS)
    assert total.status == "invalid" and total.overhead is None and total.failure.kind == "no-telemetry"


def test_a_failing_request_ends_the_rounds_and_makes_the_audit_invalid():
    arms = arms_for((FASTAPI, HTTPX))
    runner = FakeRunner(fail_on=HTTPX.value)
    measured = play_app(options(), arms, runner, {})
    assert not measured.runs[-1].result.ok and len(measured.runs) <= len(arms)  # stopped at the first failure
    (total,) = app_results(options(), arms, measured, FACTS)
    assert total.status == "invalid" and total.overhead is None
    message = total.failure.message
    assert "answered 500: boom" in message and ("arm 'all'" in message or "arm 'without fastapi'" in message)


# --- the real app, in real children ----------------------------------------------------------


def run_cli(*args: str, cwd: Path = APPS) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "otelaudit", "app", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=240)


@pytest.mark.parametrize("reference, says", [
    ("shop_flaks:app", "no module named 'shop_flaks'"),
    ("shop_flask:ap", "has no attribute 'ap' (did you mean app?)"),
    ("shop_flask:not_an_app", "neither an ASGI app"),
])
def test_a_reference_that_names_no_app_is_a_one_line_usage_error(reference, says, capsys):
    code = main(["app", reference, "--app-dir", str(APPS), "--request", "GET /hello", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, says", [
    (["shop_flask", "--request", "GET /hello"], "looks like 'package.module:app'"),
    (["shop_flask:app"], "at least one request"),
    (["shop_flask:app", "--request", "GET /hello", "--env-file", "/nonexistent/.env"], "--env-file /nonexistent"),
    (["shop_flask:app", "--request", "FETCH /hello"], "unknown method"),
])
def test_bad_input_is_a_one_line_usage_error(args, says, capsys):
    code = main(["app", *args, "--app-dir", str(APPS), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1


def test_a_request_answering_404_makes_the_run_invalid_with_the_response_shown(tmp_path):
    """The Flask app's /hello answers 200 only when the env file's GREETING reached it; one
    request at a time, so /hello has passed when /missing fails."""
    env_file = tmp_path / ".env"
    env_file.write_text("GREETING=hello\n")
    out = run_cli("shop_flask:app", "--request", "GET /hello", "--request", "GET /missing", "--env-file",
                  str(env_file), "--instrument", "flask", "--concurrency", "1", "--quick", "--quiet")
    assert out.returncode == 8, out.stderr
    assert 'GET /missing answered 404: {"error":"no such thing"}' in out.stderr
    assert "GET /hello" not in out.stderr and "INVALID" in out.stdout.upper()


@pytest.fixture(scope="module")
def fastapi_audit(tmp_path_factory) -> Dict:
    """One real app audit: FastAPI with the fastapi and httpx instrumentations, two requests
    (one calling the fake LLM API over httpx), tiny settings."""
    folder = tmp_path_factory.mktemp("app")
    report = folder / "app.json"
    out = run_cli("shop_fastapi:app", "--request", "GET /items/1", "--request", 'POST /chat {"message": "hi"}',
                  "--instrument", "fastapi,httpx", "--concurrency", "4", "--quick", "--rounds", "1",
                  "--json", str(report), "--quiet")
    assert out.returncode == 0, out.stderr
    return {"stdout": out.stdout, "report": json.loads(report.read_text()), "path": report}


@pytest.mark.scan
def test_the_audit_gives_the_total_and_each_leave_one_out_share_with_intervals(fastapi_audit):
    results = {r["instrumentor"]: r for r in fastapi_audit["report"]["results"]}
    assert {"all", "fastapi", "httpx"} <= set(results)  # and "sdk only": this FastAPI may trace natively
    for result in results.values():
        assert result["status"] == "ok", result["failure"]
        cpu = result["overhead"]["cpu_us_per_op"]
        assert cpu["ci_low"] <= cpu["estimate"] <= cpu["ci_high"]
        assert result["concurrency"] == 4 and result["arms"]["sdk"]["latency_p99_us"]["estimate"] > 0
    # The outbound call reached the loopback fake API, instrumented: one client span per two requests.
    ops = results["httpx"]["ops_per_run"]  # the requests alternate: half of them, give or take one
    assert results["httpx"]["telemetry_per_op"]["spans"] == pytest.approx(0.5, abs=1.01 / ops)
    assert results["all"]["telemetry_per_op"]["spans"] > 1
    assert "leave-one-out share" in results["fastapi"]["warnings"][0]
    flame = results["all"]["flame"]  # the sampled pair: where the time goes, none against all on
    assert flame and flame["baseline_profiles"] == 1 and flame["instrumented_profiles"] == 1
    assert "fastapi" in fastapi_audit["stdout"] and "httpx" in fastapi_audit["stdout"]


@pytest.mark.scan
def test_the_saved_app_report_renders_again(fastapi_audit, tmp_path):
    page = tmp_path / "app.html"
    out = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(fastapi_audit["path"]),
                          "--format", "markdown"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "httpx" in out.stdout and "shop_fastapi:app" in out.stdout
    assert "otelaudit app shop_fastapi:app --request 'GET /items/1'" in out.stdout  # rerun as it was run
    assert main(["report", str(fastapi_audit["path"]), "-o", str(page)]) == 0
    assert "shop_fastapi:app" in page.read_text()
