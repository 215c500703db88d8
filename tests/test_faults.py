"""Fault injection through the real CLI and the real pytest plugin: every bad input gets
a one-line error and its documented exit code, never a traceback, and nothing measured
is lost to a fault."""

import pytest

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
