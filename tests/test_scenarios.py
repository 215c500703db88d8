"""The bundled scenario modules: importable without their library, with sane metadata.

`otelaudit list` imports every scenario module, so a module that imports its library
at import time would make listing slow, or fail when the library is missing."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from types import ModuleType
from typing import Iterator, List

import pytest

import otelaudit.instrumentations as bundled
from otelaudit import Scenario, Telemetry, Workload
from otelaudit.child.measure import load_scenario
from otelaudit.discover.catalog import load_catalog
from otelaudit.servers.running import SERVER_MODULES

MODULES: List[str] = sorted(f"{bundled.__name__}.{info.name}" for info in pkgutil.iter_modules(bundled.__path__))

# Imports the module in a fresh interpreter and reports which modules it newly imported.
PROBE = """
import json, sys
import otelaudit.model.results, otelaudit.scenarios.api
before = set(sys.modules)
import {module}
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _scenario(name: str) -> Scenario:
    module: ModuleType = importlib.import_module(name)
    scenario = getattr(module, "SCENARIO", None)
    assert isinstance(scenario, Scenario), f"{name} defines no SCENARIO"
    return scenario


def test_the_expected_scenarios_are_bundled() -> None:
    names = {_scenario(m).instrumentor for m in MODULES}
    assert {"sqlite3", "httpx", "requests", "urllib3", "logging", "starlette", "asyncio"} <= names


def test_each_instrumentor_has_one_bundled_scenario() -> None:
    # Keyed by entry point, qualified by distribution where two share one (openai).
    keys = [_scenario(m).key for m in MODULES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_without_its_library(module: str) -> None:
    library = _scenario(module).library
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    imported = {name.partition(".")[0] for name in json.loads(completed.stdout)}
    assert library not in imported
    assert "opentelemetry" not in imported


@pytest.mark.parametrize("module", MODULES)
def test_scenario_fields_are_sane(module: str) -> None:
    scenario = _scenario(module)
    short_name = module.rpartition(".")[2]
    # `<lib>_scenario`, never the bare library name, which would shadow the library.
    assert short_name == f"{scenario.name}_scenario" != scenario.library
    assert scenario.name and scenario.instrumentor and scenario.library
    # The child imports the scenario's module to find the scenario again.
    assert issubclass(scenario.workload, Workload) and scenario.workload is not Workload
    assert scenario.module == module
    assert scenario.description.strip() and scenario.description == sys.modules[module].__doc__
    assert isinstance(scenario.expects, Telemetry) and scenario.expects.total > 0
    assert min(scenario.expects.spans, scenario.expects.metric_measurements, scenario.expects.log_records) >= 0
    assert scenario.concurrency >= 1
    assert set(scenario.servers) <= set(SERVER_MODULES)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in scenario.env.items())
    # OTEL_* settings, or the few a library needs to start (e.g. DJANGO_SETTINGS_MODULE).
    assert all(key.isupper() for key in scenario.env)


@pytest.mark.parametrize("module", MODULES)
def test_distribution_is_set_exactly_for_non_stdlib_libraries(module: str) -> None:
    import importlib.util

    from otelaudit.attribute.ownership import Ownership

    scenario = _scenario(module)
    spec = importlib.util.find_spec(scenario.library)
    if spec is None:  # the test extra pulls the default, genai and data scenarios' libraries
        pytest.skip(f"{scenario.library} is not installed ({scenario.install_hint})")
    origin = spec.origin or ""
    in_stdlib = origin in ("built-in", "frozen") or Ownership({}, Ownership.of_environment().stdlib_dirs).is_stdlib(origin)
    assert (scenario.distribution is None) == in_stdlib
    assert "pip install" in scenario.install_hint or scenario.distribution is None


@pytest.mark.parametrize("module", MODULES)
def test_no_workload_subclass_is_empty(module: str) -> None:
    """An empty subclass existed only so the child could find the module: the scenario's
    `module` says where it lives, so a shared workload is named, never subclassed."""
    imported = importlib.import_module(module)
    for value in vars(imported).values():
        if isinstance(value, type) and issubclass(value, Workload) and value.__module__ == module:
            own = {name for name in vars(value) if not (name.startswith("__") and name.endswith("__"))}
            assert own, f"{value.__qualname__} adds nothing to {value.__bases__[0].__qualname__}"


def test_the_child_finds_every_catalogued_scenario_from_its_run_spec_fields() -> None:
    catalog = load_catalog()
    assert catalog.errors == ()
    for scenario in catalog.scenarios.values():
        found = load_scenario(scenario.module, scenario.name)  # RunSpec.scenario_module, .scenario_name
        assert (found.name, found.workload, found.expects) == (scenario.name, scenario.workload, scenario.expects)


WIDGET = '''"""widget: one call per operation."""

from otelaudit import Scenario, Telemetry, Workload


class WidgetWorkload(Workload):
    async def operation(self) -> None:
        pass


SCENARIO = Scenario(WidgetWorkload, expects=Telemetry(spans=1))
EXPLICIT = Scenario(WidgetWorkload, expects=Telemetry(spans=2), name="gadget", instrumentor="gadget-ep",
                    library="gadget_lib", description="said here", concurrency=3)
'''

SHARED = '''"""shared: another module's workload."""

from otelaudit import Scenario, Telemetry
from widget_scenario import WidgetWorkload

SCENARIO = Scenario(WidgetWorkload, expects=Telemetry(spans=1), module=__name__)
'''


@pytest.fixture
def authored(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    (tmp_path / "widget_scenario.py").write_text(WIDGET)
    (tmp_path / "shared_scenario.py").write_text(SHARED)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("widget_scenario")
    for name in ("widget_scenario", "shared_scenario"):
        sys.modules.pop(name, None)


def test_name_instrumentor_library_and_description_default_from_the_module(authored: ModuleType) -> None:
    scenario = authored.SCENARIO
    assert (scenario.name, scenario.instrumentor, scenario.library) == ("widget", "widget", "widget")
    assert scenario.description == authored.__doc__ == "widget: one call per operation."
    assert (scenario.module, scenario.concurrency, scenario.distribution) == ("widget_scenario", 8, None)


def test_explicit_arguments_win_over_the_defaults(authored: ModuleType) -> None:
    scenario = authored.EXPLICIT
    assert (scenario.name, scenario.instrumentor, scenario.library, scenario.description, scenario.concurrency) == (
        "gadget", "gadget-ep", "gadget_lib", "said here", 3)
    assert load_scenario("widget_scenario", "gadget") is scenario


def test_a_shared_workload_scenario_is_found_in_its_own_module(authored: ModuleType) -> None:
    shared = importlib.import_module("shared_scenario")
    scenario = shared.SCENARIO
    assert scenario.workload is authored.WidgetWorkload
    assert (scenario.name, scenario.module, scenario.description) == ("shared", "shared_scenario", shared.__doc__)
    assert load_scenario(scenario.module, scenario.name) is scenario


def test_a_workload_that_is_not_a_workload_class_is_a_scenario_error() -> None:
    from otelaudit import ScenarioError

    with pytest.raises(ScenarioError, match="Workload subclass"):
        Scenario(object, expects=Telemetry(spans=1))  # type: ignore[arg-type]
