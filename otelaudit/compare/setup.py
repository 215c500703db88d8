"""Turns `DIST==A [DIST==B]` into the sides of a comparison, each in a cached, verified
environment (otelaudit.compare.envs): an instrumentation with its own exact
`opentelemetry-instrumentation`, this environment's api/sdk when it accepts them (else
one it does, said in the side's notes), the scenario's library pinned to the version
installed here. The index is asked first, so bad input fails before anything is built.
`opentelemetry-sdk`/`-api` pins go to otelaudit.compare.sdk; one pin alone is compared
against what is installed here, run by this interpreter."""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from otelaudit.compare import envs, index
from otelaudit.compare.pins import INSTRUMENTATION, SDK_FAMILY, Pair, Sources, checked_release, parse_pins
from otelaudit.compare.contrib import prepare_contrib
from otelaudit.compare.sdk import prepare_sdk
from otelaudit.compare.versions import describe
from otelaudit.errors import UsageError
from otelaudit.model import Version

Progress = Callable[[str], None]


def prepare_versions(pins: Sequence[str], sources: Sources, on_progress: Progress,
                     scenarios: Sequence[str] = (), contrib: Sequence[str] = ()) -> Tuple[Pair, ...]:
    """One pair of sides per scenario compared (an instrumentation has one)."""
    if contrib:
        if pins:
            raise UsageError("compare takes DIST==VERSION pins or --contrib LINE [LINE], not both")
        return prepare_contrib(contrib, sources, on_progress, scenarios)
    distribution, versions = parse_pins(pins)
    if index.canonical(distribution) in SDK_FAMILY:
        return prepare_sdk(distribution, versions, sources, on_progress, scenarios)
    if scenarios:
        raise UsageError("--scenario applies to opentelemetry-sdk/-api pins; an instrumentation has its scenario")
    checked_release(distribution, versions, sources)
    root = envs.cache_root(sources.cache_dir)
    sides = [isolated_version(distribution, v, sources, root, on_progress) for v in versions]
    if len(sides) == 1:
        installed = describe(f"{distribution} (installed)", sys.executable, False, distribution)
        if installed.instrumentor is None or index.canonical(installed.instrumentor.distribution) != \
                index.canonical(distribution):
            raise UsageError(f"{distribution} is not installed here: give two versions")
        sides.append(installed)
    return ((sides[0], sides[1]),)


def isolated_version(distribution: str, version: str, sources: Sources, root: Path, on_progress: Progress) -> Version:
    requirement = f"{distribution}=={version}"
    library = _library_here(distribution)
    sdk = envs.pins_here(SDK_FAMILY)
    rest = envs.pins_here(("pyinstrument", library) if library else ("pyinstrument",))
    # Contrib releases pin their exact opentelemetry-instrumentation: never this environment's.
    attempts = ((requirement, *sdk, *rest, "packaging"), (requirement, "opentelemetry-sdk", *rest, "packaging"))
    spec = envs.EnvSpec(requirement, attempts, must_import=envs.EnvSpec.must_import + INSTRUMENTATION,
                        entry_point_of=distribution, find_links=sources.find_links, index_url=sources.index_url)
    built = envs.ensure(spec, root, sources.rebuild, on_progress)
    side = _with_env(describe(requirement, built.python, True, distribution), built, sdk)
    missing = _library_pin(side, distribution)
    if missing:
        on_progress(f"pinning {missing} in the environment of {requirement}")
        envs.add_pins(built, spec, [missing])
        side = _with_env(describe(requirement, built.python, True, distribution), built, sdk)
    return side


def _with_env(side: Version, built: envs.VersionEnv, kept: Sequence[str]) -> Version:
    """The side with its environment, and a note when it could not keep this environment's SDK pins."""
    moved = [(name, here, side.packages.get(name)) for name, _, here in (p.partition("==") for p in kept)
             if side.packages.get(name) != here]
    notes = tuple(f"{side.requirement} does not install beside this environment's "
                  f"{', '.join(f'{n} {here}' for n, here, _ in moved)}: its environment has "
                  f"{', '.join(f'{n} {there}' for n, _, there in moved)}, so the difference includes them"
                  for _ in moved[:1])
    return replace(side, environment=built.home, build_s=round(built.build_s, 2), reused=built.reused, notes=notes)


def _library_pin(side: Version, distribution: str) -> Optional[str]:
    """`library==version installed here`, when the side's environment has another version."""
    library = side.scenario.library_distribution or _library_distribution(side.scenario.library)
    if library is None or index.canonical(library) == index.canonical(distribution):
        return None
    pin = next(iter(envs.pins_here((library,))), None)
    return pin if pin and side.packages.get(library) != pin.split("==")[1] else None


def _library_here(distribution: str) -> Optional[str]:
    """The library distribution the installed instrumentation of `distribution` drives, if it is installed here."""
    from otelaudit.discover.catalog import load_catalog
    from otelaudit.discover.instrumentors import discover_instrumentors
    from otelaudit.scenarios.api import scenario_for

    scenarios = load_catalog().scenarios
    for instrumentor in discover_instrumentors():
        if index.canonical(instrumentor.distribution) == index.canonical(distribution):
            scenario = scenario_for(scenarios, instrumentor.name, instrumentor.distribution)
            return _library_distribution(scenario.library) if scenario else None
    return None


@functools.lru_cache(maxsize=None)  # a scan of every installed distribution's files: seconds in a big environment
def _library_distribution(module: str) -> Optional[str]:
    from otelaudit.child.describe import library_distribution

    if module.partition(".")[0] in getattr(sys, "stdlib_module_names", ()):  # no scan for the standard library
        return None
    return library_distribution(module)


def pair_notes(pairs: Sequence[Pair]) -> List[str]:
    return [note for pair in pairs for side in pair for note in side.notes]

