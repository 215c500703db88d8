"""Discovery of installed instrumentors and matching of user targets."""

from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.model import Instrumentor
from otelaudit.discover.catalog import all_scenarios

HTTPX = Instrumentor("httpx", "opentelemetry.instrumentation.httpx:HTTPXClientInstrumentor",
                     "opentelemetry-instrumentation-httpx", "0.1b0")
HTTPX2 = Instrumentor("httpx2", "opentelemetry.instrumentation.httpx:HTTPX2ClientInstrumentor",
                      "opentelemetry-instrumentation-httpx", "0.1b0")
SQLITE = Instrumentor("sqlite3", "opentelemetry.instrumentation.sqlite3:SQLite3Instrumentor",
                      "opentelemetry-instrumentation-sqlite3", "0.1b0")


def test_finds_entry_points_with_their_distribution(fixture_site):
    found = {i.name: i for i in discover_instrumentors()}
    assert found["fixture-ok"].distribution == "otelaudit-fixture-instrumentations"
    assert found["fixture-ok"].version == "1.0"
    assert found["fixture-ok"].value.endswith(":SpanPerCallInstrumentor")


def test_installed_bundled_instrumentors_are_covered():
    covered = {i.name for i in discover_instrumentors()} & set(all_scenarios())
    assert "sqlite3" in covered


def test_plugin_scenarios_are_registered_through_our_entry_point_group(fixture_site):
    scenarios = all_scenarios()
    assert scenarios["fixture-ok"].name == "fixture-ok"
    assert "fixture-noscenario" not in scenarios


def test_no_names_selects_everything_untargeted():
    selection = select_targets([], [HTTPX, SQLITE], {})
    assert [t.instrumentor.name for t in selection.targets] == ["httpx", "sqlite3"]
    assert not any(t.targeted for t in selection.targets)


def test_entry_point_name_selects_one_instrumentor():
    selection = select_targets(["httpx"], [HTTPX, HTTPX2, SQLITE], {})
    assert [t.instrumentor.name for t in selection.targets] == ["httpx"]
    assert selection.targets[0].targeted


def test_distribution_name_selects_all_its_instrumentors_in_any_spelling():
    selection = select_targets(["OpenTelemetry_Instrumentation.HTTPX"], [HTTPX, HTTPX2, SQLITE], {})
    assert [t.instrumentor.name for t in selection.targets] == ["httpx", "httpx2"]


def test_unknown_names_are_reported_not_dropped():
    selection = select_targets(["nosuch", "sqlite3"], [HTTPX, SQLITE], {})
    assert selection.unknown == ("nosuch",)
    assert [t.instrumentor.name for t in selection.targets] == ["sqlite3"]
