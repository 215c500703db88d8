"""What `opentelemetry-instrument` adds to start-up: `python -c pass` plain, with the
auto-instrumentation sitecustomize on PYTHONPATH (initialize() only), and through the
real launcher (which starts an interpreter of its own and then execs the program) —
interleaved, paired by round — plus a per-instrumentor breakdown from `child.auto`."""

from __future__ import annotations

import os
import random
import shutil
import sys
from typing import Dict, List, Mapping, Optional, Sequence

from otelaudit.measure import stats
from otelaudit.model import (AutoArm, AutoBreakdown, AutoInstrumentorCost, AutoInstrumentorTiming, AutoStartup,
                             Estimate, Failure, StartArm, StartRun, StartSpec)
from otelaudit.plan.interleave import interleave, play
from otelaudit.run.runner import Runner

ARMS: Sequence[AutoArm] = ("plain", "sitecustomize", "launcher")
START_ARMS: Sequence[StartArm] = (*ARMS, "breakdown")


def auto_directory() -> Optional[str]:
    """The folder holding opentelemetry-instrument's sitecustomize, without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("opentelemetry.instrumentation.auto_instrumentation")
    except (ImportError, ValueError):
        return None
    return os.path.dirname(spec.origin) if spec is not None and spec.origin else None


def launcher(python: str = sys.executable) -> Optional[str]:
    return shutil.which("opentelemetry-instrument", path=os.path.dirname(python)) or shutil.which(
        "opentelemetry-instrument")


def measure_auto(rounds: int, seed: int, extra_env: Mapping[str, str], timeout_s: float, runner: Runner,
                 python: str = sys.executable) -> AutoStartup:
    directory, script = auto_directory(), launcher(python)
    if directory is None or script is None:
        return _failed(Failure("missing-library", "opentelemetry-instrument is not installed "
                                                  "(pip install opentelemetry-instrumentation)"))

    def start(round_index: int, arm: StartArm) -> StartRun:
        spec = StartSpec(arm, round_index, path_first=directory if arm == "sitecustomize" else None,
                         launcher=(script,) if arm == "launcher" else ())
        return runner.start(spec, extra_env, timeout_s)

    # A failed breakdown loses only its row; a start-up that fails cannot be timed at all.
    runs = play(interleave(rounds, random.Random(seed), START_ARMS), start,
                lambda run: run.failure is None or run.arm == "breakdown")
    failure = next((r.failure for r in runs if r.failure is not None and r.arm != "breakdown"), None)
    if failure is not None:
        return _failed(failure)
    samples = {arm: [r.wall_ms for r in runs if r.arm == arm] for arm in ARMS}
    breakdowns = [r.breakdown for r in runs if r.breakdown is not None]
    why = next((r.failure.message for r in runs if r.failure is not None), "no result")
    return _summarise(samples, breakdowns, rounds, why)


def _failed(failure: Failure) -> AutoStartup:
    empty = Estimate(0.0, 0.0, 0.0)
    return AutoStartup(empty, empty, empty, empty, empty, empty, empty, rounds=0, failure=failure)


def _ms(values: Sequence[float]) -> Estimate:
    return stats.median_interval(list(values)) if values else Estimate(0.0, 0.0, 0.0)


def _cost(name: str, rows: List[AutoInstrumentorTiming]) -> AutoInstrumentorCost:
    outcomes = [r.outcome for r in rows]
    return AutoInstrumentorCost(
        name=name,
        dependency_check_ms=_ms([r.dependency_check_s * 1000 for r in rows]),
        load_ms=_ms([r.load_s * 1000 for r in rows]),
        instrument_ms=_ms([r.instrument_s * 1000 for r in rows]),
        outcome=max(set(outcomes), key=outcomes.count),
        modules_imported=int(stats.median([r.modules_imported for r in rows])),
        packages_imported=rows[0].packages_imported,
    )


def _summarise(samples: Dict[AutoArm, List[float]], breakdowns: List[AutoBreakdown], rounds: int,
               why: str) -> AutoStartup:
    names: Dict[str, List[AutoInstrumentorTiming]] = {}
    for breakdown in breakdowns:
        for row in breakdown.instrumentors:
            names.setdefault(row.name, []).append(row)
    instrumentors = tuple(sorted((_cost(name, rows) for name, rows in names.items()),
                                 key=lambda c: -(c.dependency_check_ms.estimate + c.load_ms.estimate
                                                 + c.instrument_ms.estimate)))
    failure = None if breakdowns else Failure("workload-crashed",
                                              f"the auto-instrumentation breakdown child failed: {why}")
    return AutoStartup(
        plain_ms=_ms(samples["plain"]),
        sitecustomize_ms=_ms(samples["sitecustomize"]),
        launcher_ms=_ms(samples["launcher"]),
        initialize_added_ms=stats.paired_difference(samples["sitecustomize"], samples["plain"]),
        total_added_ms=stats.paired_difference(samples["launcher"], samples["plain"]),
        initialize_in_process_ms=_ms([(b.import_s + b.initialize_s) * 1000 for b in breakdowns]),
        distro_ms=_ms([b.distro_s * 1000 for b in breakdowns]),
        instrumentors=instrumentors,
        distro=breakdowns[0].distro if breakdowns else "",
        rounds=rounds,
        failure=failure,
    )
