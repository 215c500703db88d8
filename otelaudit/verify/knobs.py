"""`--knobs`: what each setting costs. For every knob (rules/knobs.py) that applies to the
scenario's instrumentation, the sdk arm with the knob turned runs against the sdk arm as
it is — the what-if pairing of verify.findings, interleaved in fresh children — and the
median paired CPU saving with its interval becomes an OA3xx finding naming the exact
setting. A knob whose runs produced no telemetry is reported invalid, never a saving."""

from __future__ import annotations

import random
from dataclasses import replace
from importlib import metadata
from typing import Callable, FrozenSet, List, Optional, Sequence, Tuple

from otelaudit.measure import stats
from otelaudit.model import Finding, RunResult, RunSpec, ScenarioResult, Telemetry
from otelaudit.rules import calls as rules
from otelaudit.rules.knobs import KNOBS, Knob, names_in
from otelaudit.verify.findings import paired_runs

RunKnob = Callable[[Optional[Knob], int], RunResult]  # None: the sdk arm as it is


def source_names(distribution: Optional[str]) -> FrozenSet[str]:
    """The knobs' markers named anywhere in the distribution's Python files: the keywords
    its instrument() reads and the environment variables it consults."""
    if not distribution:
        return frozenset()
    try:
        files = metadata.files(distribution) or []
    except metadata.PackageNotFoundError:
        return frozenset()
    found: FrozenSet[str] = frozenset()
    for file in files:
        if file.suffix == ".py":
            try:
                found |= names_in(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return found


def applicable(chosen: Sequence[str], names: FrozenSet[str], per_op: Optional[Telemetry]) -> List[Knob]:
    return [k for k in KNOBS if k.name in chosen and k.applies(names, per_op)]


def knob_spec(spec: RunSpec, knob: Optional[Knob]) -> RunSpec:
    """The saving is CPU: no memory phase; a knob's keywords join the scenario's own."""
    spec = replace(spec, memory_ops=0)
    return replace(spec, instrument_kwargs={**spec.instrument_kwargs, **knob.kwargs}) if knob else spec


def measure_knobs(result: ScenarioResult, knobs: Sequence[Knob], run: RunKnob, rounds: int, seed: int,
                  on_progress: Callable[[str], None]) -> ScenarioResult:
    findings, warnings = list(result.findings), list(result.warnings)
    for index, knob in enumerate(knobs):
        on_progress(f"{result.instrumentor}: setting {knob.name} ({rounds} paired rounds)")
        finding, problem = measure_knob(result, knob, run, rounds, random.Random(seed + 1000 + index))
        if problem is not None:
            warnings.append(f"setting {knob.name} ({knob.rule}) invalid: {problem}")
        if finding is not None:
            findings.append(finding)
    return replace(result, findings=tuple(rules.rank(findings)), warnings=tuple(warnings))


def measure_knob(result: ScenarioResult, knob: Knob, run: RunKnob, rounds: int,
                 rng: random.Random) -> Tuple[Optional[Finding], Optional[str]]:
    plain, turned, failure = paired_runs(None, knob, run, rounds, rng)
    if failure is not None:
        return None, failure
    if not any(r.telemetry.total for r in turned):
        return None, "its runs produced no telemetry (the setting turns the instrumentation off, not its cost down)"
    costly, cheap = (turned, plain) if knob.costly else (plain, turned)
    saving = stats.paired_difference([r.cpu_us_per_op for r in costly], [r.cpu_us_per_op for r in cheap])
    before, after = per_op(plain), per_op(turned)
    turned_to = "turned on" if knob.costly else "applied"
    suggestion = (f"{knob.setting}. Telemetry per operation: {describe(before)} as configured; {describe(after)} "
                  f"with {knob.title} {turned_to}.")
    return Finding(rule=knob.rule, title=f"setting: {knob.title}", call_site=None, target=knob.name,
                   distribution=result.distribution, version=result.version, calls_per_op=None,
                   suggestion=suggestion[0].upper() + suggestion[1:], verified_saving_us=saving,
                   setting=knob.setting), None


def per_op(runs: Sequence[RunResult]) -> Telemetry:
    ops = sum(r.ops for r in runs)
    total = Telemetry(sum(r.telemetry.spans for r in runs), sum(r.telemetry.metric_measurements for r in runs),
                      sum(r.telemetry.log_records for r in runs))
    return total.per(ops)


def describe(per: Telemetry) -> str:
    return f"{per.spans:.3g} spans, {per.metric_measurements:.3g} metric points, {per.log_records:.3g} log records"
