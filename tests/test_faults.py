"""Fault injection through the real CLI and the real pytest plugin: every bad input gets
a one-line error and its documented exit code, never a traceback, and nothing measured
is lost to a fault."""

import copy
import json
import os
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


BAD_NUMBERS = [("--timeout", "nan"), ("--timeout", "0"), ("--seconds-per-run", "inf"), ("--seconds-per-run", "-1")]


@pytest.mark.parametrize("flag, value", BAD_NUMBERS, ids=[" ".join(b) for b in BAD_NUMBERS])
def test_a_zero_negative_nan_or_infinite_flag_is_a_usage_error(otelaudit, flag, value):
    run = otelaudit("scan", "sqlite3", "--quick", f"{flag}={value}", timeout=60)
    assert run.code == 2 and "Traceback" not in run.stderr
    assert f"argument {flag}: must be a positive number, got {value}" in run.stderr


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
    ("rounds = 0\n", "[tool.otelaudit]: rounds must be at least 1, got 0"),
    ("rounds = -3\n", "[tool.otelaudit]: rounds must be at least 1, got -3"),
    ("seconds_per_run = 0\n", "[tool.otelaudit]: seconds_per_run must be a positive number, got 0"),
    ("seconds_per_run = -0.5\n", "[tool.otelaudit]: seconds_per_run must be a positive number, got -0.5"),
    ("seconds_per_run = nan\n", "[tool.otelaudit]: seconds_per_run must be a positive number, got nan"),
    ("seconds_per_run = inf\n", "[tool.otelaudit]: seconds_per_run must be a positive number, got inf"),
    ("threshold = -0.1\n", "[tool.otelaudit]: threshold must be zero or more, got -0.1"),
    ("threshold = nan\n", "[tool.otelaudit]: threshold must be zero or more, got nan"),
    ("max_cpu_ratio = 0\n", "[tool.otelaudit]: max_cpu_ratio must be a positive number, got 0"),
    ("max_cpu_us_per_op = nan\n", "[tool.otelaudit]: max_cpu_us_per_op must be a positive number, got nan"),
    ("max_latency_p99_us = -inf\n", "[tool.otelaudit]: max_latency_p99_us must be a positive number, got -inf"),
    ("max_instruction_ratio = -2\n", "[tool.otelaudit]: max_instruction_ratio must be a positive number, got -2"),
    ("max_calls_per_op = {package-metadata = -1}\n",
     "[tool.otelaudit]: max_calls_per_op[package-metadata] must be zero or more, got -1"),
    ("max_calls_per_op = {package-metadata = nan}\n",
     "[tool.otelaudit]: max_calls_per_op[package-metadata] must be zero or more, got nan"),
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


@pytest.fixture(scope="module")
def shadowed_scan(tmp_path_factory):
    """One scan run from a folder with a shadowing asyncio.py and sqlite3.py, whose --html
    directory goes away mid-scan (after the first JSON rewrite, so every check has passed)."""
    folder = tmp_path_factory.mktemp("project")
    for name, text in SHADOWS.items():
        (folder / name).write_text(text)
    gone, json_path = folder / "gone", folder / "r.json"
    gone.mkdir()
    scan = _start(folder, "scan", "sqlite3", "--quick", "--quiet", "--json", str(json_path),
                  "--html", str(gone / "r.html"))
    _wait_for(json_path, scan)
    gone.rmdir()
    stdout, stderr = scan.communicate(timeout=300)
    return scan.returncode, stdout, stderr, json.loads(json_path.read_text()), gone


def test_a_failed_output_costs_neither_the_others_nor_the_table(shadowed_scan):
    """Exit 11, one line, the JSON and the table kept."""
    code, stdout, stderr, report, gone = shadowed_scan
    assert code == 11, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if "error" in line] == \
        [f"otelaudit: error: cannot write {gone / 'r.html'}: No such file or directory"]
    assert "sqlite3" in stdout and "CPU" in stdout  # the terminal table
    assert report["complete"] is True and report["results"][0]["status"] == "ok"


def test_an_interrupted_scan_leaves_a_report_marked_incomplete(tmp_path, otelaudit, sqlite_scan):
    assert sqlite_scan.report["complete"] is True and sqlite_scan.report["schema_version"] == "1.3"
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


