"""Cold start: -X importtime parsing, lazy-import patches, the simulated environment, and
real `otelaudit coldstart` runs against the planted fixture and a bundled scenario."""

import json
import subprocess
import sys
from importlib import metadata

import pytest

from otelaudit.model import files as report_json
from otelaudit.coldstart.importtime import between, parse
from otelaudit.rules.lazyimport import find_import, lazy_patch
from otelaudit.coldstart.simulated_env import write_distributions

PLANTED = "otelaudit_planted_cold/__init__.py"
SLOW_IMPORT_LINE, SCAN_AT_IMPORT_LINE, METADATA_IN_INSTRUMENT_LINE = 11, 13, 21


def test_importtime_output_of_a_real_interpreter_parses_into_chains():
    code = "import sys; print('BEGIN', file=sys.stderr, flush=True); import json; print('END', file=sys.stderr)"
    stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True).stderr
    entries = {e.module: e for e in parse(between(stderr, "BEGIN", "END"))}
    assert entries["json"].chain == ("json",)
    assert entries["json.decoder"].chain[:2] == ("json", "json.decoder")
    assert entries["json"].cumulative_us >= entries["json.decoder"].cumulative_us > 0


def test_added_modules_are_those_no_baseline_run_imported_with_median_costs():
    from otelaudit.model import ImportEntry
    from otelaudit.coldstart.importtime import added_modules, by_distribution

    def run(*entries):
        return [ImportEntry(module, self_us, self_us, chain) for module, self_us, chain in entries]

    baseline = [run(("lib", 100, ("lib",)))]
    treated = [run(("lib", 90, ("lib",)), ("heavy", 3000, ("inst", "heavy")), ("inst", 200, ("inst",))),
               run(("heavy", 5000, ("inst", "heavy")), ("inst", 400, ("inst",)))]
    added = added_modules(treated, baseline, {"heavy": "heavy-dist", "inst": "inst-dist"})
    assert [(c.module, c.self_ms, c.chain, c.runs) for c in added] == [
        ("heavy", 4.0, ("inst", "heavy"), 2), ("inst", 0.3, ("inst",), 2)]
    assert by_distribution(added) == {"heavy-dist": 4.0, "inst-dist": 0.3}


SOURCE = '''"""doc"""
import json
from . import _heavy as heavy
from . import _needed

CONSTANT = _needed.VALUE


def encode(value):
    """Docstring stays first."""
    return heavy.encode(value)
'''


def test_lazy_patch_moves_an_import_used_only_in_functions():
    site = find_import(SOURCE, "pkg", "pkg._heavy", is_package=True)
    assert site is not None and site.line == 3 and site.functions == (("encode", 9),)
    patch = lazy_patch(SOURCE, site, "pkg/__init__.py")
    assert patch is not None
    assert "-from . import _heavy as heavy" in patch.diff
    assert "+    from . import _heavy as heavy" in patch.diff
    compile(patch.patched_source, "patched", "exec")
    assert patch.patched_source.index('"""Docstring stays first."""') < patch.patched_source.index("import _heavy")


def test_no_lazy_patch_for_a_module_needed_at_import_time():
    site = find_import(SOURCE, "pkg", "pkg._needed", is_package=True)
    assert site is not None and site.module_level_use == 6
    assert lazy_patch(SOURCE, site, "pkg/__init__.py") is None


def test_simulated_distributions_are_real_to_importlib_metadata(tmp_path):
    write_distributions(str(tmp_path), 7)
    found = list(metadata.distributions(path=[str(tmp_path)]))
    assert len(found) == 7 and all(d.metadata["Name"].startswith("otelaudit-simulated-dist") for d in found)


@pytest.fixture(scope="module")
def planted_cold(tmp_path_factory):
    from pathlib import Path
    import os

    site = Path(__file__).parent / "fixtures" / "site"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    directory = tmp_path_factory.mktemp("cold")
    command = [sys.executable, "-m", "otelaudit", "coldstart", "planted-cold", "--quick", "--no-auto", "--quiet",
               "--seed", "3", "--json", str(directory / "r.json"), "--markdown", str(directory / "r.md")]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=directory)
    assert out.returncode == 0, out.stderr
    return out, json.loads((directory / "r.json").read_text()), directory


