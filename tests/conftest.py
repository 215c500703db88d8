"""Shared fixtures: a clean OTEL_* environment, no profiler, tracer or tracemalloc left
running by any test, and the fixture distributions (real dist-info with entry points, put
on the path) that plant each failure a scan must survive."""

from __future__ import annotations

import json
from dataclasses import dataclass
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"


@pytest.fixture(autouse=True)
def no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell must not change what the tests measure."""
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def _hooks() -> Tuple[Any, ...]:
    return (sys.getprofile(), sys.gettrace(), getattr(threading, "_profile_hook", None),
            getattr(threading, "_trace_hook", None), tracemalloc.is_tracing())


HOOK_NAMES = ("sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace", "tracemalloc tracing")


@pytest.fixture(autouse=True)
def no_leaked_hooks() -> Iterator[None]:
    """A hook left behind slows every later test and skews what it measures. Compared with
    the start of the test, so a session run under coverage or a debugger still passes."""
    before = _hooks()
    yield
    after = _hooks()
    leaked = [name for name, old, new in zip(HOOK_NAMES, before, after) if old is not new]
    if leaked:
        sys.setprofile(before[0])
        sys.settrace(before[1])
        threading.setprofile(before[2])
        threading.settrace(before[3])
        if after[4] and not before[4]:
            tracemalloc.stop()
        pytest.fail(f"the test left {', '.join(leaked)} behind")


@pytest.fixture
def fixture_site(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Makes the fixture instrumentations discoverable here and in child processes."""
    monkeypatch.syspath_prepend(str(FIXTURE_SITE))
    existing = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(FIXTURE_SITE), existing])))
    return FIXTURE_SITE


class CliRun:
    def __init__(self, completed: "subprocess.CompletedProcess[str]", json_path: Optional[Path]) -> None:
        self.code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.report: Optional[Dict] = json.loads(json_path.read_text()) if json_path and json_path.exists() else None

    def result(self, instrumentor: str) -> Dict:
        assert self.report is not None, self.stderr
        return next(r for r in self.report["results"] if r["instrumentor"] == instrumentor)


@pytest.fixture
def otelaudit(tmp_path: Path):
    """Runs the real CLI (`python -m otelaudit`) in a subprocess, with a JSON report."""

    def run(*args: str, timeout: float = 300) -> CliRun:
        json_path = tmp_path / "report.json"
        command = [sys.executable, "-m", "otelaudit", *args]
        if args and args[0] == "scan":
            command += ["--json", str(json_path), "--quiet"]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
        return CliRun(completed, json_path if args and args[0] == "scan" else None)

    return run


@dataclass(frozen=True)
class SavedScan:
    stdout: str
    report: Dict
    json_path: Path
    html_path: Path


@pytest.fixture(scope="session")
def sqlite_scan(tmp_path_factory) -> SavedScan:
    """One real quick scan of the bundled sqlite3 scenario, with its JSON and HTML reports."""
    folder = tmp_path_factory.mktemp("sqlite-scan")
    json_path, html_path = folder / "r.json", folder / "r.html"
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "sqlite3", "--quick", "--quiet",
                          "--arms", "baseline,api,sdk", "--json", str(json_path), "--html", str(html_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return SavedScan(out.stdout, json.loads(json_path.read_text()), json_path, html_path)


BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def rendered_in_browser(tmp_path: Path):
    """Opens a page in real headless Chromium and returns the JSON its script left in a
    `data-<attribute>` of <body> (the HTML report records what the browser laid out)."""
    import html
    import re
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        if os.environ.get("OTELAUDIT_SKIP_BROWSER"):
            pytest.skip("OTELAUDIT_SKIP_BROWSER is set")
        pytest.fail("no headless Chromium: run .ci/system-packages (or apt-get install chromium), "
                    "or set OTELAUDIT_SKIP_BROWSER=1 to skip this check")

    def render(page: Path, attribute: str = "rendered") -> Dict:
        dom = subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'browser-profile'}",
                              "--window-size=1280,1600", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        found = re.search(f'data-{attribute}="([^"]*)"', dom)
        assert found, f"the page's script left no data-{attribute}: it did not run in the browser"
        return json.loads(html.unescape(found.group(1)))

    return render
