"""Isolated environments for one side of a comparison, built once and cached (keyed by the
recipe, Python, requirements and package sources): a venv without system site-packages
holding what the side asks for, and a copy of otelaudit with its bundled scenarios
(refreshed every time, so the harness is always the caller's). An environment is verified
(its imports, the instrumentor's entry point, otelaudit) before it is marked ready, and
again before it is reused; a broken one is removed, never reused. uv, when installed,
resolves and installs (with one wheel cache shared by every environment); pip otherwise.
The only module here that starts processes (pip, uv, the verifying interpreter)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import otelaudit
from otelaudit.errors import EnvironmentBuildError as EnvironmentBuildError  # re-exported from its old home
from otelaudit.errors import IndexUnreachableError, ScenarioError, UsageError

CORE_PINS = ("opentelemetry-api", "opentelemetry-sdk", "opentelemetry-instrumentation", "pyinstrument")
RECIPE = "4"  # bump when the way environments are built changes: older ones are never reused
# Constraints, applied only where a release requires the package: opentelemetry-instrumentation
# before 0.49b0 imports pkg_resources (declaring setuptools unbounded), which setuptools 82 removed.
CONSTRAINTS = ("setuptools<82",)
MARKER = "otelaudit-ready.json"
Progress = Callable[[str], None]
Group = Tuple[str, Tuple[str, ...]]  # (what it serves, its requirements): installed when it resolves


@dataclass(frozen=True)
class EnvSpec:
    """What one side's environment must hold. `attempts` are requirement sets tried in
    order (the first keeps this environment's pins); `groups` are added when they resolve
    beside the attempt that installed (e.g. one scenario's instrumentation)."""

    label: str
    attempts: Tuple[Tuple[str, ...], ...]
    groups: Tuple[Group, ...] = ()
    must_import: Tuple[str, ...] = ("opentelemetry.sdk.trace", "otelaudit.instrumentations", "otelaudit.child.measure")
    entry_point_of: Optional[str] = None  # this distribution must provide an opentelemetry_instrumentor
    find_links: Tuple[str, ...] = ()
    index_url: Optional[str] = None


@dataclass(frozen=True)
class VersionEnv:
    label: str
    python: str
    home: str
    attempt: int  # which of the attempts installed: 0 kept every pin of this environment
    groups: Tuple[str, ...]  # the groups installed
    reused: bool
    build_s: float  # of this call: building, or verifying a cached one


def cache_root(explicit: Optional[str] = None) -> Path:
    """The cache, created and checked writable: a one-line error naming --cache-dir otherwise."""
    try:
        root = Path(explicit or os.environ.get("OTELAUDIT_CACHE") or Path.home() / ".cache" / "otelaudit" / "envs")
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except (OSError, RuntimeError) as error:  # RuntimeError: no home directory at all
        where = explicit or os.environ.get("OTELAUDIT_CACHE") or "~/.cache/otelaudit/envs"
        why = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot write the environment cache {where} ({why}): "
                         "choose a writable one with --cache-dir DIR (or $OTELAUDIT_CACHE)") from error
    return root


def current_pins(extra: Sequence[str] = ()) -> Tuple[str, ...]:
    """`name==version` of the core distributions (and `extra`) installed here."""
    return pins_here((*CORE_PINS, *extra))


def pins_here(names: Sequence[str]) -> Tuple[str, ...]:
    """`name==version` of those of `names` installed here."""
    from importlib import metadata

    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return tuple(pins)


def ensure(spec: EnvSpec, root: Path, rebuild: bool = False, on_progress: Progress = lambda m: None) -> VersionEnv:
    key = hashlib.sha256(json.dumps([RECIPE, CONSTRAINTS, sys.version, spec.attempts, spec.groups, spec.must_import,
                                     spec.entry_point_of, sorted(spec.find_links), spec.index_url]).encode())
    home = root / f"{_slug(spec.label)}-{key.hexdigest()[:12]}"
    python = str(home / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    started = time.perf_counter()
    marker = home / MARKER
    if marker.exists() and not rebuild:
        try:
            _install_harness(python)
            problem = _verify(python, spec)
        except (OSError, subprocess.SubprocessError) as error:
            problem = str(error)
        if problem is None:
            recorded = json.loads(marker.read_text())
            return VersionEnv(spec.label, python, str(home), recorded["attempt"], tuple(recorded["groups"]), True,
                              time.perf_counter() - started)
        on_progress(f"the cached environment of {spec.label} is broken ({problem}): rebuilding it")
    on_progress(f"building an environment for {spec.label} in {home}" + (" (with uv)" if _uv() else " (with pip)"))
    try:
        attempt, groups = _build(home, python, spec, on_progress)
        _install_harness(python)
        problem = _verify(python, spec)
        if problem is not None:
            raise _verify_error(spec, problem)
        marker.write_text(json.dumps({"label": spec.label, "attempt": attempt, "groups": groups}))
    except (OSError, subprocess.SubprocessError) as error:
        shutil.rmtree(home, ignore_errors=True)
        raise EnvironmentBuildError(f"cannot build an environment for {spec.label}: {error}") from error
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)  # nothing half-built is left to be reused
        raise
    took = time.perf_counter() - started
    on_progress(f"built the environment for {spec.label} in {took:.1f} s")
    return VersionEnv(spec.label, python, str(home), attempt, tuple(groups), False, took)


def _build(home: Path, python: str, spec: EnvSpec, on_progress: Progress) -> Tuple[int, List[str]]:
    shutil.rmtree(home, ignore_errors=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(str(home))
    last = ""
    for number, attempt in enumerate(spec.attempts):
        if number:
            on_progress(f"{spec.label}: this environment's pins do not install beside it; trying {' '.join(attempt)}")
        every = [r for _, reqs in spec.groups for r in reqs]
        done = _install(python, [*attempt, *every], spec)
        if done.returncode == 0:
            return number, [name for name, _ in spec.groups]
        kept = [(name, reqs) for name, reqs in spec.groups if _install(python, [*attempt, *reqs], spec, True)
                .returncode == 0] if spec.groups else []
        if kept and len(kept) < len(spec.groups):
            dropped = sorted({name for name, _ in spec.groups} - {name for name, _ in kept})
            on_progress(f"{spec.label}: {', '.join(dropped)} cannot install beside it: left out")
        done = _install(python, [*attempt, *[r for _, reqs in kept for r in reqs]], spec)
        if done.returncode == 0:
            return number, [name for name, _ in kept]
        last = _last_error(done.stderr)
    raise EnvironmentBuildError(f"cannot install {spec.label}: {last}")


def add_pins(env: VersionEnv, spec: EnvSpec, pins: Sequence[str]) -> None:
    """Installs further pins (the scenario's library) into a built environment, or removes it."""
    done = _install(env.python, pins, spec)
    if done.returncode != 0:
        shutil.rmtree(env.home, ignore_errors=True)
        raise EnvironmentBuildError(f"cannot install {' '.join(pins)} beside {spec.label}: {_last_error(done.stderr)}")


def _install(python: str, requirements: Sequence[str], spec: EnvSpec,
             dry_run: bool = False) -> "subprocess.CompletedProcess[str]":
    links = [arg for link in spec.find_links for arg in ("--find-links", os.path.abspath(link))]
    index = ["--index-url", spec.index_url] if spec.index_url else []
    constraints = Path(python).parents[1] / "otelaudit-constraints.txt"
    constraints.write_text("\n".join(CONSTRAINTS) + "\n")
    index += ["--constraint", str(constraints)]
    uv, env = _uv(), dict(os.environ)
    if uv:
        env.setdefault("UV_CACHE_DIR", str(Path(python).parents[2] / ".uv-cache"))
        command = [uv, "pip", "install", "--python", python, "--quiet", *links, *index]
    elif importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                   "--disable-pip-version-check", "--retries", "1", *links, *index]
    else:
        raise EnvironmentBuildError(f"cannot build an environment for {spec.label}: this environment has neither "
                                    "uv nor pip (pip install uv)")
    command += ["--dry-run"] if dry_run else []
    done = subprocess.run([*command, *requirements], capture_output=True, text=True, timeout=900, env=env)
    if done.returncode != 0 and _unreachable(done.stderr):
        raise IndexUnreachableError(f"cannot reach the package index while installing {spec.label}: "
                                    f"{_last_error(done.stderr)}")
    return done


def _uv() -> Optional[str]:
    """uv from $OTELAUDIT_UV, this interpreter's environment or PATH; "" in $OTELAUDIT_UV forces pip."""
    chosen = os.environ.get("OTELAUDIT_UV")
    if chosen is not None:
        return chosen or None
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def _unreachable(stderr: str) -> bool:
    signs = ("Failed to establish a new connection", "Connection refused", "Temporary failure in name resolution",
             "Name or service not known", "Failed to fetch", "error sending request", "dns error")
    return any(sign in stderr for sign in signs)


# The entry point first: a distribution that provides none is bad input, whatever else is missing.
VERIFY = """
import importlib, sys
from importlib import metadata
if sys.argv[1]:
    try:
        points = metadata.distribution(sys.argv[1]).entry_points
    except metadata.PackageNotFoundError:
        sys.exit("entry-point: " + sys.argv[1] + " is not installed")
    if not any(p.group == "opentelemetry_instrumentor" for p in points):
        sys.exit("entry-point: " + sys.argv[1] + " provides no opentelemetry_instrumentor entry point")
for name in sys.argv[2:]:
    importlib.import_module(name)
"""


def _verify(python: str, spec: EnvSpec) -> Optional[str]:
    """None when the environment holds what the spec needs; else the first problem, one line."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("OTEL_")}
    done = subprocess.run([python, "-c", VERIFY, spec.entry_point_of or "", *spec.must_import], capture_output=True,
                          text=True, timeout=120, env=env, cwd=str(Path(python).parents[1]))
    return None if done.returncode == 0 else _last_error(done.stderr)


def _verify_error(spec: EnvSpec, problem: str) -> Exception:
    if problem.startswith("entry-point: "):  # installed fine, but nothing to compare
        return ScenarioError(f"{problem[len('entry-point: '):]}: compare takes an instrumentation "
                             "(DIST==A [DIST==B]), opentelemetry-sdk or opentelemetry-api")
    return EnvironmentBuildError(f"the environment built for {spec.label} is broken: {problem}")


def _install_harness(python: str) -> None:
    """Copies this otelaudit, with its bundled scenarios, where the environment imports it."""
    import otelaudit.instrumentations as bundled

    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shim = Path(site).parent / "otelaudit-harness"
    target = shim / "otelaudit"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(os.path.dirname(otelaudit.__file__), target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "instrumentations"))
    # Installed, the scenarios are otelaudit/instrumentations; editable, the checkout's top-level folder.
    shutil.copytree(list(bundled.__path__)[0], target / "instrumentations",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (Path(site) / "otelaudit-harness.pth").write_text(str(shim) + "\n")


def _last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.lstrip().startswith("WARNING")]
    errors = [ln for ln in lines if ln.startswith(("ERROR", "error", "×", "╰─▶"))]
    return (errors[-1] if errors else lines[-1] if lines else "the installer failed").lstrip("×╰─▶ ")[:400]


def _slug(requirement: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in requirement)[:60]
