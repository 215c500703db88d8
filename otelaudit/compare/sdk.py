"""`compare opentelemetry-sdk==A [opentelemetry-sdk==B]` (or `-api`: they move together):
one environment per release holding api and sdk at that version, and for each chosen
scenario its instrumentation (at the release line that accepts that SDK: contrib pins
its semantic conventions exactly, so it moves too, and the comparison says so) and its
library pinned as installed here. A scenario compares only where it installs under
both releases. The default scenarios: those of otelaudit's `scenarios` extra installed
here, and the scenarios of the SDK itself (bound to no instrumentation)."""

from __future__ import annotations

import sys
from importlib import metadata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from otelaudit.compare import envs, index
from otelaudit.compare.pins import INSTRUMENTATION, SDK_FAMILY, Pair, Sources, checked_release
from otelaudit.compare.versions import description
from otelaudit.errors import ScenarioError, UsageError, did_you_mean
from otelaudit.model import Version
from otelaudit.scenarios.api import Scenario
from otelaudit.scenarios.sdk import is_sdk_scenario

Progress = Callable[[str], None]
DEFAULT_EXTRA = "scenarios"
CONTRIB = "opentelemetry-instrumentation"  # compare --contrib: its release line, and every instrumentation's


@dataclass(frozen=True)
class Plan:
    """A scenario to compare, and what its environment needs beside the SDK."""

    scenario: Scenario
    instrumentation: Optional[str]  # its instrumentation's distribution; None: a scenario of the SDK itself
    pins: Tuple[str, ...]  # its library, pinned as installed here
    version: Optional[str] = None  # the instrumentation's, when it is pinned (compare --contrib)

    @property
    def requirements(self) -> Tuple[str, ...]:
        pinned = f"{self.instrumentation}=={self.version}" if self.version else self.instrumentation
        return ((pinned,) if pinned else ()) + self.pins


def prepare_sdk(distribution: str, versions: Sequence[str], sources: Sources, on_progress: Progress,
                chosen: Sequence[str]) -> Tuple[Pair, ...]:
    for name in SDK_FAMILY:  # both must exist at each version
        checked_release(name, versions, sources)
    plans = scenario_plans(chosen)
    root = envs.cache_root(sources.cache_dir)
    sides = [sdk_side(v, plans, sources, root, on_progress) for v in versions]
    if len(sides) == 1:
        sides.append(side_here(plans, f"opentelemetry-sdk=={metadata.version('opentelemetry-sdk')} (installed)"))
    return paired(plans, sides, f"{distribution} releases", on_progress)


def paired(plans: Sequence[Plan], sides: Sequence[Dict[str, Version]], what: str,
           on_progress: Progress) -> Tuple[Pair, ...]:
    """The scenarios that installed on both sides, each as a pair (A, B)."""
    common = [p.scenario.name for p in plans if all(p.scenario.name in side for side in sides)]
    left_out = [p.scenario.name for p in plans if p.scenario.name not in common]
    if left_out:
        on_progress(f"not compared (they do not install under both): {', '.join(left_out)}")
    if not common:
        raise ScenarioError(f"no scenario installs under both {what}: choose others with --scenario")
    return tuple((sides[0][name], sides[1][name]) for name in common)


def scenario_plans(chosen: Sequence[str], defaults_only: bool = True) -> List[Plan]:
    from otelaudit.discover.catalog import load_catalog
    from otelaudit.discover.instrumentors import discover_instrumentors

    scenarios = {s.name: s for s in load_catalog().scenarios.values()}
    installed = {(i.name, index.canonical(i.distribution)): i.distribution for i in discover_instrumentors()}
    unknown = [name for name in chosen if name not in scenarios]
    if unknown:
        raise UsageError(f"no scenario named {unknown[0]!r}{did_you_mean(unknown[0], sorted(scenarios))}")
    plans = []
    for scenario in (scenarios[name] for name in chosen) if chosen else scenarios.values():
        plan = _plan(scenario, installed)
        if plan is None and chosen:
            raise UsageError(f"scenario {scenario.name!r}: its instrumentation is not installed here, so no "
                             "version of it is known to compare under both releases: install it first")
        plans += [plan] if plan else []
    return plans if chosen or not defaults_only else _defaults(plans)


