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
    result.stdout.fnmatch_lines(["*invalid @pytest.mark.otelaudit: unknown otelaudit budget(s): max_cpu*"])


def test_save_then_compare_catches_an_injected_regression(pytester, fixture_site, monkeypatch):
    pytester.makepyfile(test_audit="def test_audit(otelaudit):\n    otelaudit.audit('fixture-ok')\n")
    storage = str(pytester.path / "runs")
    saved = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-save", "before",
                                         "--otelaudit-storage", storage)
    saved.assert_outcomes(passed=1)
    saved.stdout.fnmatch_lines(["*otelaudit: saved 1 audited result(s) to *before.json*"])
    same = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--otelaudit-compare", "before",
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