def _ctrl_c_as_in_a_terminal() -> None:
    """A process started with SIGINT ignored (pytest-xdist's workers) keeps it ignored, and
    Python then never raises KeyboardInterrupt: the scan under test gets a terminal's default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(cwd, *args):
    return subprocess.Popen([sys.executable, "-m", "otelaudit", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_ctrl_c_as_in_a_terminal)


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


def test_a_scan_never_imports_modules_from_the_current_directory(shadowed_scan):
    code, stdout, stderr, report, _ = shadowed_scan
    assert "local" not in stderr + stdout
    assert report["complete"] is True and report["results"][0]["status"] == "ok"


def test_loopback_servers_start_outside_the_current_directory(shadowed_cwd, monkeypatch):
    from otelaudit.servers.running import running_servers

    monkeypatch.chdir(shadowed_cwd)
    with running_servers(["http"]) as servers:
        host, port = servers["http"]
    assert port > 0 and host


# --- faults survived: a killed child is retried once, a failed round keeps the rounds before it ------

FAKE_CHILD = """#!/bin/sh
# A stand-in for the measuring interpreter: attempt N does what word N of $FAKE_PLAN says.
n=$(ls "$FAKE_STATE" | wc -l)
touch "$FAKE_STATE/attempt$n"
result=$4
case $(echo $FAKE_PLAN | cut -d' ' -f$((n + 1))) in
  kill) kill -9 $$ ;;
  early-crash) echo "cannot import the scenario" >&2; exit 1 ;;
  workload-crash) touch "$result.began"; exit 3 ;;
  early-hang) exec sleep 30 ;;
  workload-hang) touch "$result.began"; exec sleep 30 ;;
  ok) echo '{"arm": "sdk", "round": 2, "ops": 10}' > "$result" ;;
