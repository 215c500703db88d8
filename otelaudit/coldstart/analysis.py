"""Turns the cold-start children's runs into a target's summary: import cost paired by
round against the library-only baseline, instrument() time, the modules added (from
`-X importtime`, owners from the distributions' file lists) and first-call cost."""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

from otelaudit.measure import stats
from otelaudit.model import ColdArm, ColdRun, FirstCall, ModuleCost
from otelaudit.coldstart.importtime import added_modules
from otelaudit.model import Estimate


def paired(runs: Sequence[ColdRun]) -> Dict[ColdArm, List[ColdRun]]:
    """Runs of rounds where every measured arm succeeded, ordered by round."""
    by_round: Dict[int, Dict[str, ColdRun]] = {}
    for run in runs:
        if run.failure is None:
            by_round.setdefault(run.round, {})[run.arm] = run
    complete = [arms for _, arms in sorted(by_round.items()) if {"baseline", "instrumented"} <= set(arms)]
    paired_arms: Dict[ColdArm, List[ColdRun]] = {"baseline": [a["baseline"] for a in complete],
                                                 "instrumented": [a["instrumented"] for a in complete]}
    if complete and all("auto" in a for a in complete):  # optional: a failed auto run drops the arm
        paired_arms["auto"] = [a["auto"] for a in complete]
    return paired_arms


def to_first_op(arms: Dict[ColdArm, List[ColdRun]]) -> Dict[str, Estimate]:
    """Per arm: from spawning the interpreter to the end of its first operation."""
    return {arm: stats.median_interval([r.to_first_op_s * 1000 for r in runs if r.to_first_op_s is not None])
            for arm, runs in arms.items() if runs and all(r.to_first_op_s is not None for r in runs)}


def to_first_op_added(arms: Dict[ColdArm, List[ColdRun]]) -> Dict[str, Estimate]:
    """Per instrumented arm, its time to the first operation minus the baseline's, by round."""
    base = [r.to_first_op_s for r in arms.get("baseline", [])]
    added = {}
    for arm in ("instrumented", "auto"):
        treated = [r.to_first_op_s for r in arms.get(arm, [])]
        if base and len(treated) == len(base) and None not in base and None not in treated:
            added[arm] = stats.paired_difference([t * 1000 for t in treated], [b * 1000 for b in base])  # type: ignore[operator]
    return added


def auto_warnings(arms: Dict[ColdArm, List[ColdRun]]) -> List[str]:
    runs = arms.get("auto", [])
    if runs and not any(r.telemetry_items for r in runs):
        return ["under opentelemetry-instrument the first operations produced no telemetry "
                "(the instrumentor was excluded, failed to load, or does not instrument this way)"]
    return []


def import_ms(base: Sequence[ColdRun], treated: Sequence[ColdRun]) -> Estimate:
    """(library + instrumentation) − library import, round by round."""
    return stats.paired_difference([(r.library_import_s + r.instrumentation_import_s) * 1000 for r in treated],
                                   [r.library_import_s * 1000 for r in base])


def import_cpu_ms(base: Sequence[ColdRun], treated: Sequence[ColdRun]) -> Estimate:
    return stats.paired_difference(
        [(r.library_import_cpu_s + r.instrumentation_import_cpu_s) * 1000 for r in treated],
        [r.library_import_cpu_s * 1000 for r in base])


def startup_cpu_us(run: ColdRun) -> float:
    """CPU a service spends on it at start-up: the imports and instrument()."""
    return (run.library_import_cpu_s + run.instrumentation_import_cpu_s + run.instrument_cpu_s) * 1e6


def ms(values: Sequence[float]) -> Optional[Estimate]:
    return stats.median_interval([v * 1000 for v in values]) if values else None


def modules(base: Sequence[ColdRun], treated: Sequence[ColdRun],
            owner_of_file: Callable[[str], Optional[str]]) -> List[ModuleCost]:
    files: Dict[str, str] = {}
    for run in treated:
        files.update(run.module_files)
    owners = {module: owner_of_file(path) for module, path in files.items() if path}
    return added_modules([r.imports for r in treated], [r.imports for r in base],
                         {m: o for m, o in owners.items() if o})


def first_call(arm: ColdArm, runs: Sequence[ColdRun]) -> Optional[FirstCall]:
    usable = [r for r in runs if r.first_op_us]
    if not usable:
        return None
    return FirstCall(
        arm=arm,
        first_op_us=stats.median_interval([r.first_op_us[0] for r in usable]),
        steady_op_us=stats.median_interval([r.steady_op_us for r in usable]),
        first_minus_steady_us=stats.median_interval([r.first_op_us[0] - r.steady_op_us for r in usable]),
    )


def first_call_extra(base: Sequence[ColdRun], treated: Sequence[ColdRun]) -> Optional[Estimate]:
    """How much more the instrumented first operation exceeds its steady state than the baseline's."""
    pairs = [(t, b) for t, b in zip(treated, base) if t.first_op_us and b.first_op_us]
    if not pairs:
        return None
    return stats.paired_difference([t.first_op_us[0] - t.steady_op_us for t, _ in pairs],
                                   [b.first_op_us[0] - b.steady_op_us for _, b in pairs])
