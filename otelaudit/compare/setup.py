"""Turns `DIST==A [DIST==B]` into the two sides of a version comparison: each version's
cached environment (otelaudit.compare.envs) with this environment's SDK pins and the scenario's
library pinned to the version installed here; one pin alone is compared against the
installed version, run by this interpreter."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

from otelaudit.compare import envs
from otelaudit.compare.versions import describe
from otelaudit.errors import UsageError
from otelaudit.model import Version


def parse_pin(text: str) -> Tuple[str, str]:
    name, sep, version = text.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise UsageError(f"expected DIST==VERSION, got {text!r}")
    return name.strip(), version.strip()


def prepare_versions(pins: Sequence[str], find_links: Sequence[str], cache_dir: Optional[str],
                     on_progress: Callable[[str], None]) -> Tuple[Version, Version]:
    if len(pins) not in (1, 2):
        raise UsageError("compare takes DIST==A and optionally DIST==B")
    parsed = [parse_pin(p) for p in pins]
    if len({envs_name(name) for name, _ in parsed}) != 1:
        raise UsageError("both versions must be of the same distribution")
    distribution = parsed[0][0]
    root = envs.cache_root(cache_dir)
    sides = [isolated_version(f"{name}=={version}", distribution, find_links, root, on_progress)
             for name, version in parsed]
    if len(sides) == 1:
        installed = describe(f"{distribution} (installed)", sys.executable, False, distribution)
        if installed.instrumentor.distribution.lower() != distribution.lower():
            raise UsageError(f"{distribution} is not installed here: give two versions")
        sides.append(installed)
    return sides[0], sides[1]


def isolated_version(requirement: str, distribution: str, find_links: Sequence[str], root: Path,
                     on_progress: Callable[[str], None]) -> Version:
    built = envs.ensure(requirement, envs.current_pins(), find_links, root, on_progress)
    version = describe(requirement, built.python, True, distribution)
    library = version.scenario.library_distribution or _installed_library(version.scenario.library)
    if library is not None and envs_name(library) != envs_name(distribution):
        wanted = envs.current_pins((library,))
        missing = [p for p in wanted if p.split("==")[0] == library and version.packages.get(library) != p.split("==")[1]]
        if missing:
            on_progress(f"pinning {' '.join(missing)} in the environment of {requirement}")
            envs.add_pins(built.python, missing, find_links)
            version = describe(requirement, built.python, True, distribution)
    return version


def _installed_library(module: str) -> Optional[str]:
    from otelaudit.child.describe import library_distribution

    return library_distribution(module)


def envs_name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
