"""Rules: evidence in, findings out — by what the code does, with mechanical patches
only where the change is safe."""

import textwrap

from otelaudit.model import CallCount, Estimate, Finding, Frame, Telemetry
from otelaudit.rules.patches import hoist_constant_call
from otelaudit.rules.calls import excess_telemetry, findings_from_counts, rank

SOURCE = textwrap.dedent('''\
    """A module."""
    from importlib.metadata import version


    def wrapper(name):
        a = version("opentelemetry-api")
        b = version(name)
        return a, b
''')


def _count(file, line, target="importlib.metadata.version", category="package-metadata", per_op=1.0):
    return CallCount(target, category, per_op, Frame(str(file), line, "wrapper", "opentelemetry-x"),
                     "opentelemetry-x", "1.0")


def test_a_constant_call_is_hoisted_to_module_level(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    patch = hoist_constant_call(str(path), 6, "version", "mod.py")
    assert '+_OPENTELEMETRY_API_VERSION = version("opentelemetry-api")' in patch
    assert '-    a = version("opentelemetry-api")' in patch
    assert "+    a = _OPENTELEMETRY_API_VERSION" in patch


def test_a_call_with_runtime_arguments_gets_no_diff(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    assert hoist_constant_call(str(path), 7, "version", "mod.py") is None


def test_metadata_lookups_per_operation_become_an_oa101_finding(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    [finding] = findings_from_counts([_count(path, 6)])
    assert finding.rule == "OA101"
    assert finding.calls_per_op == 1.0 and finding.call_site.line == 6
    assert finding.patch is not None


def test_rules_can_be_silenced_and_occasional_calls_are_not_findings(tmp_path):
    counts = [_count(tmp_path / "x.py", 6)]
    assert findings_from_counts(counts, ignore=frozenset({"OA101"})) == []
    assert findings_from_counts([_count(tmp_path / "x.py", 6, per_op=0.01)]) == []


def test_more_telemetry_than_expected_is_a_finding():
    [finding] = excess_telemetry(Telemetry(spans=3.0), Telemetry(spans=1.0))
    assert finding.rule == "OA111" and "3 spans per operation" in finding.title
    assert excess_telemetry(Telemetry(spans=1.0), Telemetry(spans=1.0)) == []


def test_measured_impact_outranks_counts_alone():
    counted = Finding("OA107", "t", None, None, None, None, 5.0, "s")
    measured = Finding("OA101", "t", None, None, None, None, 1.0, "s", us_per_op=Estimate(30.0, 25.0, 35.0))
    assert [f.rule for f in rank([counted, measured])] == ["OA101", "OA107"]


def test_every_category_the_probe_reports_has_exactly_one_call_rule():
    from otelaudit.child.probe import catalogue_names
    from otelaudit.rules.calls import CALL_RULES

    categories, _ = catalogue_names()
    owners = {category: [rule.id for rule in CALL_RULES if category in rule.categories] for category in categories}
    assert {category: ids for category, ids in owners.items() if len(ids) != 1} == {}
    assert set().union(*(rule.categories for rule in CALL_RULES)) == set(categories)
