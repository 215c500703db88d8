"""The public face (`otelaudit.__all__`) and the exception tree behind it.

Importing otelaudit must import nothing: every measuring child starts with
`python -m otelaudit.child.X`, and the cold-start child would otherwise find imports
done before the phase it measures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import otelaudit
import otelaudit.errors as errors


def test_all_is_sorted_and_unique() -> None:
    assert otelaudit.__all__ == sorted(otelaudit.__all__)
    assert len(otelaudit.__all__) == len(set(otelaudit.__all__))


@pytest.mark.parametrize("name", otelaudit.__all__)
def test_every_public_name_resolves_to_otelaudit_code(name: str) -> None:
    value = getattr(otelaudit, name)
    if name != "__version__":
        assert value.__module__.startswith("otelaudit."), value
        assert value.__name__ == name


def test_what_a_user_and_a_scenario_author_need_is_public() -> None:
    needed = {"scan", "ScanOptions", "Report", "ScenarioResult", "Finding", "Scenario", "Workload",
              "WorkloadContext", "Telemetry", "OtelauditError", "UsageError", "ExitCode", "cold_start",
              "ColdStartOptions", "__version__"}
    assert needed <= set(otelaudit.__all__)


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: Dict[str, object] = {}
    exec("from otelaudit import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(otelaudit.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        otelaudit.nosuch  # noqa: B018
    assert not hasattr(otelaudit, "nosuch")


# Reports every module `import otelaudit` added, in a fresh interpreter.
IMPORTS_OF = """
import json, sys
before = set(sys.modules)
import otelaudit
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _imported_by(code: str) -> List[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def test_importing_otelaudit_imports_nothing_else() -> None:
    imported = _imported_by(IMPORTS_OF)
    assert imported == ["otelaudit"]
    assert not {"opentelemetry", "asyncio", "typing", "importlib.metadata"} & set(imported)


def test_a_public_name_imports_its_module_on_first_use() -> None:
    imported = _imported_by(IMPORTS_OF.replace("import otelaudit\n", "import otelaudit\notelaudit.Scenario\n"))
    assert {"otelaudit.scenarios.api", "otelaudit.errors"} <= set(imported)
    assert "otelaudit.pipeline" not in imported


def _drawn_tree() -> Dict[str, Optional[str]]:
    """Each class in the errors module's docstring drawing, with the class drawn above it."""
    assert errors.__doc__ is not None
    parents: Dict[str, Optional[str]] = {}
    stack: List[tuple] = []  # (column, name)
    for line in errors.__doc__.splitlines():
        found = re.match(r"^(\s*(?:[│ ]\s*)*(?:[├└]── )?)([A-Z]\w*Error|[A-Z]\w*Missing)\s", line)
        if not found:
            continue
        column, name = len(found.group(1)), found.group(2)
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((column, name))
    return parents


def test_the_exception_tree_drawn_in_the_docstring_is_the_real_one() -> None:
    classes = {name: value for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, Exception)}
    drawn = _drawn_tree()
    assert set(drawn) == set(classes)
    for name, parent in drawn.items():
        if parent is None:
            assert classes[name].__bases__ == (Exception,)
        else:
            assert classes[name].__bases__[0] is classes[parent], name


def test_the_errors_users_catch_are_one_tree_with_distinct_exit_codes() -> None:
    assert issubclass(otelaudit.ServerMissing, otelaudit.OtelauditError)
    assert issubclass(otelaudit.EnvironmentBuildError, otelaudit.UnknownTargetError)
    assert otelaudit.UsageError.exit_code == otelaudit.ExitCode.USAGE == 2
    assert otelaudit.UnknownTargetError.exit_code == otelaudit.ExitCode.UNKNOWN_TARGET
    # Their old homes still name them, so callers that catch them there keep working.
    from otelaudit.compare.envs import EnvironmentBuildError
    from otelaudit.servers.running import ServerError, ServerMissing

    assert (ServerError, ServerMissing, EnvironmentBuildError) == (
        otelaudit.ServerError, otelaudit.ServerMissing, otelaudit.EnvironmentBuildError)


def test_a_foreign_report_is_a_report_format_error_with_its_cause() -> None:
    from otelaudit.model.files import loads

    with pytest.raises(otelaudit.ReportFormatError) as raised:
        loads(json.dumps({"benchmarks": []}))  # a pytest-benchmark file, say
    assert isinstance(raised.value, ValueError) and raised.value.__cause__ is not None
    with pytest.raises(otelaudit.ReportFormatError):
        loads("{not json")


def test_an_unknown_server_kind_is_a_server_error() -> None:
    from otelaudit.servers.running import running_servers

    with pytest.raises(otelaudit.ServerError, match="unknown loopback server kind 'nosuch'"):
        with running_servers(["nosuch"]):
            pass


def test_the_cli_reports_a_corrupt_report_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps({"benchmarks": []}))
    out = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(path)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == otelaudit.ExitCode.USAGE, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "not an otelaudit report" in out.stderr
    assert "Traceback" not in out.stderr
