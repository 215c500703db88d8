"""The command line as users run it: console script and `python -m`."""

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
