"""What `opentelemetry-instrument` adds to start-up: `python -c pass` plain, with the
auto-instrumentation sitecustomize on PYTHONPATH (initialize() only), and through the
real launcher (which starts an interpreter of its own and then execs the program) —
interleaved, paired by round — plus a per-instrumentor breakdown from `_auto_child`."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Mapping, Optional, Sequence

from otelaudit.measure import stats
from otelaudit.model import AutoArm, AutoInstrumentorCost, AutoStartup
from otelaudit.model import Estimate, Failure
from otelaudit.run.runner import child_environment

ARMS: Sequence[AutoArm] = ("plain", "sitecustomize", "launcher")


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


def measure_auto(rounds: int, seed: int, extra_env: Mapping[str, str], timeout_s: float,
                 python: str = sys.executable) -> AutoStartup:
    directory, script = auto_directory(), launcher(python)
    empty = Estimate(0.0, 0.0, 0.0)
    if directory is None or script is None:
        return AutoStartup(empty, empty, empty, empty, empty, empty, empty, rounds=0, failure=Failure(
            "missing-library", "opentelemetry-instrument is not installed (pip install opentelemetry-instrumentation)"))
    env = child_environment(extra_env)
    path = env.get("PYTHONPATH")
    commands = {
        "plain": ([python, "-c", "pass"], env),
        "sitecustomize": ([python, "-c", "pass"], {**env, "PYTHONPATH": os.pathsep.join(filter(None, [directory, path]))}),
        "launcher": ([script, python, "-c", "pass"], env),
    }
    rng = random.Random(seed)
    samples: Dict[str, List[float]] = {arm: [] for arm in ARMS}
    breakdowns: List[dict] = []
    for _ in range(rounds):
        order: List[str] = [*ARMS, "breakdown"]
        rng.shuffle(order)
        for arm in order:
            if arm == "breakdown":
                breakdowns.append(_breakdown(python, env, timeout_s))
                continue
            command, arm_env = commands[arm]
            began = time.perf_counter()
            subprocess.run(command, env=arm_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout_s, check=False)
            samples[arm].append((time.perf_counter() - began) * 1000)
    return _summarise(samples, breakdowns, rounds)


def _breakdown(python: str, env: Mapping[str, str], timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="otelaudit-auto-") as workdir:
        result = os.path.join(workdir, "auto.json")
        subprocess.run([python, "-m", "otelaudit.child.auto", result], env=dict(env), cwd=workdir,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout_s, check=False)
        if not os.path.exists(result):
            return {}
        with open(result, encoding="utf-8") as handle:
            return dict(json.load(handle))


def _ms(values: Sequence[float]) -> Estimate:
    return stats.median_interval(list(values)) if values else Estimate(0.0, 0.0, 0.0)


def _summarise(samples: Dict[str, List[float]], breakdowns: List[dict], rounds: int) -> AutoStartup:
    complete = [b for b in breakdowns if b]
    names: Dict[str, List[dict]] = {}
    for breakdown in complete:
        for row in breakdown.get("instrumentors", []):
            names.setdefault(row["name"], []).append(row)
    instrumentors = tuple(sorted((
        AutoInstrumentorCost(
            name=name,
            dependency_check_ms=_ms([r["dependency_check_s"] * 1000 for r in rows]),
            load_ms=_ms([r["load_s"] * 1000 for r in rows]),
            instrument_ms=_ms([r["instrument_s"] * 1000 for r in rows]),
            outcome=max(set(r["outcome"] for r in rows), key=[r["outcome"] for r in rows].count),
            modules_imported=int(stats.median([r.get("modules_imported", 0) for r in rows])),
            packages_imported=tuple(rows[0].get("packages_imported", ())),
        ) for name, rows in names.items()),
        key=lambda c: -(c.dependency_check_ms.estimate + c.load_ms.estimate + c.instrument_ms.estimate)))
    failure = None if complete else Failure("workload-crashed", "the auto-instrumentation breakdown child failed")
    return AutoStartup(
        plain_ms=_ms(samples["plain"]),
        sitecustomize_ms=_ms(samples["sitecustomize"]),
        launcher_ms=_ms(samples["launcher"]),
        initialize_added_ms=stats.paired_difference(samples["sitecustomize"], samples["plain"]),
        total_added_ms=stats.paired_difference(samples["launcher"], samples["plain"]),
        initialize_in_process_ms=_ms([(b["import_s"] + b["initialize_s"]) * 1000 for b in complete]),
        distro_ms=_ms([b["distro_s"] * 1000 for b in complete]),
        instrumentors=instrumentors,
        distro=complete[0]["distro"] if complete else "",
        rounds=rounds,
        failure=failure,
    )