esac
"""


@pytest.fixture
def fake_child(tmp_path, monkeypatch):
    """A SubprocessRunner whose 'python' follows a plan, in a temp dir of its own."""
    from otelaudit.run.runner import SubprocessRunner
    from otelaudit.model import RunSpec

    python, state, scratch = tmp_path / "python", tmp_path / "state", tmp_path / "tmp"
    python.write_text(FAKE_CHILD)
    python.chmod(0o755)
    state.mkdir()
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))

    def run(plan: str, timeout_s: float = 30, **spec):
        fields = dict(scenario_module="m", scenario_name="s", arm="sdk", round=2, ops=10, warmup_ops=1, concurrency=1, **spec)
        result = SubprocessRunner(str(python), fork=False).run(RunSpec(**fields), {"FAKE_STATE": str(state), "FAKE_PLAN": plan},
                                                   timeout_s)
        return result, len(list(state.iterdir())), list(scratch.iterdir())

    run.state = state
    return run


RETRIES = [
    # plan, attempts, ok, what the result says
    ("kill ok", 2, True, "the measuring child for timed round 3 (sdk arm) was killed by SIGKILL; retried once, "
                         "the retry measured it"),
    ("kill kill", 2, False, "the measuring child for timed round 3 (sdk arm) was killed by SIGKILL (retried once: "
                            "the first attempt was killed by SIGKILL)"),
    ("early-crash ok", 2, True, "exited with code 1 before its workload began: cannot import the scenario; retried"),
    ("workload-crash ok", 1, False, "the measuring child for timed round 3 (sdk arm) exited with code 3: no output"),
]


@pytest.mark.parametrize("plan, attempts, ok, words", RETRIES, ids=[r[0] for r in RETRIES])
def test_a_child_that_died_outside_its_workload_is_retried_once(fake_child, plan, attempts, ok, words):
    result, tried, left = fake_child(plan)
    assert (tried, result.ok) == (attempts, ok)
    assert words in (result.retried if ok else result.failure.message)
    assert left == []  # every attempt's directory removed


TIMEOUTS = [
    ("early-hang", "timed out after 0.3 s before its workload began: starting the interpreter"),
    ("workload-hang", "the measuring child for timed round 3 (sdk arm) timed out after 0.3 s in its workload"),
]


@pytest.mark.parametrize("plan, words", TIMEOUTS, ids=[t[0] for t in TIMEOUTS])
def test_a_timeout_says_after_how_long_in_which_phase_and_is_not_retried(fake_child, plan, words):
    result, tried, left = fake_child(plan, timeout_s=0.3)
    assert (tried, result.failure.kind) == (1, "timeout")
    assert words in result.failure.message and left == []


def test_every_phase_is_named():
    from otelaudit.model import RunSpec, WhatIf
    from otelaudit.run.runner import phase_of

    def spec(mode, round_index=2, whatif=None):
        return RunSpec(scenario_module="m", scenario_name="s", arm="sdk", round=round_index, ops=1, warmup_ops=1,
                       concurrency=1, mode=mode,
                       whatif=whatif)

    named = [phase_of(spec("calibrate", -1)), phase_of(spec("probe", -1)), phase_of(spec("memory", -1)),
             phase_of(spec("profile", 0)), phase_of(spec("measure")), phase_of(spec("measure", -1)),
             phase_of(spec("measure", 4, WhatIf("m", "f", "x.py", 1)))]
    assert named == ["calibration", "the triage call-count probe", "the memory-growth run", "sampled profile pair 1",
                     "timed round 3", "a single measuring run", "verification round 5"]


def test_stopping_kills_live_children_and_starts_no_retry(fake_child):
    import threading

    from otelaudit.run.runner import allow_children, stop_children

    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(fake_child("workload-hang ok")))
    started = time.monotonic()
    worker.start()
    while not any(fake_child.state.iterdir()) and time.monotonic() - started < 10:
        time.sleep(0.01)
    time.sleep(0.05)  # past the shell's `touch`, into its sleep
    stop_children()
    try:
        worker.join(10)
    finally:
        allow_children()
    (result, tried, left), = outcome
    assert time.monotonic() - started < 5 and (tried, left) == (1, [])
    assert "was killed by SIGKILL" in result.failure.message


def test_directories_of_a_process_that_is_gone_are_swept(tmp_path):
    from otelaudit.run.workdirs import remove_stale

    ended = subprocess.Popen(["true"])
    ended.wait()
    for name in (f"otelaudit-run-{ended.pid}-x1", f"otelaudit-cold-{ended.pid}-x2", f"otelaudit-run-{os.getppid()}-x3",
                 "otelaudit-run-x4", f"other-{ended.pid}-x5"):
        (tmp_path / name).mkdir()
    (tmp_path / f"otelaudit-run-{ended.pid}-x1" / "spec.json").write_text("{}")
    removed = remove_stale(str(tmp_path))
    assert sorted(os.path.basename(p) for p in removed) == [f"otelaudit-cold-{ended.pid}-x2",
                                                              f"otelaudit-run-{ended.pid}-x1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["otelaudit-run-x4", f"otelaudit-run-{os.getppid()}-x3", f"other-{ended.pid}-x5"])


class RoundFailingRunner:
    """The in-memory runner of test_pipeline, whose timed `arm` fails from round `at` on."""

    def __init__(self, at: int, arm: str = "api", retried_round: int = -1) -> None:
        from test_pipeline import FakeRunner

        self.fake, self.at, self.arm, self.retried_round = FakeRunner(), at, arm, retried_round

    def run(self, spec, env, timeout_s):
        from dataclasses import replace

        from otelaudit.model import Failure, RunResult

        if spec.mode == "measure" and spec.whatif is None and spec.arm == self.arm and spec.round >= self.at:
            return RunResult(spec.arm, spec.round, failure=Failure("workload-crashed", "the measuring child for "
                             f"timed round {spec.round + 1} ({spec.arm} arm) was killed by SIGKILL (retried once)"))
        result = self.fake.run(spec, env, timeout_s)
        if spec.mode == "measure" and spec.round == self.retried_round and spec.arm == "sdk":
            result = replace(result, retried="the sdk child of round 1 was killed by SIGTERM; retried once")
        return result


KEPT = [
    # rounds, failing from round, status, rounds kept, verdict, words
    (8, 6, "ok", 6, "overhead", "the overhead is from the 6 rounds completed before it"),
    (5, 3, "ok", 3, "inconclusive", "the 3 rounds completed before it, too few for a verdict (5 needed): inconclusive"),
    (5, 1, "error", None, None, "the 1 round completed before it is too few to compare"),
    (5, 0, "error", None, None, "timed round 1 (api arm) was killed by SIGKILL (retried once)"),
]


@pytest.mark.parametrize("rounds, at, status, kept, verdict, words", KEPT, ids=[f"round-{k[1]}-of-{k[0]}" for k in KEPT])
def test_a_failed_round_keeps_the_rounds_before_it(fixture_site, rounds, at, status, kept, verdict, words):
    from otelaudit.errors import exit_code_for
    from otelaudit.pipeline import ScanOptions, scan

    # settle=None: the fake's steady overhead would settle before the failing round is played
    options = ScanOptions(targets=("fixture-ok",), rounds=rounds, seed=1, verify=False, settle=None)
    result = scan(options, runner=RoundFailingRunner(at)).results[0]
    assert (result.status, result.failure.kind) == (status, "workload-crashed")
    assert words in result.failure.message
    assert exit_code_for([result]) == 8  # still a fault the scan reports
    if kept is not None:
        assert result.overhead.rounds == kept and result.overhead.verdict == verdict
        assert result.arms["sdk"].rounds == kept and result.precision is None
    else:
        assert result.overhead is None


def test_a_retried_run_is_said_in_the_report(fixture_site):
    from otelaudit.pipeline import ScanOptions, scan

    options = ScanOptions(targets=("fixture-ok",), rounds=5, seed=1, verify=False)
    result = scan(options, runner=RoundFailingRunner(at=99, retried_round=0)).results[0]
    assert result.status == "ok" and result.failure is None
    assert "the sdk child of round 1 was killed by SIGTERM; retried once" in result.warnings


def _measuring_children(ancestor: int):
    """(pid, spec) of the live measuring children below `ancestor` (spawned, or forked from
    a zygote), found by their working directory, from /proc."""
    parents = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            parents[int(entry)] = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    below = {ancestor}
    while True:
        more = {pid for pid, parent in parents.items() if parent in below} - below
        if not more:
            break
        below |= more
    for pid in below - {ancestor}:
        try:
            folder = os.readlink(f"/proc/{pid}/cwd")
            spec = json.load(open(os.path.join(folder, "spec.json"))) if "otelaudit-run-" in folder else None
        except (OSError, ValueError):
            continue
        if spec is not None:
            yield pid, spec


def _scan_in(tmp_path, *args):
    """A scan with its own TMPDIR, so its children's directories can be counted."""
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(scratch))
    scan = subprocess.Popen([sys.executable, "-m", "otelaudit", "scan", *args, "--quiet"], cwd=tmp_path, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_as_in_a_terminal)
    return scan, scratch


