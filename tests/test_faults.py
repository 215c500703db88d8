"""Fault injection through the real CLI and the real pytest plugin: every bad input gets
a one-line error and its documented exit code, never a traceback, and nothing measured
is lost to a fault."""

import copy
import json
import random
import signal
import subprocess
import sys
import time

import pytest
from conftest import CliRun

pytest_plugins = ["pytester"]


def _one_line_error(run, code: int, *words: str) -> str:
    assert run.code == code, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    errors = [line for line in run.stderr.splitlines() if line.startswith("otelaudit: error:")]
    assert len(errors) == 1, run.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


# --- budgets: one validation for --fail-on, the marker and [tool.otelaudit] -----------------------

FAIL_ON = [
    (["--fail-on", "forbid_rules=OA1O2"], "unknown rule 'OA1O2' (did you mean OA102?)"),
    (["--fail-on", "max_calls_per_op:package_metadata=0"], "did you mean package-metadata?"),
    (["--fail-on", "max_cpu_ratio=-1"], "max_cpu_ratio must be a positive number, got -1"),
    (["--fail-on", "max_cpu_ratio=nan"], "must be a positive number, got nan"),
    (["--fail-on", "max_cpu_ratio=0"], "must be a positive number, got 0"),
    (["--fail-on", "max_cpu=2"], "unknown budget 'max_cpu' (did you mean max_cpu_ratio?)"),
    (["--ignore", "OA1O7"], "--ignore: unknown rule 'OA1O7' (did you mean OA107?)"),
]


@pytest.mark.parametrize("flags, words", FAIL_ON, ids=[" ".join(f) for f, _ in FAIL_ON])
def test_a_bad_fail_on_budget_is_refused_before_anything_runs(otelaudit, flags, words):
    run = otelaudit("scan", "sqlite3", "--quick", *flags, timeout=60)
    _one_line_error(run, 2, words)
    assert run.report is None  # refused before measuring: no report begun


def test_an_unknown_target_names_the_closest_installed_one(otelaudit):
    run = otelaudit("scan", "sqlit3", "--quick", timeout=120)
    assert run.code == 3, run.stderr
    assert "no installed instrumentor or distribution named 'sqlit3' (did you mean sqlite3?)" in run.stderr


@pytest.fixture
def plugin_run(pytester):
    def run(body: str, pyproject: str = ""):
        if pyproject:
            pytester.makefile(".toml", pyproject="[tool.otelaudit]\n" + pyproject)
        pytester.makepyfile(test_gate="import pytest\n\n" + body)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider")
    return run


MARKERS = [
    ('forbid_rules="OA102"', "forbid_rules must be a list of rule ids, e.g. [\"OA102\"], got str 'OA102'"),
    ('forbid_rules=["OA1O2"]', "unknown rule 'OA1O2' (did you mean OA102?)"),
    ('max_calls_per_op={"package_metadata": 0}', "did you mean package-metadata?"),
    ('max_calls_per_op={"importlib.metadata.versoin": 0}', "did you mean importlib.metadata.version?"),
    ("max_cpu_ratio=-1", "max_cpu_ratio must be a positive number, got -1"),
    ('max_cpu_ratio=float("nan")', "must be a positive number, got nan"),
    ('"max_cpu_ratio"', "takes budgets as keywords"),
]


@pytest.mark.parametrize("arguments, words", MARKERS, ids=[m for m, _ in MARKERS])
def test_a_bad_marker_is_a_setup_error_naming_the_fix(plugin_run, arguments, words):
    result = plugin_run(f"@pytest.mark.otelaudit({arguments})\ndef test_gated(otelaudit):\n    pass\n")
    result.assert_outcomes(errors=1)
    assert words in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


PYPROJECT = [
    ("max_cpu_ration = 2\n", "[tool.otelaudit]: unknown key 'max_cpu_ration' (did you mean max_cpu_ratio?)"),
    ('forbid_rules = "OA102"\n', "forbid_rules must be a list of rule ids"),
    ("max_cpu_ratio = -1\n", "max_cpu_ratio must be a positive number, got -1"),
    ('rounds = "5"\n', "[tool.otelaudit]: rounds must be an integer, got '5'"),
]


