"""Saved runs for regression mode: `--otelaudit-save NAME` stores each audited result
with the machine and versions it ran on; `--otelaudit-compare NAME` judges a new run
against it. Two independent runs are compared by their intervals: a regression fails
only when even the most favourable difference exceeds the threshold."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from otelaudit.gate.budgets import Outcome, Verdict, subject
from otelaudit.model.codec import from_data, to_data
from otelaudit.discover.environment import describe_environment
from otelaudit.model import Environment, ScenarioResult
from otelaudit.model.files import write_atomically

DEFAULT_THRESHOLD = 0.10  # a regression is more CPU overhead than 10% of the saved overhead


@dataclass(frozen=True)
class Commit:
    """The commit a run was saved at (pytest-benchmark's commit info, typed)."""

    id: str = "unknown"
    branch: str = "(unknown)"
    dirty: bool = False
    time: Optional[str] = None


@dataclass(frozen=True)
class SavedRun:
    environment: Environment
    results: Dict[str, ScenarioResult]
    machine_id: str = ""
    commit: Commit = field(default_factory=Commit)


def _utils() -> Any:
    """pytest-benchmark's helpers; it has no type hints, so they stay behind Any."""
    import pytest_benchmark.utils as utils

    return utils


def _storage(storage: str) -> Any:
    """pytest-benchmark's file storage: `<storage>/<machine id>/<NNNN>_<name>.json`."""
    import pytest_benchmark.storage.file as file_storage

    untyped: Any = file_storage
    return untyped.FileStorage(storage, logger=None, default_machine_id=_utils().get_machine_id())


def save(storage: str, name: str, results: Dict[str, ScenarioResult]) -> str:
    """Saves the next numbered run, as `pytest --benchmark-save NAME` numbers its own."""
    store = _storage(storage)
    numbers = [int(p.name[:4]) for p in store.query("[0-9][0-9][0-9][0-9]_*") if p.name[:4].isdigit()]
    path = store.get(f"{max(numbers, default=0) + 1:04d}_{name}.json")
    info = _utils().get_commit_info()
    commit = Commit(str(info.get("id")), str(info.get("branch")), bool(info.get("dirty")), info.get("time"))
    distributions = [r.distribution for r in results.values() if r.distribution]
    saved = SavedRun(describe_environment(distributions), dict(results), _utils().get_machine_id(), commit)
    write_atomically(str(path), json.dumps(to_data(saved), indent=2) + "\n")
    return str(path)


def find(storage: str, name: str) -> str:
    """The newest saved run called `name`, or numbered `name` ("0003"), preferring this
    machine's; like `--benchmark-compare`, a path to a file is taken as it is."""
    if os.path.isfile(name):
        return name
    store = _storage(storage)
    glob = name if name.isdigit() else f"*_{name}"
    for pattern in (glob, f"*/{glob}"):  # this machine's folder first, then any machine's
        found = [p for p in store.query(pattern) if _is_run(p.name, name)]
        if found:
            return str(max(found, key=lambda p: p.name))
    raise FileNotFoundError(f"no saved run named {name!r} under {storage}")


def _is_run(filename: str, name: str) -> bool:
    number, _, saved_as = filename[: -len(".json")].partition("_")
    return number.isdigit() and (number == name.zfill(4) if name.isdigit() else saved_as == name)


def load(storage: str, name: str) -> SavedRun:
    with open(find(storage, name), encoding="utf-8") as handle:
        return from_data(SavedRun, json.load(handle))


def environment_differences(saved: Environment, current: Environment) -> List[str]:
    notes = [f"{what} was {a}, now {b}" for what, a, b in (
        ("python", saved.python, current.python), ("platform", saved.platform, current.platform),
        ("cpu count", saved.cpu_count, current.cpu_count)) if a != b]
    notes += [f"{name} was {version}, now {current.packages.get(name, 'absent')}"
              for name, version in saved.packages.items() if current.packages.get(name) != version]
    return notes


def compare(saved: Optional[ScenarioResult], current: ScenarioResult, threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    name = f"regression[{subject(current)}]"
    if saved is None or saved.overhead is None:
        return Verdict(name, "inconclusive", f"{subject(current)}: nothing saved to compare with")
    if current.overhead is None:
        return Verdict(name, "fail", f"{subject(current)}: no valid measurement to compare")
    before, now = saved.overhead.cpu_us_per_op, current.overhead.cpu_us_per_op
    allowed = threshold * abs(before.estimate)
    least, most = now.ci_low - before.ci_high, now.ci_high - before.ci_low
    outcome: Outcome = "fail" if least > allowed else "pass" if most <= allowed else "inconclusive"
    return Verdict(name, outcome, (
        f"{subject(current)}: CPU overhead {now.estimate:.3g} µs/op [{now.ci_low:.3g}, {now.ci_high:.3g}] vs "
        f"saved {before.estimate:.3g} [{before.ci_low:.3g}, {before.ci_high:.3g}]: change between {least:+.3g} and "
        f"{most:+.3g} µs/op, allowed +{allowed:.3g} ({threshold:.0%}): {outcome}"))
