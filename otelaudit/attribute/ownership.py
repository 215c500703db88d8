"""Which installed distribution owns a source file, from the distributions' own file
lists (RECORD), so a frame can be classed as telemetry code (instrumentation, SDK, API,
exporter), the standard library, or anything else — and the same can be repeated later
on a saved chain of frames."""

from __future__ import annotations

import csv
import os
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Dict, Optional, Tuple

if TYPE_CHECKING:
    from otelaudit.model import Instrumentor

TELEMETRY_PREFIX = "opentelemetry"
HARNESS = "otelaudit"  # depends on the OTel API, but its frames are the workload's, never telemetry


@dataclass(frozen=True)
class Owner:
    distribution: str
    version: str
    telemetry: bool


def _requires_otel_api(dist: metadata.Distribution) -> bool:
    """Telemetry libraries of other vendors depend on the OTel API unconditionally; a
    library that only offers it as an extra (starlette[full]) is not telemetry code."""
    return any(
        req.replace("_", "-").lower().startswith("opentelemetry-api") and "extra" not in req
        for req in dist.requires or ()
    )


class Ownership:
    """Maps real file paths to the distribution that installed them."""

    def __init__(self, owners: Dict[str, Owner], stdlib_dirs: Tuple[str, ...],
                 package_dirs: Tuple[Tuple[str, Owner], ...] = ()) -> None:
        self.owners = owners
        self.stdlib_dirs = stdlib_dirs
        self.package_dirs = package_dirs

    @classmethod
    def of_environment(cls, audited: Optional[Tuple[str, str, str]] = None,
                       library: Optional[str] = None) -> "Ownership":
        """`audited` is (distribution, version, package directory) of the instrumentor under
        audit: telemetry even when its files are not listed (editable or path installs).
        `library` is the distribution the scenario drives: library code even when it depends
        on the OTel API for tracing of its own (anthropic 2.x), as the baseline runs it too."""
        owners: Dict[str, Owner] = {}
        real = _RealPaths()
        for dist in metadata.distributions():
            name = dist.metadata["Name"] or "?"
            telemetry = name.lower() not in (HARNESS, (library or "").lower()) and (
                name.lower().startswith(TELEMETRY_PREFIX) or _requires_otel_api(dist)
                or (audited is not None and name.lower() == audited[0].lower()))
            owner = Owner(name, dist.version, telemetry)
            base = str(dist.locate_file(""))
            for file in _listed_files(dist):
                if file.endswith(".py"):
                    owners.setdefault(real(os.path.join(base, file)), owner)
        paths = sysconfig.get_paths()
        stdlib = tuple(os.path.realpath(paths[key]) + os.sep for key in ("stdlib", "platstdlib"))
        package_dirs: Tuple[Tuple[str, Owner], ...] = ()
        if audited is not None:
            package_dirs = ((os.path.realpath(audited[2]) + os.sep, Owner(audited[0], audited[1], True)),)
        return cls(owners, stdlib, package_dirs)

    @classmethod
    def for_instrumentor(cls, instrumentor: "Instrumentor", library: Optional[str] = None) -> "Ownership":
        """The environment's ownership, with the instrumentor's own package as telemetry."""
        import importlib.util

        module_name = instrumentor.value.partition(":")[0]
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        if not origin:
            return cls.of_environment(library=library)
        return cls.of_environment((instrumentor.distribution, instrumentor.version, os.path.dirname(origin)), library)

    def owner(self, filename: str) -> Optional[Owner]:
        """The audited package's directory wins over installed file lists: a checkout's own
        `*.egg-info` (on sys.path as the current directory) lists every file of the checkout."""
        real = os.path.realpath(filename)
        audited = next((owner for prefix, owner in self.package_dirs if real.startswith(prefix)), None)
        return audited if audited is not None else self.owners.get(real)

    def is_audited(self, filename: str) -> bool:
        """Owned by the instrumentation under audit (the code its maintainers can change)."""
        owner = self.owner(filename)
        return owner is not None and any(owner.distribution == o.distribution for _, o in self.package_dirs)

    def is_telemetry(self, filename: str) -> bool:
        owner = self.owner(filename)
        return owner is not None and owner.telemetry

    def owner_name(self, filename: str) -> Optional[str]:
        """"stdlib", the owning distribution, or None when unknown (for display)."""
        if self.is_stdlib(filename):
            return "stdlib"
        owner = self.owner(filename)
        return owner.distribution if owner else None

    def is_stdlib(self, filename: str) -> bool:
        if filename.startswith("<"):  # <frozen importlib._bootstrap> and the like
            return True
        real = os.path.realpath(filename)
        return real.startswith(self.stdlib_dirs) and "site-packages" not in real


def _listed_files(dist: metadata.Distribution) -> Tuple[str, ...]:
    """The paths in a distribution's RECORD (or SOURCES.txt), as `dist.files` lists them
    but without one PackagePath object per file (~24,000 here: most of a probe child's start)."""
    text = dist.read_text("RECORD")
    if text is None:  # egg-info (SOURCES.txt, installed-files.txt)
        return tuple(str(file) for file in dist.files or ())
    return tuple(row[0] for row in csv.reader(text.splitlines()) if row)


class _RealPaths:
    """os.path.realpath, resolving each directory once: a distribution's files share a
    few directories, and realpath walks every component of every path."""

    def __init__(self) -> None:
        self._dirs: Dict[str, str] = {}

    def __call__(self, path: str) -> str:
        head, tail = os.path.split(os.path.normpath(path))
        if os.path.islink(path):
            return os.path.realpath(path)
        resolved = self._dirs.get(head)
        if resolved is None:
            resolved = self._dirs[head] = os.path.realpath(head)
        return os.path.join(resolved, tail)


def display_path(path: str) -> str:
    """The part of a path after site-packages (or the stdlib folder), as people cite it."""
    for marker in ("site-packages" + os.sep, "dist-packages" + os.sep):
        if marker in path:
            return path.split(marker, 1)[1]
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    return path[len(stdlib):] if path.startswith(stdlib) else path