def _first_child(scan, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = next(_measuring_children(scan.pid), None)
        if found is not None:
            return found
        assert scan.poll() is None, scan.communicate()
        time.sleep(0.02)
    raise AssertionError("no measuring child started")


@pytest.mark.scan
def test_a_child_killed_twice_costs_its_round_only(fixture_site, tmp_path):
    """kill -9 of a timed round's child and of its retry: the scan goes on, judges the
    rounds before it, and names the signal, phase and arm; exit 8."""
    json_path = tmp_path / "r.json"
    scan, scratch = _scan_in(tmp_path, "fixture-ok", "--quick", "--rounds", "3", "--no-control",
                             "--json", str(json_path))
    killed, killed_arm = [], None
    while scan.poll() is None and len(killed) < 2:
        for pid, spec in list(_measuring_children(scan.pid)):
            timed_round_3 = (spec["mode"], spec["round"], spec["whatif"]) == ("measure", 2, None)
            if timed_round_3 and pid not in killed and killed_arm in (None, spec["arm"]):  # a child, then its retry
                os.kill(pid, signal.SIGKILL)
                killed, killed_arm = killed + [pid], spec["arm"]
        time.sleep(0.01)
    stdout, stderr = scan.communicate(timeout=300)
    assert len(killed) == 2 and scan.returncode == 8, stderr
    said = (f"the measuring child for timed round 3 ({killed_arm} arm) was killed by SIGKILL (retried once: the "
            "first attempt was killed by SIGKILL); the overhead is from the 2 rounds completed before it, too few "
            "for a verdict (5 needed): inconclusive")
    assert f"otelaudit: fixture-ok: {said}" in stderr.splitlines() and "Traceback" not in stderr
    assert "inconclusive" in stdout  # the terminal table still shows the measurement
    result = json.loads(json_path.read_text())["results"][0]
    assert (result["status"], result["failure"]) == ("ok", {"kind": "workload-crashed", "message": said})
    assert result["overhead"]["rounds"] == 2 and result["overhead"]["verdict"] == "inconclusive"
    assert list(scratch.iterdir()) == []


INTERRUPTS = [(signal.SIGTERM, ()), (signal.SIGINT, ()), (signal.SIGTERM, ("fixture-ok", "--jobs", "2"))]


@pytest.mark.parametrize("stop, more", INTERRUPTS, ids=["SIGTERM", "SIGINT", "SIGTERM-jobs-2"])
def test_an_interrupted_scan_kills_its_children_and_removes_its_directories(fixture_site, tmp_path, stop, more):
    scan, scratch = _scan_in(tmp_path, "fixture-hang", *more, "--quick", "--timeout", "60")
    _first_child(scan)
    time.sleep(0.5)
    children = [pid for pid, _ in _measuring_children(scan.pid)]
    scan.send_signal(stop)
    _, stderr = scan.communicate(timeout=30)
    assert scan.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert [pid for pid in children if os.path.exists(f"/proc/{pid}")] == [] and list(scratch.iterdir()) == []


def test_the_directories_of_a_killed_scan_go_at_the_next_start(fixture_site, tmp_path):
    """SIGKILL cannot be caught: the next otelaudit removes what the dead one left."""
    scan, scratch = _scan_in(tmp_path, "fixture-hang", "--quick", "--timeout", "60")
    child, _ = _first_child(scan)
    scan.kill()
    scan.communicate()
    os.kill(child, signal.SIGKILL)  # the orphan would sleep on; its directory stays
    left = [p.name for p in scratch.iterdir()]
    assert f"otelaudit-run-{scan.pid}-" in " ".join(left) and all(f"-{scan.pid}-" in name for name in left)
    after, _ = _scan_in(tmp_path, "fixture-crash", "--quick")
    assert after.wait(120) == 8 and list(scratch.iterdir()) == []
