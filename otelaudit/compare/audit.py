"""The spine of `otelaudit compare`: prepare both releases' environments, measure each
scenario's sides against each other, and return a Report whose `comparison` section holds
the result (further scenarios of SDK releases in its `further`), so every renderer and
`otelaudit report` work on it as on a scan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional, Tuple

from otelaudit.compare.abtest import ABSettings
from otelaudit.compare.pins import Sources
from otelaudit.compare.sdk import matched_pins
from otelaudit.compare.setup import pair_notes, prepare_versions
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
    scenarios: Tuple[str, ...] = ()  # SDK releases: the scenarios to compare (none: the defaults)
    index_url: Optional[str] = None
    rebuild: bool = False
    quick: bool = False
    contrib: Tuple[str, ...] = ()  # compare --contrib: release lines of opentelemetry-instrumentation

    def ab_settings(self) -> ABSettings:
        return ABSettings(self.rule, seconds_per_run=self.seconds_per_run, seed=self.seed, timeout_s=self.timeout_s,
                          deterministic=self.deterministic)

    @property
    def sources(self) -> Sources:
        return Sources(self.find_links, self.index_url, self.cache_dir, self.rebuild)


def compare(options: CompareOptions, on_progress: Progress = lambda message: None,
            on_note: Progress = lambda message: None) -> Report:
    """`on_note` hears the slow one-off steps (building an environment), `on_progress` the rounds."""
    pairs = prepare_versions(options.pins, options.sources, on_note, options.scenarios, options.contrib)
    compared = []
    for number, (a, b) in enumerate(pairs, 1):
        if len(pairs) > 1:
            on_note(f"scenario {a.scenario.name} ({number}/{len(pairs)})")
        compared.append(compare_versions(a, b, options.ab_settings(), on_progress, matched_pins(a)))
    notes = tuple(pair_notes(pairs))
    first = replace(compared[0], warnings=notes + compared[0].warnings, further=tuple(compared[1:]))
    return comparison_report(options, first)


def comparison_report(options: CompareOptions, comparison: VersionComparison) -> Report:
    rule = options.rule
    settings = ScanSettings(rounds=rule.min_rounds, seconds_per_run=options.seconds_per_run,
                            timeout_s=options.timeout_s, seed=options.seed, quick=options.quick,
                            precision_target=rule.target.text if rule.target else None, budget_s=rule.budget_s,
                            deterministic=options.deterministic)
    # The versions' own packages are on each side; the environment is the parent's.
    return report_for(options.command, settings, (), comparison=comparison)