@pytest.mark.scan
def test_planted_slow_import_is_found_at_its_line_and_the_lazy_import_saving_is_measured(planted_cold):
    _, report, _ = planted_cold
    target = report["cold_start"]["targets"][0]
    assert target["status"] == "ok"
    assert target["import_ms"]["ci_low"] > 0 and target["instrument_ms"]["estimate"] > 0
    assert target["top_modules"][0]["module"] == "otelaudit_planted_cold._slow_codec"
    lazy = next(f for f in target["findings"] if f["rule"] == "OA201")
    assert lazy["target"] == "otelaudit_planted_cold._slow_codec"
    assert lazy["call_site"]["file"].endswith(PLANTED) and lazy["call_site"]["line"] == SLOW_IMPORT_LINE
    assert "+            from otelaudit_planted_cold import _slow_codec" in lazy["patch"]
    assert lazy["verified_saving_us"]["ci_low"] > 0  # start-up measured shorter with the patch applied
    first = {c["arm"]: c for c in target["first_call"]}
    assert first["instrumented"]["first_op_us"]["estimate"] > first["instrumented"]["steady_op_us"]["estimate"]


@pytest.mark.scan
def test_environment_scans_at_import_and_in_instrument_are_attributed(planted_cold):
    _, report, _ = planted_cold
    findings = {f["rule"]: f for f in report["cold_start"]["targets"][0]["findings"]}
    assert findings["OA202"]["call_site"]["line"] == SCAN_AT_IMPORT_LINE
    assert findings["OA203"]["call_site"]["line"] == METADATA_IN_INSTRUMENT_LINE
    assert findings["OA203"]["call_site"]["function"] == "_instrument"
    # the instrumentor's own start-up methods are never told to import lazily
    assert all("_instrument()" not in f["title"] for f in report["cold_start"]["targets"][0]["findings"]
               if f["rule"] == "OA201")


@pytest.mark.scan
def test_cold_start_renders_in_every_format(planted_cold):
    out, _, directory = planted_cold
    assert ("IMPORT OVER LIBRARY" in out.stdout or "planted-cold  ok  import +" in out.stdout)  # table, or block at 80
    assert "[OA201]" in out.stdout
    markdown = (directory / "r.md").read_text()
    assert "## Cold start" in markdown and "```diff" in markdown
    report = report_json.loads((directory / "r.json").read_text())
    assert report_json.loads(report_json.dumps(report)) == report
    text = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(directory / "r.json"), "--format", "text"],
                          capture_output=True, text=True)
    assert text.returncode == 0 and "planted-cold" in text.stdout


@pytest.mark.scan
def test_cold_start_html_shows_its_chart_in_headless_chromium(planted_cold, rendered_in_browser):
    _, _, directory = planted_cold
    page = directory / "r.html"
    done = subprocess.run([sys.executable, "-m", "otelaudit", "report", str(directory / "r.json"), "--format", "html",
                           "-o", str(page)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rendered = rendered_in_browser(page)
    assert rendered["coldStartBars"] >= 2  # import (wall and CPU) and instrument() bars of the planted target
    assert "otelaudit_planted_cold._slow_codec" in page.read_text() and "[OA201]" in page.read_text()


@pytest.mark.scan
def test_auto_instrumentation_start_up_per_instrumentor_and_in_a_simulated_environment(otelaudit, tmp_path):
    # One round: opentelemetry-instrument loads every instrumentation this test venv has (~8 s each start).
    run = otelaudit("coldstart", "sqlite3", "--rounds", "1", "--quick", "--simulate-distributions", "150",
                    "--json", str(tmp_path / "a.json"), "--quiet")
    assert run.code == 0, run.stderr
    section = json.loads((tmp_path / "a.json").read_text())["cold_start"]
    assert section["targets"][0]["status"] == "ok"
    auto = section["auto"]
    assert auto["plain_ms"]["estimate"] > 0 and auto["total_added_ms"]["estimate"] > 0
    sqlite = next(i for i in auto["instrumentors"] if i["name"] == "sqlite3")
    assert sqlite["outcome"] == "instrumented" and sqlite["load_ms"]["estimate"] > 0
    assert section["simulated_distributions"] == 150 and section["auto_simulated"]["rounds"] == 1
    target = section["targets"][0]
    assert target["instrument_ms_simulated"]["estimate"] > 0
    assert set(target["to_first_op_added_ms"]) == {"instrumented", "auto"}  # spawn → first query, over baseline
    assert not target["warnings"], target["warnings"]  # the auto arm produced telemetry
    assert "SIMULATED large environment: +150" in run.stdout


def test_coldstart_unknown_target_exits_3(otelaudit):
    run = otelaudit("coldstart", "no-such-instrumentation", "--no-auto", "--quiet")
    assert run.code == 3


def test_coldstart_help_imports_no_heavy_modules():
    code = ("import sys; from otelaudit.cli.main import main\n"
            "try:\n    main(['coldstart', '--help'])\nexcept SystemExit: pass\n"
            "print([m for m in ('opentelemetry', 'asyncio', 'otelaudit.coldstart.audit', 'otelaudit.pipeline') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_list_imports_neither_asyncio_nor_the_cold_start_audit(fixture_site):
    code = ("import sys; from otelaudit.cli.main import main; main(['list'])\n"
            "print([m for m in ('asyncio', 'otelaudit.coldstart.audit') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
