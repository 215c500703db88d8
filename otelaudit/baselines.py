"""Saved runs for regression mode: `--otelaudit-save NAME` stores each audited result
with the machine and versions it ran on; `--otelaudit-compare NAME` judges a new run
against it. Two independent runs are compared by their intervals: a regression fails
only when even the most favourable difference exceeds the threshold."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

from otelaudit.budgets import Outcome, Verdict, subject
from otelaudit.codec import from_data, to_data
from otelaudit.environment import describe_environment
from otelaudit.model import Environment, ScenarioResult
from otelaudit.report_json import write_atomically

DEFAULT_THRESHOLD = 0.10  # a regression is more CPU overhead than 10% of the saved overhead


@dataclass(frozen=True)
class SavedRun:
    environment: Environment
    results: Dict[str, ScenarioResult]


def path_for(storage: str, name: str) -> str:
    return os.path.join(storage, f"{name}.json")


def save(storage: str, name: str, results: Dict[str, ScenarioResult]) -> str:
    os.makedirs(storage, exist_ok=True)
    distributions = [r.distribution for r in results.values() if r.distribution]
    saved = SavedRun(describe_environment(distributions), dict(results))
    path = path_for(storage, name)
    write_atomically(path, json.dumps(to_data(saved), indent=2) + "\n")
    return path


def load(storage: str, name: str) -> SavedRun:
    with open(path_for(storage, name), encoding="utf-8") as handle:
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
