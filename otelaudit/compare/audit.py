"""The spine of `otelaudit compare`: prepare both versions' environments, measure them
against each other, and return a Report whose `comparison` section holds the result,
so every renderer and `otelaudit report` work on it as on a scan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from otelaudit.compare.abtest import ABSettings
from otelaudit.compare.setup import prepare_versions
from otelaudit.compare.versions import compare_versions
from otelaudit.model import Report, ScanSettings, VersionComparison
from otelaudit.plan.adaptive import StopRule
from otelaudit.run.report import report_for

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CompareOptions:
    pins: Tuple[str, ...]  # DIST==A and optionally DIST==B
    rule: StopRule = StopRule(10)
    seconds_per_run: float = 0.5
    timeout_s: float = 120.0
    seed: int = 0
    deterministic: bool = False
    find_links: Tuple[str, ...] = ()
    cache_dir: Optional[str] = None
    command: str = "otelaudit compare"

    def ab_settings(self) -> ABSettings:
        return ABSettings(self.rule, seconds_per_run=self.seconds_per_run, seed=self.seed, timeout_s=self.timeout_s,
                          deterministic=self.deterministic)


def compare(options: CompareOptions, on_progress: Progress = lambda message: None,
            on_note: Progress = lambda message: None) -> Report:
    """`on_note` hears the slow one-off steps (building an environment), `on_progress` the rounds."""
    a, b = prepare_versions(options.pins, options.find_links, options.cache_dir, on_note)
    return comparison_report(options, compare_versions(a, b, options.ab_settings(), on_progress))


def comparison_report(options: CompareOptions, comparison: VersionComparison) -> Report:
    rule = options.rule
    settings = ScanSettings(rounds=rule.min_rounds, seconds_per_run=options.seconds_per_run,
                            timeout_s=options.timeout_s, seed=options.seed, quick=False,
                            precision_target=rule.target.text if rule.target else None, budget_s=rule.budget_s,
                            deterministic=options.deterministic)
    # The versions' own packages are on each side; the environment is the parent's.
    return report_for(options.command, settings, (), comparison=comparison)
