"""The pytest plugin, run for real with pytester: budgets that pass, fail and gate call counts."""

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def audited(pytester, fixture_site):
    def run(body: str):
        pytester.makepyfile(test_audit="import pytest\n\n" + body)
        return pytester.runpytest_inprocess("-p", "no:cacheprovider")
    return run


def test_a_generous_budget_passes_and_is_summarised(audited):
    result = audited(
        "@pytest.mark.otelaudit(max_cpu_ratio=1e9)\n"
        "def test_ok(otelaudit):\n"
        "    assert otelaudit.audit('fixture-ok').status == 'ok'\n")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*otelaudit budgets*", "*PASS*fixture-ok: max_cpu_ratio=1e+09: pass*"])


def test_an_exceeded_budget_fails_with_the_measured_value(audited):
    result = audited(
        "@pytest.mark.otelaudit(max_cpu_us_per_op=0.0001)\n"
        "def test_tight(otelaudit):\n"
        "    otelaudit.audit('fixture-ok')\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*otelaudit budget exceeded*", "*max_cpu_us_per_op=0.0001: fail: CPU overhead*95% CI*"])


def test_the_call_count_gate_catches_the_planted_metadata_lookup(audited):
    result = audited(
        "@pytest.mark.otelaudit(max_calls_per_op={'package-metadata': 0})\n"
        "def test_gate(otelaudit):\n"
        "    otelaudit.audit('planted')\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*package-metadata calls per operation 1 (limit 0): fail*importlib.metadata.version()*:26*"])


def test_a_misspelt_budget_is_reported_at_setup(audited):
    result = audited(
        "@pytest.mark.otelaudit(max_cpu=1)\n"
        "def test_typo(otelaudit):\n"
        "    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*invalid @pytest.mark.otelaudit: unknown budget 'max_cpu' (did you mean max_cpu_ratio?)*"])


def test_save_then_compare_catches_an_injected_regression(pytester, fixture_site, monkeypatch):
    pytester.makepyfile(test_audit="def test_audit(otelaudit):\n    otelaudit.audit('fixture-ok')\n")
    storage = str(pytester.path / "runs")
    saved = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-save", "before",
                                         "--otelaudit-storage", storage)
    saved.assert_outcomes(passed=1)
    # pytest-benchmark's storage layout: <storage>/<machine id>/<NNNN>_<name>.json
    saved.stdout.fnmatch_lines(["*otelaudit: saved 1 audited result(s) to *runs/*-64bit/0001_before.json*"])
    same = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-compare", "0001",
                                        "--otelaudit-storage", storage, "--otelaudit-threshold", "10")
    same.assert_outcomes(passed=1)  # within ten times the saved overhead: no regression
    monkeypatch.setenv("FIXTURE_EXTRA_WORK", "20000")  # hundreds of µs per call, versus tens before
    slower = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-compare", "before",
                                          "--otelaudit-storage", storage)
    slower.assert_outcomes(failed=1)
    slower.stdout.fnmatch_lines(["*fixture-ok: CPU overhead*vs saved*allowed*: fail*"])


INCONCLUSIVE = (
    "def test_unsure(otelaudit):\n"
    "    result = otelaudit.audit('fixture-ok')\n"
    "    interval = result.overhead.cpu_us_per_op\n"
    "    otelaudit.check(result, max_cpu_us_per_op=(interval.ci_low + interval.ci_high) / 2)\n"
)


def test_an_inconclusive_budget_warns_by_default(pytester, fixture_site):
    pytester.makepyfile(test_audit=INCONCLUSIVE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*OtelauditWarning*max_cpu_us_per_op=*: inconclusive*", "*INCONCLUSIVE*"])


def test_an_inconclusive_budget_fails_when_strict(pytester, fixture_site):
    pytester.makepyfile(test_audit=INCONCLUSIVE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-strict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*inconclusive (strict)*"])


USER_WORKLOAD = '''
import sqlite3

import otelaudit_planted_library as library


def make_db():
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.execute("create table orders (id integer, sku text)")
    return connection


def lookup(connection):  # through a cursor: the instrumentation does not trace Connection.execute
    connection.cursor().execute("select count(*) from orders").fetchall()


async def place_order(connection):
    library.handle({"id": 1, "sku": "A-1", "quantity": 2})
    connection.cursor().execute("insert into orders values (?, ?)", (1, "A-1"))

'''


def test_a_users_own_sync_workload_is_measured_under_its_instrumentor(audited):
    result = audited(USER_WORKLOAD +
        "@pytest.mark.otelaudit(max_cpu_ratio=1e9)\n"
        "def test_lookup(otelaudit):\n"
        "    result = otelaudit.audit_workload(lookup, ['sqlite3'], setup=make_db, concurrency=1)\n"
        "    assert result.status == 'ok', result.failure\n"
        "    assert result.scenario == 'test_audit:lookup'\n"
        "    assert result.telemetry_per_op.spans >= 1\n"
        "    assert result.overhead.cpu_us_per_op.estimate > 0\n")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PASS*test_audit:lookup under sqlite3: max_cpu_ratio=1e+09: pass*"])


def test_a_users_async_workload_under_several_instrumentors_hits_the_call_count_gate(audited):
    result = audited(USER_WORKLOAD +
        "@pytest.mark.otelaudit(max_calls_per_op={'package-metadata': 0})\n"
        "def test_order(otelaudit):\n"
        "    otelaudit.audit_workload(place_order, ['planted', 'sqlite3'], setup=make_db,\n"
        "                             expects={'spans': 2})\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*test_audit:place_order under planted: package-metadata calls per operation 1 (limit 0): fail*:26*"])


def test_auditing_a_workload_under_an_unknown_instrumentor_says_which_exist(audited):
    result = audited(USER_WORKLOAD +
        "def test_typo(otelaudit):\n"
        "    otelaudit.audit_workload(lookup, ['sqlite'], setup=make_db)\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no installed instrumentor named 'sqlite' (installed: *sqlite3*"])


def test_the_plugin_shares_the_scan_options_under_its_prefix(pytester):
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--help")
    result.stdout.fnmatch_lines(["*--otelaudit-rounds=N*", "*--otelaudit-precision=TARGET*", "*--otelaudit-budget=TIME*",
                                 "*--otelaudit-no-control*", "*--otelaudit-deterministic*", "*--otelaudit-strict*"])


def test_a_bad_precision_is_refused_before_anything_runs(pytester):
    pytester.makepyfile(test_audit="def test_never(otelaudit):\n    raise AssertionError('ran')\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-precision", "2x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--otelaudit-precision: precision must look like 2% or 3us, got '2x'*"])


def test_settings_come_from_pyproject_then_the_command_line(pytester):
    pytester.makepyprojecttoml("[tool.otelaudit]\nrounds = 7\nseconds_per_run = 0.2\n")
    pytester.makepyfile(test_settings=(
        "from otelaudit.pytest_plugin import SETTINGS\n"
        "def test_settings(request):\n"
        "    s = request.config.stash[SETTINGS]\n"
        "    assert (s.rounds, s.seconds_per_run, s.precision.text, s.control_arm) == (3, 0.2, '2%', False)\n"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-rounds", "3",
                                          "--otelaudit-precision", "2%", "--otelaudit-no-control")
    result.assert_outcomes(passed=1)
