"""The shared fixtures catch what a test leaves behind: a profile or trace hook, tracemalloc
tracing, or an OTEL_* variable from the developer's shell."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("leak, named", [
    ("sys.setprofile(lambda *a: None)", "sys.setprofile"),
    ("sys.settrace(lambda *a: None)", "sys.settrace"),
    ("threading.setprofile(lambda *a: None)", "threading.setprofile"),
    ("tracemalloc.start()", "tracemalloc tracing"),
])
def test_a_leaked_hook_fails_the_test_that_left_it(pytester: pytest.Pytester, leak: str, named: str) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(f"import sys, threading, tracemalloc\n\ndef test_leaks():\n    {leak}\n\n"
                        "def test_after_it():\n    assert sys.getprofile() is None and not tracemalloc.is_tracing()\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([f"*the test left {named} behind*"])


def test_otel_variables_from_the_shell_are_stripped(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile("import os\n\ndef test_env():\n    assert not [k for k in os.environ if k.startswith('OTEL_')]\n")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
