"""The deterministic call-count probe: exact counts per operation, attributed to the
telemetry call site that made them, and nothing invented for clean code."""

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from otelaudit.model import Frame
from otelaudit.attribute.ownership import Owner, Ownership
from otelaudit.child.probe import CallRecorder, Target, attribute, resolve_targets

PLANTED = os.path.join("otelaudit_planted", "__init__.py")
FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"


def _record(function, *args):
    recorder = CallRecorder(*resolve_targets())
    recorder.install()
    try:
        function(*args)
    finally:
        recorder.remove()
    return recorder.hits


def _serialise_twice(value):
    json.dumps(value)
    return json.dumps(value)


def test_recorder_counts_each_outermost_call_with_its_chain():
    hits = _record(_serialise_twice, {"a": 1})
    counted = Counter()
    for (target, chain), n in hits.items():
        counted[(target.name, chain[0][2])] += n
    assert counted == {("json.dumps", "_serialise_twice"): 2}


def test_attribution_keeps_only_call_sites_owned_by_telemetry_code():
    here = os.path.abspath(__file__)
    hits = Counter({(Target("json.dumps", "serialisation"), ((here, 10, "wrapper"),)): 8})
    telemetry = Ownership({os.path.realpath(here): Owner("opentelemetry-x", "1.0", True)}, ())
    library = Ownership({os.path.realpath(here): Owner("somelib", "2.0", False)}, ())
    [count] = attribute(hits, ops=4, ownership=telemetry)
    assert (count.target, count.calls_per_op, count.distribution) == ("json.dumps", 2.0, "opentelemetry-x")
    assert count.call_site == Frame(here, 10, "wrapper", "opentelemetry-x")
    assert attribute(hits, ops=4, ownership=library) == ()


@pytest.fixture(scope="module")
def planted_scan(tmp_path_factory):
    import subprocess
    import sys

    path = tmp_path_factory.mktemp("planted") / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(FIXTURE_SITE), os.environ.get("PYTHONPATH")])))
    # Not --quick, which skips the what-if arms; as short as --quick otherwise.
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "planted", "fixture-ok", "--rounds", "5",
                          "--seconds-per-run", "0.1", "--quiet", "--json", str(path)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(path.read_text())
    return out, {r["instrumentor"]: r for r in report["results"]}


def _counts(result):
    return {(c["target"], os.path.basename(os.path.dirname(c["call_site"]["file"])), c["call_site"]["line"]):
            c["calls_per_op"] for c in result["call_counts"]}


def test_planted_metadata_lookup_and_tracer_creation_are_counted_at_their_lines(planted_scan):
    _, results = planted_scan
    counts = _counts(results["planted"])
    assert counts[("importlib.metadata.version", "otelaudit_planted", 26)] == 1.0
    assert counts[("opentelemetry.trace.get_tracer", "otelaudit_planted", 27)] == 1.0
    site = next(c for c in results["planted"]["call_counts"] if c["target"] == "importlib.metadata.version")
    assert site["distribution"] == "otelaudit-planted"
    assert site["call_site"]["function"] == "traced"
    assert site["chain"][0]["file"].endswith(PLANTED)


def test_clean_instrumentation_gets_no_counted_calls(planted_scan):
    _, results = planted_scan
    assert results["fixture-ok"]["status"] == "ok"
    assert results["fixture-ok"]["call_counts"] == []


def test_terminal_report_names_the_call_site(planted_scan):
    out, _ = planted_scan
    assert "[OA101] traced() reads installed-package metadata" in out.stdout
    assert "otelaudit_planted/__init__.py:26" in out.stdout


def test_planted_defects_become_separate_findings_with_a_patch(planted_scan):
    _, results = planted_scan
    findings = {f["rule"]: f for f in results["planted"]["findings"]}
    assert findings["OA101"]["call_site"]["line"] == 26 and findings["OA101"]["calls_per_op"] == 1.0
    assert findings["OA102"]["call_site"]["line"] == 27
    assert findings["OA109"]["call_site"]["line"] == 28 and "_attributes() is called 3×" in findings["OA109"]["title"]
    assert '+_OPENTELEMETRY_API_VERSION = version("opentelemetry-api")' in findings["OA101"]["patch"]
    assert results["fixture-ok"]["findings"] == []


def test_the_metadata_fix_is_verified_by_a_measured_saving(planted_scan):
    _, results = planted_scan
    finding = next(f for f in results["planted"]["findings"] if f["rule"] == "OA101")
    saving = finding["verified_saving_us"]
    # A metadata read costs tens of µs per call, far above the noise of a paired CPU comparison.
    assert saving["ci_low"] > 0
    assert results["planted"]["findings"][0]["rule"] == "OA101"  # the largest measured saving ranks first


def test_sampled_hotspots_put_the_metadata_lookup_on_top(planted_scan):
    _, results = planted_scan
    top = results["planted"]["hotspots"][0]
    assert (top["call_site"]["function"], top["call_site"]["line"]) == ("traced", 26)
    finding = next(f for f in results["planted"]["findings"] if f["rule"] == "OA101")
    assert finding["share_of_overhead"] > 0.3 and finding["us_per_op"]["estimate"] > 0


def test_markdown_report_reads_as_an_upstream_issue(planted_scan, tmp_path):
    import subprocess
    import sys

    _, results = planted_scan
    source = tmp_path / "r.json"
    source.write_text(json.dumps({"schema_version": "1.0", "otelaudit_version": "0", "created": "", "command": "",
                                  "environment": {"python": "3", "implementation": "CPython", "platform": "p",
                                                  "machine": "m", "cpu_count": 2, "packages": {"otelaudit": "0"}},
                                  "settings": {"rounds": 5, "seconds_per_run": 0.1, "timeout_s": 9, "seed": 1,
                                               "quick": True},
                                  "results": [results["planted"], results["fixture-ok"]]}))
    out = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(source), "--format", "markdown"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("## `otelaudit-planted` 1.0: `importlib.metadata.version()` on every operation costs")
    assert "otelaudit scan planted --quick --rounds 5 --seconds-per-run 0.1 --seed 1" in text
    assert "| sdk |" in text and "`OA101`" in text and "```diff" in text
    assert "Findings:** none" in text  # the clean instrumentation says so, with its precision


def test_report_command_rejects_what_is_not_a_report(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    out = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2 and "cannot read a report" in out.stderr
