"""Turning a user's function into a scenario: references, import roots, telemetry specs."""

from __future__ import annotations

import pytest

from otelaudit import Telemetry
from otelaudit.model import Instrumentor
from otelaudit.scenarios.user import import_root, reference_of, scenario_for, telemetry_from

SQLITE = Instrumentor("sqlite3", "opentelemetry.instrumentation.sqlite3:SQLite3Instrumentor",
                      "opentelemetry-instrumentation-sqlite3", "0")
HTTPX = Instrumentor("httpx", "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
                     "opentelemetry-instrumentation-httpx", "0")


def module_level_workload() -> None:
    pass


def test_a_module_level_function_is_referenced_by_module_and_name():
    assert reference_of(module_level_workload) == f"{__name__}:module_level_workload"


def test_functions_a_child_process_cannot_import_are_refused():
    with pytest.raises(ValueError, match="module level"):
        reference_of(lambda: None)
    with pytest.raises(ValueError, match="package.module:function"):
        reference_of("no_colon_here")


def test_the_import_root_is_the_folder_a_child_must_have_on_its_path():
    import otelaudit.scenarios.user as module
    from pathlib import Path

    assert Path(import_root("otelaudit.scenarios.user")) == Path(module.__file__).parents[2]


def test_the_first_instrumentor_is_audited_and_the_others_are_applied_alongside():
    scenario = scenario_for(module_level_workload, [SQLITE, HTTPX], expects=Telemetry(spans=2), concurrency=3)
    assert scenario.instrumentor == "sqlite3" and scenario.also_instrument == (HTTPX.value,)
    assert scenario.concurrency == 3 and scenario.expects == Telemetry(spans=2)
    assert scenario.workload.reference == scenario.name == reference_of(module_level_workload)


def test_telemetry_expectations_are_checked_by_name():
    assert telemetry_from({"spans": 2, "log_records": 1}) == Telemetry(spans=2, log_records=1)
    with pytest.raises(ValueError, match="spanz"):
        telemetry_from({"spanz": 1})
