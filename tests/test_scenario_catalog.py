"""The catalog's coverage of what people run: scenarios bound to one distribution when
two share an entry-point name, stated library version ranges, and scenarios whose
backing server is missing reported as not covered in one line."""

import re
import sys
from importlib import metadata
from types import ModuleType

import pytest

from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.discover.catalog import all_scenarios
from otelaudit.scenarios.api import scenario_for, unsupported_version

COVERED = {"openai_v2", "openai_openllmetry", "anthropic", "fastapi", "starlette", "flask", "django",
           "aiohttp_server", "tornado", "aiohttp_client", "urllib", "httpx", "requests", "urllib3", "sqlalchemy",
           "redis", "psycopg", "jinja2", "sqlite3", "threading", "system_metrics", "grpc_server", "grpc_client",
           "grpc_aio_server", "grpc_aio_client", "logging", "asyncio"}


def test_every_production_instrumentation_has_a_scenario():
    assert COVERED <= {s.name for s in all_scenarios().values()}


def test_the_two_openai_instrumentations_get_their_own_scenarios():
    scenarios = all_scenarios()
    contrib = scenario_for(scenarios, "openai", "opentelemetry-instrumentation-openai-v2")
    openllmetry = scenario_for(scenarios, "openai", "opentelemetry_instrumentation_openai")
    assert contrib is not None and contrib.name == "openai_v2"
    assert openllmetry is not None and openllmetry.name == "openai_openllmetry"
    assert scenario_for(scenarios, "openai", "someone-elses-openai-instrumentation") is None


def test_installed_openai_instrumentations_are_both_selected_by_entry_point_name():
    installed = [i for i in discover_instrumentors() if i.name == "openai"]
    if len(installed) < 2:
        pytest.skip("needs both openai instrumentations (pip install '.[genai]')")
    targets = select_targets(["openai"], installed, all_scenarios()).targets
    bound = {"opentelemetry-instrumentation-openai": "openai_openllmetry",
             "opentelemetry-instrumentation-openai-v2": "openai_v2",
             "openinference-instrumentation-openai": "openai_openinference"}
    assert {t.instrumentor.distribution: t.scenario.name for t in targets if t.scenario} == \
        {i.distribution: bound[i.distribution] for i in installed}


def test_installed_libraries_are_inside_the_ranges_their_scenarios_support():
    checked = []
    for scenario in all_scenarios().values():
        if scenario.supported_versions is None or scenario.distribution is None:
            continue
        try:
            metadata.version(scenario.distribution)
        except metadata.PackageNotFoundError:
            continue
        assert unsupported_version(scenario) is None, unsupported_version(scenario)
        checked.append(scenario.name)
    assert {"openai_v2", "anthropic", "sqlalchemy", "redis", "psycopg", "jinja2"} <= set(checked)


def test_a_library_outside_the_range_is_named_with_the_range():
    scenario = all_scenarios()["sqlalchemy"]
    from dataclasses import replace

    warning = unsupported_version(replace(scenario, supported_versions="<1"))
    assert warning is not None and "sqlalchemy" in warning and "(<1)" in warning


def test_a_scenario_whose_server_is_missing_is_not_covered_in_one_line(otelaudit, monkeypatch, tmp_path):
    # A PATH holding only the Python interpreter: no redis-server to start.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    run = otelaudit("scan", "redis", "--quick")
    assert run.code == 5, run.stderr  # the targeted library's backing software is missing
    assert run.stderr.strip() == ("otelaudit: redis: redis server unavailable: redis-server is not on PATH "
                                  "(apt-get install redis-server)")
    result = run.result("redis")
    assert result["status"] == "not-covered"
    assert result["failure"]["message"] == ("redis server unavailable: redis-server is not on PATH "
                                            "(apt-get install redis-server)")
    assert "\n" not in result["failure"]["message"]


def _readme_module(name: str, code: str) -> ModuleType:
    """Executes README code as the module `name`, as importing it would."""
    module = ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(code, "README example", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def test_the_readme_plugin_example_defines_a_valid_scenario():
    from pathlib import Path

    from otelaudit import Scenario, Workload

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = readme.split("# acme_cache_otelaudit/acme_cache_scenario.py\n", 1)[1].split("```", 1)[0]
    assert 'acme_cache = "acme_cache_otelaudit.acme_cache_scenario"' in readme  # the entry point names it
    module = _readme_module("acme_cache_otelaudit.acme_cache_scenario", code)
    scenario = module.SCENARIO
    assert isinstance(scenario, Scenario) and issubclass(scenario.workload, Workload)
    assert (scenario.key, scenario.name, scenario.library) == ("acme_cache", "acme_cache", "acme_cache")
    assert scenario.description == module.__doc__ and scenario.description.startswith("acme_cache:")
    assert scenario.module == "acme_cache_otelaudit.acme_cache_scenario"
    assert scenario.expects.spans == 1.1 and scenario.distribution == "acme-cache"


def test_the_keywords_the_readme_names_are_the_scenario_s_fields():
    from dataclasses import fields
    from pathlib import Path

    from otelaudit import Scenario

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("Everything else is a keyword with a default:", 1)[1].split("\n\n", 1)[0]
    named = {word.split("=")[0] for word in re.findall(r"`(\w+)(?:=__name__)?`", section)}
    assert named - {"opentelemetry_instrumentor"} <= {f.name for f in fields(Scenario)}


def test_a_client_with_tracing_of_its_own_is_library_code_in_its_scenario():
    import anthropic

    from otelaudit.attribute.ownership import Ownership

    dist = metadata.distribution("anthropic")
    if not any(r.startswith("opentelemetry-api") and "extra" not in r for r in dist.requires or ()):
        pytest.skip("this anthropic release does not depend on the OpenTelemetry API")
    source = anthropic.__file__
    assert Ownership.of_environment().is_telemetry(source)  # elsewhere: other vendors' telemetry code
    assert not Ownership.of_environment(library="anthropic").is_telemetry(source)