@pytest.mark.parametrize("table, words", PYPROJECT, ids=[t.strip() for t, _ in PYPROJECT])
def test_a_bad_pyproject_table_stops_the_run_as_a_usage_error(plugin_run, table, words):
    result = plugin_run("def test_gated(otelaudit):\n    pass\n", pyproject=table)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert words in result.stderr.str()


def test_pyproject_budgets_are_every_tests_defaults_and_the_marker_overrides_them(plugin_run):
    result = plugin_run("@pytest.mark.otelaudit(forbid_rules=['OA1O1'])\ndef test_gated(otelaudit):\n    pass\n"
                        "\ndef test_plain(otelaudit):\n    pass\n", pyproject='forbid_rules = ["OA101"]\n')
    result.assert_outcomes(passed=1, errors=1)
    assert "did you mean OA101?" in result.stdout.str()


# --- `otelaudit report` on bad input ----------------------------------------------------------

BAD_REPORTS = [
    ("empty", "", "the file is empty"),
    ("list", "[]", "the JSON is a list, not an object"),
    ("null", "null", "the JSON is null, not an object"),
    ("foreign", '{"name": "other-tool", "version": 3}', "no schema_version (a file from another tool?)"),
    ("truncated", '{"schema_version": "1.2", "results": [', "invalid JSON"),
    ("major", '{"schema_version": "9.0"}', "report schema 9.0 is not one this otelaudit reads (it reads 1.x)"),
    ("shape", '{"schema_version": "1.2", "results": 5}', "missing otelaudit_version"),
]


@pytest.mark.parametrize("name, text, words", BAD_REPORTS, ids=[b[0] for b in BAD_REPORTS])
def test_report_refuses_what_is_no_report_in_one_line(otelaudit, tmp_path, name, text, words):
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    _one_line_error(otelaudit("report", str(path)), 2, words)


def test_report_accepts_a_newer_minor_schema_with_a_warning(otelaudit, sqlite_scan, tmp_path):
    newer = dict(sqlite_scan.report, schema_version="1.99", added_later={"x": 1})
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(newer))
    run = otelaudit("report", str(path))
    assert run.code == 0, run.stderr
    assert "warning: report schema 1.99 is newer than this otelaudit's" in run.stderr
    assert "sqlite3" in run.stdout


def _mutations(report: dict, seed: int, count: int):
    """Deterministic damage to a real report: truncations, deleted keys, values of the wrong type."""
    rng = random.Random(seed)
    text = json.dumps(report)
    odd_values = [None, [], {}, "x", -1, 0, 1e308, True, [None], {"a": None}, "9.0", 3.5]
    for n in range(count):
        if n % 3 == 0:
            yield text[: rng.randrange(len(text))]
            continue
        data = json.loads(text)
        for _ in range(rng.randint(1, 3)):
            holder, key = _random_slot(data, rng)
            if holder is None:
                break
            if isinstance(holder, dict) and rng.random() < 0.4:
                del holder[key]
            else:
                holder[key] = copy.deepcopy(rng.choice(odd_values))  # never one list in two places
        yield json.dumps(data)


def _random_slot(data, rng):
    """A random (container, key) on a random path down from the top."""
    holder, key = None, None
    node = data
    while isinstance(node, (dict, list)) and node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        holder, node = node, node[key]
        if rng.random() < 0.25:
            break
    return holder, key


def test_fuzzed_reports_never_give_a_traceback(sqlite_scan, tmp_path, capsys):
    from otelaudit.cli.main import main

    path = tmp_path / "fuzzed.json"
    codes = []
    for n, text in enumerate(_mutations(sqlite_scan.report, seed=14, count=300)):
        path.write_text(text)
        codes.append(main(["report", str(path), "--format", ("markdown", "text", "html")[n % 3]]))
        captured = capsys.readouterr()
        assert codes[-1] in (0, 2), captured.err
        if codes[-1] == 2:
            assert captured.err.count("\n") == 1 and captured.err.startswith("otelaudit: error: ")
    assert codes.count(2) > 100 and codes.count(0) > 5  # both kinds were exercised


# --- outputs: checked before measuring, written on their own, marked incomplete until the end ------

