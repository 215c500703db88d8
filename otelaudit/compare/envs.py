"""Isolated environments for one version of an instrumentation distribution, built once
and cached (keyed by Python, requirement, pins and package sources): a venv without
system site-packages holding the version, the current SDK, API and library pins, and a
copy of otelaudit itself (refreshed every time, so the harness is always the caller's)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

import otelaudit
from otelaudit.errors import EnvironmentBuildError as EnvironmentBuildError  # re-exported from its old home

CORE_PINS = ("opentelemetry-api", "opentelemetry-sdk", "opentelemetry-instrumentation", "pyinstrument")


@dataclass(frozen=True)
class VersionEnv:
    requirement: str
    python: str
    pinned: bool  # False when the SDK pins had to be dropped to install this version
    reused: bool


def cache_root(explicit: Optional[str] = None) -> Path:
    root = explicit or os.environ.get("OTELAUDIT_CACHE") or os.path.join(Path.home(), ".cache", "otelaudit", "envs")
    return Path(root)


def current_pins(extra: Sequence[str] = ()) -> Tuple[str, ...]:
    """`name==version` of the core distributions (and `extra`) installed here."""
    from importlib import metadata

    pins = []
    for name in (*CORE_PINS, *extra):
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return tuple(pins)


def ensure(requirement: str, pins: Sequence[str], find_links: Sequence[str], root: Path,
           on_progress: Callable[[str], None] = lambda m: None) -> VersionEnv:
    key = hashlib.sha256(json.dumps([sys.version, requirement, sorted(pins), sorted(find_links)]).encode())
    home = root / f"{_slug(requirement)}-{key.hexdigest()[:12]}"
    python = str(home / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    marker = home / "otelaudit-ready.json"
    reused = marker.exists()
    try:
        if not reused:
            on_progress(f"building an environment for {requirement} in {home}")
            pinned = _build(home, python, requirement, pins, find_links)
            marker.write_text(json.dumps({"requirement": requirement, "pinned": pinned}))
        _install_harness(python)
    except (OSError, subprocess.SubprocessError) as error:
        raise EnvironmentBuildError(f"cannot build an environment for {requirement}: {error}") from error
    return VersionEnv(requirement, python, json.loads(marker.read_text())["pinned"], reused)


def _build(home: Path, python: str, requirement: str, pins: Sequence[str], find_links: Sequence[str]) -> bool:
    shutil.rmtree(home, ignore_errors=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(str(home))
    links = [arg for link in find_links for arg in ("--find-links", os.path.abspath(link))]
    first = _pip(python, [requirement, *pins, *links])
    if first.returncode == 0:
        return True
    # Old instrumentations pin an older SDK exactly: install them with what they require.
    second = _pip(python, [requirement, *[p for p in pins if not p.startswith("opentelemetry-")], *links])
    if second.returncode == 0:
        return False
    shutil.rmtree(home, ignore_errors=True)
    lines = [ln for ln in second.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
    raise EnvironmentBuildError(f"cannot install {requirement}: {lines[-1] if lines else 'pip failed'}")


def _pip(python: str, args: Sequence[str]) -> "subprocess.CompletedProcess[str]":
    command = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
               *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def _install_harness(python: str) -> None:
    """Copies this otelaudit (with its bundled scenarios) where the environment imports it."""
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shim = Path(site).parent / "otelaudit-harness"
    target = shim / "otelaudit"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(os.path.dirname(otelaudit.__file__), target, ignore=ignore)
    import otelaudit.instrumentations as bundled

    source = list(bundled.__path__)[0]
    if not (target / "instrumentations").exists():
        shutil.copytree(source, target / "instrumentations", ignore=ignore)
    (Path(site) / "otelaudit-harness.pth").write_text(str(shim) + "\n")


def _slug(requirement: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in requirement)[:60]


def add_pins(python: str, pins: Sequence[str], find_links: Sequence[str]) -> None:
    """Installs further pins (the scenario's library) into a built environment."""
    if pins:
        links = [arg for link in find_links for arg in ("--find-links", os.path.abspath(link))]
        completed = _pip(python, [*pins, *links])
        if completed.returncode != 0:
            raise EnvironmentBuildError(f"cannot install {' '.join(pins)} beside the version under test")
