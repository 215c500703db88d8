"""`otelaudit compare` on real releases from the registry, through the real CLI: two contrib
releases of sqlite3 eleven release lines apart (each with the SDK its exact
opentelemetry-instrumentation accepts, the move reported), two SDK releases on a scenario of
the SDK itself, a cached environment that broke (rebuilt, never reused), and every bad input
(one line, its own exit code, nothing cached). Needs the package index; builds run with uv
(the test extra) in seconds, and one environment cache serves the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otelaudit.errors import ExitCode

SQLITE3 = "opentelemetry-instrumentation-sqlite3"
OLD, NEW = "0.55b0", "0.66b1"  # 2025 and 2026 release lines
SDK_OLD, SDK_NEW = "1.38.0", "1.45.1"
TINY = ("--quick", "--rounds", "2", "--seconds-per-run", "0.03")


def compare(*args: str, cache: Path, env: "dict[str, str] | None" = None, timeout: float = 170):
    return subprocess.run([sys.executable, "-m", "otelaudit", "compare", *args, "--cache-dir", str(cache)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=str(cache.parent))


def environments(cache: Path) -> "list[str]":
    """The environments kept (the shared wheel cache is not one)."""
    return sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) if cache.exists() else []


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compare") / "envs"


@pytest.fixture(scope="module")
def instrumentation_pair(cache: Path):
    out = cache.parent / "sqlite3.json"
    done = compare(f"{SQLITE3}=={OLD}", f"{SQLITE3}=={NEW}", *TINY, "--json", str(out), cache=cache)
    return done, out


@pytest.mark.scan
def test_two_contrib_releases_each_with_an_sdk_it_accepts(instrumentation_pair, cache):
    done, out = instrumentation_pair
    assert done.returncode == 0, done.stderr[-2000:]
    comparison = json.loads(out.read_text())["comparison"]
    a, b = comparison["a"], comparison["b"]
    assert a["instrumentor"]["version"] == OLD and b["instrumentor"]["version"] == NEW
    # 0.55b0 pins its own opentelemetry-instrumentation, whose conventions no 1.45 SDK accepts.
    assert a["packages"]["opentelemetry-instrumentation"] == OLD
    assert a["packages"]["opentelemetry-sdk"] != b["packages"]["opentelemetry-sdk"] == SDK_NEW
    assert any(d.startswith("opentelemetry-sdk: ") for d in comparison["pin_differences"])
    assert any("the difference includes them" in w for w in comparison["warnings"])
    assert a["telemetry_per_op"]["spans"] == b["telemetry_per_op"]["spans"] == 1.0
    assert comparison["result"]["comparison"] is not None and not comparison["result"]["failure"]
    assert not a["reused"] and a["build_s"] > 0 and "built in" in done.stderr + done.stdout
    text = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(out), "--format", "text"],
                          capture_output=True, text=True, timeout=60)
    flowing = " ".join(text.stdout.split())  # the terminal report wraps at 80 columns
    assert text.returncode == 0 and f"{SQLITE3}=={NEW} ({NEW}) against {SQLITE3}=={OLD} ({OLD})" in flowing


@pytest.mark.scan
def test_a_broken_cached_environment_is_rebuilt_not_reused(cache):
    from otelaudit.compare import envs

    spec = envs.EnvSpec(f"opentelemetry-sdk=={SDK_NEW}", ((f"opentelemetry-sdk=={SDK_NEW}", "packaging"),))
    built = envs.ensure(spec, envs.cache_root(str(cache)))
    assert not built.reused
    assert envs.ensure(spec, cache).reused
    sdk = next(Path(built.home).glob("lib/python*/site-packages/opentelemetry/sdk"))
    subprocess.run(["rm", "-rf", str(sdk)], check=True)  # as a half-finished install or a cleaner leaves it
    notes: "list[str]" = []
    again = envs.ensure(spec, cache, on_progress=notes.append)
    assert not again.reused and any("is broken" in n for n in notes)
    assert envs.ensure(spec, cache, rebuild=True).reused is False


@pytest.mark.scan
def test_two_sdk_releases_on_a_scenario_of_the_sdk(cache):
    out = cache.parent / "sdk.json"
    done = compare(f"opentelemetry-sdk=={SDK_OLD}", f"opentelemetry-sdk=={SDK_NEW}", "--scenario", "sdk_attributes",
                   *TINY, "--json", str(out), cache=cache)
    assert done.returncode == 0, done.stderr[-2000:]
    comparison = json.loads(out.read_text())["comparison"]
    a, b = comparison["a"], comparison["b"]
    assert a["scenario"]["name"] == "sdk_attributes" and a["instrumentor"] is None
    assert (a["packages"]["opentelemetry-sdk"], a["packages"]["opentelemetry-api"]) == (SDK_OLD, SDK_OLD)
    assert (b["packages"]["opentelemetry-sdk"], b["packages"]["opentelemetry-api"]) == (SDK_NEW, SDK_NEW)
    assert a["telemetry_per_op"]["spans"] == b["telemetry_per_op"]["spans"] == 1.0
    assert comparison["result"]["comparison"]["verdict"] in ("overhead", "no-detectable-overhead", "inconclusive")
    assert comparison["pin_differences"] == []  # api and sdk are what moves; nothing else may
    text = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(out), "--format", "text"],
                          capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and "scenario sdk_attributes" in " ".join(text.stdout.split())


# Bad input: one line, a distinct exit code, no environment kept.
@pytest.mark.parametrize("args, code, words", [
    ((f"{SQLITE3}==0.1b0", f"{SQLITE3}=={NEW}"), ExitCode.UNKNOWN_TARGET, "has no release 0.1b0"),
    (("opentelemetry-instrumentation-no-such-thing==1.0b0",), ExitCode.UNKNOWN_TARGET, "no distribution named"),
    ((f"{SQLITE3}=={OLD}", f"opentelemetry-instrumentation-httpx=={OLD}"), ExitCode.USAGE, "same distribution"),
    ((f"{SQLITE3}=={OLD}", "--index-url", "http://127.0.0.1:9/simple"), ExitCode.INDEX_UNREACHABLE,
     "cannot reach the package index"),
    ((f"{SQLITE3}>={OLD}",), ExitCode.USAGE, "expected DIST==VERSION"),
])
def test_bad_input_is_one_line_with_its_exit_code_and_nothing_cached(tmp_path, args, code, words):
    cache = tmp_path / "envs"
    done = compare(*args, cache=cache, timeout=60)
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr and "Traceback" not in done.stderr
    assert environments(cache) == []


def test_a_distribution_that_is_no_instrumentation_is_refused_and_not_cached(tmp_path):
    cache = tmp_path / "envs"
    done = compare("six==1.16.0", "six==1.17.0", cache=cache, timeout=120)
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("otelaudit: building")]
    assert done.returncode == ExitCode.NO_SCENARIO, done.stderr
    assert lines == ["otelaudit: error: six provides no opentelemetry_instrumentor entry point: compare takes an "
                     "instrumentation (DIST==A [DIST==B]), opentelemetry-sdk or opentelemetry-api"]
    assert environments(cache) == []


@pytest.mark.parametrize("where", ["cache-dir", "home"])
def test_an_unwritable_cache_names_the_option(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder inside a file cannot be made, even by root
    env = {k: v for k, v in os.environ.items() if k != "OTELAUDIT_CACHE"}
    if where == "home":
        env["HOME"] = str(blocker)
        command = [sys.executable, "-m", "otelaudit", "compare", f"{SQLITE3}=={OLD}"]
    else:
        command = [sys.executable, "-m", "otelaudit", "compare", f"{SQLITE3}=={OLD}", "--cache-dir",
                   str(blocker / "envs")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.count("\n") == 1 and "--cache-dir" in done.stderr


# The index answers, parsed offline: what decides "no such release" before anything is built.
def test_versions_are_read_from_json_and_html_index_pages_and_wheel_folders(tmp_path):
    from otelaudit.compare import index

    page = json.dumps({"files": [{"filename": "opentelemetry_sdk-1.45.1-py3-none-any.whl"},
                                 {"filename": "opentelemetry_sdk-1.45.1.tar.gz"},
                                 {"filename": "opentelemetry_sdk-1.44.0-py3-none-any.whl"}]})
    assert index._versions_in("opentelemetry-sdk", page, True) == ("1.45.1", "1.44.0")
    html = '<a href="x">otelaudit_planted-2.0-py3-none-any.whl</a><a href="y">other-1.0.tar.gz</a>'
    assert index._versions_in("otelaudit-planted", html, False) == ("2.0",)
    (tmp_path / "otelaudit_planted-1.0-py3-none-any.whl").write_text("")
    assert index.local_versions("otelaudit.planted", [str(tmp_path)]) == ("1.0",)
    assert index.version_of("foo-bar", "foo-bar-0.3b1.tar.gz") == "0.3b1"
    assert index.version_of("foo", "foo-bar-0.3b1.tar.gz") is None
    assert index._equal_versions("1.45", ["1.45.0"]) and not index._equal_versions("1.4", ["1.45.0"])


def test_a_side_that_produced_no_telemetry_makes_the_comparison_invalid_not_cheaper():
    from otelaudit.compare.model import silent, version_comparison
    from otelaudit.model import ABResult, Comparison, Estimate, Instrumentor, ScenarioDescription, Telemetry, Version
    from otelaudit.render.compare import terminal_lines

    scenario = ScenarioDescription("logging", "m", "logging", 8, Telemetry(log_records=1))

    def side(version: str, records: float) -> Version:
        instrumentor = Instrumentor("logging", "x:Y", "opentelemetry-instrumentation-logging", version)
        return Version(f"opentelemetry-instrumentation-logging=={version}", sys.executable, True, instrumentor,
                       scenario, {}, telemetry_per_op=Telemetry(log_records=records))

    flat = Estimate(0.0, 0.0, 0.0)
    measured = ABResult("A", "B", 500, Comparison("sdk", Estimate(78.0, 74.0, 102.0), flat, flat, flat,
                                                  Estimate(1.0, 0.5, 1.5), flat, "overhead", 5),
                        baseline_cpu_us_per_op=33.0)
    invalid = version_comparison(side("0.49b0", 0.0), side("0.66b1", 1.0), measured, ())
    assert silent(invalid.a, invalid.b) == ("opentelemetry-instrumentation-logging==0.49b0",)
    text = " ".join(" ".join(terminal_lines(invalid)).split())
    assert "invalid: a side produced no telemetry" in text and "a regression" not in text
    valid = version_comparison(side("0.60b0", 1.0), side("0.66b1", 1.0), measured, ())
    assert silent(valid.a, valid.b) == () and "a regression" in " ".join(terminal_lines(valid))


SDK_SCENARIOS = ["sdk_attributes", "sdk_attributes_bulk", "sdk_threads", "sdk_metrics", "sdk_baggage", "sdk_logs"]


def test_scenarios_of_the_sdk_are_named_targets_of_the_installed_sdk_never_scanned_by_default():
    from otelaudit.discover.catalog import all_scenarios
    from otelaudit.discover.instrumentors import discover_instrumentors, select_targets

    scenarios, installed = all_scenarios(), discover_instrumentors()
    named = select_targets(SDK_SCENARIOS, installed, scenarios)
    assert named.unknown == () and [t.scenario.name for t in named.targets] == SDK_SCENARIOS
    assert {(t.instrumentor.distribution, t.instrumentor.value) for t in named.targets} == {("opentelemetry-sdk", "")}
    everything = select_targets([], installed, scenarios)
    assert not {t.scenario.name for t in everything.targets if t.scenario} & set(SDK_SCENARIOS)


@pytest.mark.parametrize("name", SDK_SCENARIOS)
def test_each_scenario_of_the_sdk_produces_exactly_its_telemetry_under_the_sdk_and_runs_without_one(name):
    from otelaudit.discover.catalog import all_scenarios
    from otelaudit.model import RunSpec
    from otelaudit.run.runner import SubprocessRunner

    scenario = next(s for s in all_scenarios().values() if s.name == name)
    results = {arm: SubprocessRunner().run(RunSpec(scenario.module, name, arm, 0, 40, 4, scenario.concurrency), {}, 60)
               for arm in ("sdk", "baseline")}
    assert all(r.ok for r in results.values()), {arm: r.failure for arm, r in results.items()}
    assert results["sdk"].telemetry.per(results["sdk"].ops) == scenario.expects
    assert results["baseline"].telemetry.total == 0
