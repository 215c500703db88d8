"""`compare --contrib A [B]`: the contrib release lines themselves. Each side is one
environment holding `opentelemetry-instrumentation==LINE`, every installed contrib
instrumentation that has a scenario at that same line (the contrib instrumentations are
those released with the installed opentelemetry-instrumentation), an SDK that line accepts
and each scenario's library pinned as installed here; each covered scenario is compared.
One line alone is compared against what is installed here."""

from __future__ import annotations

from dataclasses import replace
from importlib import metadata
from typing import Callable, List, Sequence, Tuple

from otelaudit.compare import envs
from otelaudit.compare.pins import Pair, Sources, checked_release
from otelaudit.compare.sdk import CONTRIB, Plan, paired, release_side, scenario_plans, side_here
from otelaudit.errors import ScenarioError, UsageError

Progress = Callable[[str], None]


def prepare_contrib(lines: Sequence[str], sources: Sources, on_progress: Progress,
                    chosen: Sequence[str]) -> Tuple[Pair, ...]:
    if len(lines) not in (1, 2):
        raise UsageError("--contrib takes one or two release lines, e.g. --contrib 0.55b0 0.66b1")
    checked_release(CONTRIB, lines, sources)
    plans = contrib_plans(chosen)
    root = envs.cache_root(sources.cache_dir)
    sides = [release_side(f"{CONTRIB}=={line}", (f"{CONTRIB}=={line}", "opentelemetry-sdk"),
                          [replace(p, version=line) for p in plans], sources, root, on_progress) for line in lines]
    if len(sides) == 1:
        sides.append(side_here(plans, f"{CONTRIB}=={metadata.version(CONTRIB)} (installed)"))
    return paired(plans, sides, "contrib release lines", on_progress)


def contrib_plans(chosen: Sequence[str]) -> List[Plan]:
    """The scenarios of the installed instrumentations released with the installed opentelemetry-instrumentation."""
    line = metadata.version(CONTRIB)
    plans = [p for p in scenario_plans(chosen, defaults_only=False) if p.instrumentation and _version(p.instrumentation) == line]
    if not plans:
        raise ScenarioError(f"no installed instrumentation of the {line} contrib line has a scenario"
                            + (f" among {', '.join(chosen)}" if chosen else ""))
    return sorted(plans, key=lambda p: p.scenario.name)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