def _plan(scenario: Scenario, installed: Dict[Tuple[str, str], str]) -> Optional[Plan]:
    from otelaudit.child.describe import library_distribution

    if is_sdk_scenario(scenario):  # its library is the API, which moves with the SDK
        return Plan(scenario, None, ())
    library = library_distribution(scenario.library)
    pins = envs.pins_here((library,)) if library and index.canonical(library) not in SDK_FAMILY else ()
    wanted = index.canonical(scenario.instrumentor_distribution or "")
    found = [d for (name, dist), d in installed.items() if name == scenario.instrumentor and wanted in ("", dist)]
    return Plan(scenario, found[0], pins) if found else None


def _defaults(plans: Sequence[Plan]) -> List[Plan]:
    """The scenarios of otelaudit's `scenarios` extra (by their instrumentation), and the SDK's own."""
    from packaging.requirements import Requirement

    extra = set()
    for text in metadata.requires("otelaudit") or ():
        requirement = Requirement(text)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": DEFAULT_EXTRA}):
            extra.add(index.canonical(requirement.name))
    return sorted((p for p in plans if p.instrumentation is None or index.canonical(p.instrumentation) in extra),
                  key=lambda p: p.scenario.name)


def sdk_side(version: str, plans: Sequence[Plan], sources: Sources, root: Path,
             on_progress: Progress) -> Dict[str, Version]:
    requirement = f"opentelemetry-sdk=={version}"
    core: Tuple[str, ...] = (f"opentelemetry-api=={version}", requirement)
    if any(p.instrumentation for p in plans):
        core += ("opentelemetry-instrumentation",)  # at the release line this SDK accepts
    return release_side(requirement, core, plans, sources, root, on_progress)


def release_side(requirement: str, core: Tuple[str, ...], plans: Sequence[Plan], sources: Sources, root: Path,
                 on_progress: Progress) -> Dict[str, Version]:
    """One release's environment (`core`, and each plan that installs beside it) and its side of each scenario."""
    instrumented = any(p.instrumentation for p in plans)
    spec = envs.EnvSpec(requirement, ((*core, "packaging", *envs.pins_here(("pyinstrument",))),),
                        tuple((p.scenario.name, p.requirements) for p in plans),
                        must_import=envs.EnvSpec.must_import + (INSTRUMENTATION if instrumented else ()),
                        find_links=sources.find_links, index_url=sources.index_url)
    built = envs.ensure(spec, root, sources.rebuild, on_progress)
    kept = [p for p in plans if p.scenario.name in built.groups]
    sides = {p.scenario.name: _side(requirement, built.python, True, p) for p in kept}
    return {name: replace(side, environment=built.home, build_s=round(built.build_s, 2), reused=built.reused)
            for name, side in sides.items()}


def side_here(plans: Sequence[Plan], requirement: str) -> Dict[str, Version]:
    return {p.scenario.name: _side(requirement, sys.executable, False, p) for p in plans}


def _side(requirement: str, python: str, isolated: bool, plan: Plan) -> Version:
    from otelaudit.child.describe import scenario_description

    found = description(requirement, python, isolated, plan.instrumentation or "opentelemetry-sdk")
    scenario = found.scenario if plan.instrumentation and found.scenario else scenario_description(plan.scenario)
    return Version(requirement, python, isolated, found.instrumentor, scenario, found.packages)


def matched_pins(a: Version) -> Tuple[str, ...]:
    """The distributions whose versions should match on both sides of this scenario, the
    distribution under comparison left out: the core ones, and the instrumentation's."""
    subject = index.canonical(a.requirement.partition("==")[0])
    family = SDK_FAMILY if subject in SDK_FAMILY else (subject,)
    instrumentation = [a.instrumentor.distribution] if a.instrumentor else []
    if subject == CONTRIB:  # the whole contrib line moves: the instrumentation is what is compared
        family, instrumentation = (subject,), []
    names = [*envs.CORE_PINS, *instrumentation]
    if a.instrumentor is None:  # a scenario of the SDK itself runs no instrumentation
        names.remove("opentelemetry-instrumentation")
    return tuple(n for n in names if index.canonical(n) not in family)
