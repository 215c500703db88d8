"""The command line as users run it: console script and `python -m`."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_help_lists_commands_and_exit_codes():
    out = subprocess.run([sys.executable, "-m", "otelaudit", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "scan" in out.stdout and "list" in out.stdout and "exit codes" in out.stdout


def test_console_script_is_installed():
    script = shutil.which("otelaudit", path=str(Path(sys.executable).parent))
    assert script, "the otelaudit console script is not installed beside this Python: pip install -e ."
    out = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("otelaudit ")


@pytest.mark.parametrize("args", [["scan", "--rounds", "0"], ["frobnicate"], ["scan", "--timeout", "-1"], []])
def test_usage_errors_exit_2(args):
    out = subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True)
    assert out.returncode == 2
    assert "usage:" in out.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from otelaudit.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit: pass\n"
            "print([m for m in ('opentelemetry', 'pyinstrument', 'asyncio', 'otelaudit.pipeline') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_list_shows_coverage_and_library_versions(fixture_site, otelaudit):
    run = otelaudit("list")
    assert run.code == 0
    rows = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert "fixture-ok" in rows["fixture-ok"].split()[3]
    assert "not covered" in rows["fixture-noscenario"]
    assert "missing: module otelaudit_fixture_absent_library" in rows["fixture-nolib"]
    assert "sqlite" in rows["sqlite3"]


def test_list_does_not_import_libraries_or_instrumentations(fixture_site):
    # sqlite3 (stdlib, cheap) is imported on purpose: its version is the SQLite library's.
    code = ("import sys; from otelaudit.render.listing import render_listing; render_listing()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('opentelemetry', 'httpx', 'requests', 'starlette', 'urllib3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _comparison_report():
    """A saved `otelaudit compare` report, built from the model (the numbers are made up:
    these tests are about rendering and reading it back, not about measuring)."""
    from otelaudit.compare.audit import CompareOptions, comparison_report
    from otelaudit.compare.model import version_comparison
    from otelaudit.model import (ABResult, Comparison, Estimate, Finding, Frame, Instrumentor, ScenarioDescription,
                                 Telemetry, Version)

    scenario = ScenarioDescription("planted", "otelaudit_planted_scenario", "otelaudit_planted_library", 1,
                                   Telemetry(spans=1))

    def version(number, findings=()):
        instrumentor = Instrumentor("planted", "otelaudit_planted:Instrumentor", "otelaudit-planted", number)
        return Version(f"otelaudit-planted=={number}", sys.executable, True, instrumentor, scenario,
                       {"otelaudit-planted": number}, findings, Telemetry(spans=1))

    lookup = Finding("OA101", "importlib.metadata.version() on every operation", Frame("/x/utils.py", 26, "version"),
                     "importlib.metadata.version", "otelaudit-planted", "2.0", 1.0, "cache it")
    flat = Estimate(0.0, 0.0, 0.0)
    measured = ABResult("A", "B", 500, Comparison("sdk", Estimate(40.0, 35.0, 45.0), Estimate(1.5, 1.4, 1.6), flat,
                                                  flat, Estimate(50.0, 40.0, 60.0), flat, "overhead", 5),
                        baseline_cpu_us_per_op=80.0)
    comparison = version_comparison(version("1.0"), version("2.0", (lookup,)), measured, ("otelaudit-planted",))
    return comparison_report(CompareOptions(pins=("otelaudit-planted==1.0", "otelaudit-planted==2.0")), comparison)


def _report(*args, cwd):
    return subprocess.run([sys.executable, "-m", "otelaudit", "report", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def test_a_saved_comparison_renders_again_in_every_format(tmp_path):
    from otelaudit.model import files

    saved = tmp_path / "compare.json"
    saved.write_text(files.dumps(_comparison_report()) + "\n")
    text = _report(str(saved), "--format", "text", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("otelaudit compare: otelaudit-planted==2.0 (2.0) against otelaudit-planted==1.0")
    assert "a regression" in text.stdout and "appeared in otelaudit-planted==2.0: [OA101]" in text.stdout
    for output, marker in (("out.html", '<h2 id="version-comparison">'), ("out.md", "## Version comparison"),
                           ("out.json", '"comparison": {')):
        done = _report(str(saved), "-o", output, cwd=tmp_path)  # the extension chooses the format
        assert done.returncode == 0, done.stderr
        assert marker in (tmp_path / output).read_text()
    assert files.loads((tmp_path / "out.json").read_text()) == files.loads(saved.read_text())


def test_an_explicit_format_wins_over_the_output_extension(tmp_path):
    from otelaudit.model import files

    saved = tmp_path / "compare.json"
    saved.write_text(files.dumps(_comparison_report()))
    assert _report(str(saved), "--format", "markdown", "-o", "out.html", cwd=tmp_path).returncode == 0
    assert (tmp_path / "out.html").read_text().startswith("## Version comparison")


def test_renderers_are_chosen_by_name_or_by_the_longest_matching_extension():
    from otelaudit.render import registry

    assert registry.for_path("p.speedscope.json").name == "speedscope"
    assert registry.for_path("REPORT.JSON").name == "json"
    assert registry.for_path("report.htm").name == "html"
    assert registry.for_path("report.pdf") is None
    assert registry.choose(None, "report.pdf", "markdown").name == "markdown"
    with pytest.raises(registry.UnknownFormat, match="known: markdown, html, json, text, speedscope"):
        registry.by_name("pdf")


@pytest.mark.parametrize("args, message", [
    (["scan", "--precision", "2x"], "argument --precision: precision must look like 2% or 3us, got '2x'"),
    (["compare", "a==1", "--budget", "soon"], "argument --budget: budget must look like 60s or 2m, got 'soon'"),
])
def test_precision_and_budget_are_parsed_once_at_the_edge_into_usage_errors(args, message):
    out = subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].endswith(message)


def test_a_report_that_is_not_one_is_a_one_line_usage_error(tmp_path):
    (tmp_path / "bad.json").write_text("{}")
    done = _report("bad.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("otelaudit: error: cannot read a report from bad.json") and "Traceback" not in done.stderr


def _plain(*args, cwd):
    """The CLI as a new user runs it: no --json/--html, in `cwd`."""
    return subprocess.run([sys.executable, "-m", "otelaudit", *args, "--quiet"], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("command", ["scan", "coldstart"])
def test_a_plain_command_leaves_its_json_and_html_in_a_results_folder_and_ends_with_the_page(
        fixture_site, tmp_path, command):
    from otelaudit.model import files

    extra = ["--no-auto"] if command == "coldstart" else []
    done = _plain(command, "fixture-noscenario", *extra, cwd=tmp_path)  # nothing to measure: fast
    assert done.returncode == 4, done.stderr  # the named target has no scenario
    saved = sorted(p.name for p in (tmp_path / "otelaudit-results").iterdir())
    assert len(saved) == 2 and re.fullmatch(rf"{command}-\d{{8}}T\d{{6}}Z\.html", saved[0]), saved
    assert saved[1] == saved[0][:-len("html")] + "json"
    page = done.stderr.strip().splitlines()[-1]  # the last line is the path to open, alone
    assert page == f"otelaudit-results/{saved[0]}" and (tmp_path / page).read_text().startswith("<!DOCTYPE html>")
    report = files.loads((tmp_path / "otelaudit-results" / saved[1]).read_text())
    assert report.complete and [r.instrumentor for r in report.results or report.cold_start.targets] == \
        ["fixture-noscenario"]
    assert "fixture-noscenario" in done.stdout and "otelaudit-results" not in done.stdout  # stdout is the report


def test_results_dir_chooses_the_folder_and_no_save_writes_nothing(fixture_site, tmp_path):
    chosen = _plain("scan", "fixture-noscenario", "--results-dir", "out/scans", cwd=tmp_path)
    assert chosen.returncode == 4, chosen.stderr
    assert len(list((tmp_path / "out" / "scans").glob("scan-*Z.html"))) == 1
    again = _plain("scan", "fixture-noscenario", "--results-dir", "out/scans", cwd=tmp_path)  # same second or not
    assert len(list((tmp_path / "out" / "scans").glob("scan-*.json"))) == 2, again.stderr
    nothing = _plain("scan", "fixture-noscenario", "--no-save", cwd=tmp_path)
    assert nothing.returncode == 4 and not (tmp_path / "otelaudit-results").exists()
    assert "open the HTML report" not in nothing.stderr
    named = _plain("scan", "fixture-noscenario", "--json", "r.json", cwd=tmp_path)  # a path given: only that
    assert (tmp_path / "r.json").exists() and not (tmp_path / "otelaudit-results").exists(), named.stderr


@pytest.mark.parametrize("args, words", [
    (["--results-dir", "a-file"], "--results-dir a-file: is a file, not a directory"),
    (["--results-dir", "d", "--json", "r.json"], "give it or --json/--html paths, not both"),
    (["--markdown", "."], "--markdown .: is a directory, not a file"),
])
def test_a_results_folder_that_cannot_be_used_is_a_usage_error_before_measuring(fixture_site, tmp_path, args, words):
    (tmp_path / "a-file").write_text("")
    done = _plain("scan", "fixture-ok", *args, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("otelaudit: error: ") and words in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no folder made, nothing measured


@pytest.mark.parametrize("given, expected", [([], 0.3), (["--precision", "1%"], 0.1), (["--budget", "60s"], 0.1),
                                             (["--precision", "1%", "--seconds-per-run", "0.4"], 0.4),
                                             (["--quick"], 0.1), (["--jobs", "1"], 0.3)])
def test_rounds_until_a_precision_or_budget_are_short_runs_unless_told(given, expected):
    from otelaudit.cli.main import build_parser
    from otelaudit.cli.scan import scan_options

    args = build_parser().parse_args(["scan", "sqlite3", *given])
    args.argv = ["scan", "sqlite3", *given]
    chosen = scan_options(args)
    assert chosen.seconds_per_run == expected
    assert chosen.jobs == (1 if "--jobs" in given else 2)  # two targets at once unless told