BAD_OUTPUTS = [
    (["--json", "/nonexistent/dir/r.json"], "--json /nonexistent/dir/r.json: directory /nonexistent/dir does not exist"),
    (["--html", "/proc/r.html"], "--html /proc/r.html: cannot write in /proc"),
    (["--markdown", "."], "is a directory, not a file"),
]


@pytest.mark.parametrize("flags, words", BAD_OUTPUTS, ids=[f[0] for f, _ in BAD_OUTPUTS])
def test_an_output_that_cannot_be_written_is_refused_before_the_scan(tmp_path, flags, words):
    run = _cli(tmp_path, "scan", "sqlite3", "--quick", "--quiet", *flags, timeout=60)
    _one_line_error(run, 2, words)


def test_report_output_is_checked_before_rendering(otelaudit, sqlite_scan):
    run = otelaudit("report", str(sqlite_scan.json_path), "-o", "/nonexistent/x.md")
    _one_line_error(run, 2, "--output /nonexistent/x.md: directory /nonexistent does not exist")


def test_a_failed_output_costs_neither_the_others_nor_the_table(tmp_path):
    """The --html directory goes away mid-scan: exit 11, one line, the JSON and table kept."""
    gone, json_path = tmp_path / "gone", tmp_path / "r.json"
    gone.mkdir()
    scan = _start(tmp_path, "scan", "sqlite3", "--quick", "--quiet", "--json", str(json_path),
                  "--html", str(gone / "r.html"))
    _wait_for(json_path, scan)
    gone.rmdir()
    stdout, stderr = scan.communicate(timeout=300)
    assert scan.returncode == 11, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if "error" in line] == \
        [f"otelaudit: error: cannot write {gone / 'r.html'}: No such file or directory"]
    assert "sqlite3" in stdout and "CPU" in stdout  # the terminal table
    report = json.loads(json_path.read_text())
    assert report["complete"] is True and report["results"][0]["status"] == "ok"


def test_an_interrupted_scan_leaves_a_report_marked_incomplete(tmp_path, otelaudit, sqlite_scan):
    assert sqlite_scan.report["complete"] is True and sqlite_scan.report["schema_version"] == "1.2"
    json_path = tmp_path / "r.json"
    scan = _start(tmp_path, "scan", "sqlite3", "--quick", "--quiet", "--json", str(json_path))
    _wait_for(json_path, scan)
    scan.send_signal(signal.SIGINT)
    scan.communicate(timeout=60)
    assert scan.returncode == 130
    assert json.loads(json_path.read_text())["complete"] is False
    rendered = {fmt: otelaudit("report", str(json_path), "--format", fmt) for fmt in ("text", "markdown", "html")}
    for fmt, run in rendered.items():
        assert run.code == 0 and "INCOMPLETE: the scan stopped before it finished" in run.stdout, (fmt, run.stderr)


def _cli(cwd, *args, timeout: float = 300):
    completed = subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True,
                               timeout=timeout, cwd=cwd)
    return CliRun(completed, None)


def _start(cwd, *args):
    return subprocess.Popen([sys.executable, "-m", "otelaudit", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(path, process, timeout: float = 240) -> None:
    """Until the scan's first JSON rewrite (triage), so every path check has passed."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)


# --- no code from the current directory -----------------------------------------------------

SHADOWS = {"asyncio.py": "raise SystemExit('the local asyncio.py was imported')\n",
           "sqlite3.py": "raise SystemExit('the local sqlite3.py was imported')\n"}


@pytest.fixture
def shadowed_cwd(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    for name, text in SHADOWS.items():
        (folder / name).write_text(text)
    return folder


def test_a_scan_never_imports_modules_from_the_current_directory(shadowed_cwd):
    json_path = shadowed_cwd / "r.json"
    run = _cli(shadowed_cwd, "scan", "sqlite3", "--quick", "--quiet", "--json", str(json_path))
    assert run.code == 0, run.stderr
    assert "local" not in run.stderr + run.stdout
    report = json.loads(json_path.read_text())
    assert report["complete"] is True and report["results"][0]["status"] == "ok"


def test_loopback_servers_start_outside_the_current_directory(shadowed_cwd, monkeypatch):
    from otelaudit.servers.running import running_servers

    monkeypatch.chdir(shadowed_cwd)
    with running_servers(["http"]) as servers:
        host, port = servers["http"]
    assert port > 0 and host
