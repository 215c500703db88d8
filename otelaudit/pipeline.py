"""The spine of a scan: discover → plan → run → analyse, one scenario at a time.
Both the CLI and (later) the pytest plugin call `scan`. A failing scenario is data on
its result; `on_result` lets callers persist each result as soon as it exists."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from otelaudit.measure import analysis
from otelaudit.rules import calls as rules
from otelaudit.discover.instrumentors import Target, discover_instrumentors, select_targets
from otelaudit.model import ARMS, Arm, Failure, Report, RunResult, ScanSettings, ScenarioResult
from otelaudit.model import RunMode, RunSpec
from otelaudit.plan.interleave import interleave, ops_for, play
from otelaudit.plan.adaptive import DEFAULT_MAX_ROUNDS, RoundsPlayed, StopRule, parse_target
from otelaudit.plan.rounds import arms_for, precision_reached, timed_rounds, with_noise_floor
from otelaudit.run.parallel import effective_jobs, run_all
from otelaudit.plan.sharding import shard_of
from otelaudit.plan.targets import Servers, not_covered, with_servers
from otelaudit.verify.findings import verify_findings
from otelaudit.model import WhatIf
from otelaudit.discover.catalog import Catalog, load_catalog
from otelaudit.run.report import report_for
from otelaudit.run.runner import Runner
from otelaudit.scenarios.api import Scenario, library_version, unsupported_version


@dataclass(frozen=True)
class Measured:
    """The raw runs of one scenario: timed rounds, and the call-count probe if it ran."""

    runs: List[RunResult]
    ops: int
    probe: Optional[RunResult] = None
    profiles: Tuple[RunResult, ...] = ()
    played: Optional[RoundsPlayed] = None


@dataclass(frozen=True)
class ScanOptions:
    targets: Tuple[str, ...] = ()
    rounds: int = 10
    seconds_per_run: float = 0.5
    calibrate_s: float = 0.3
    memory_ops: int = 50
    probe_ops: int = 200
    profile_rounds: int = 3
    ignore_rules: Tuple[str, ...] = ()
    timeout_s: float = 120.0
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 30))
    quick: bool = False
    command: str = "otelaudit scan"
    precision: Optional[str] = None  # "2%" or "3us": add rounds until the CI half-width is this small
    budget_s: Optional[float] = None  # ... or until this much time has gone on the rounds
    max_rounds: int = DEFAULT_MAX_ROUNDS
    control_arm: bool = True  # the A/A arm that measures the noise floor
    deterministic: bool = False  # also count instructions per op (otelaudit.measure.counting)
    count_ops: int = 2000
    jobs: int = 1
    shard: Optional[Tuple[int, int]] = None  # (index from 1, count)

    def stop_rule(self) -> StopRule:
        target = parse_target(self.precision) if self.precision else None
        return StopRule(self.rounds, max(self.max_rounds, self.rounds), target, self.budget_s)

    @classmethod
    def quick_defaults(cls, **overrides: object) -> "ScanOptions":
        values: Dict[str, Any] = dict(rounds=5, seconds_per_run=0.1, calibrate_s=0.1, memory_ops=10, probe_ops=50, quick=True)
        values.update(overrides)
        return cls(**values)


Progress = Callable[[str], None]


def scan(
    options: ScanOptions,
    runner: Optional[Runner] = None,
    on_progress: Progress = lambda message: None,
    on_result: Callable[[Report], None] = lambda report: None,
) -> Report:
    catalog = load_catalog()
    selection = select_targets(options.targets, discover_instrumentors(), catalog.scenarios)
    targets = list(selection.targets)
    unknown: List[ScenarioResult] = [_unknown(name, catalog) for name in selection.unknown]
    if options.shard is not None:  # unknown names are reported once, by the first shard
        targets = shard_of(targets, options.shard)
        unknown = unknown if options.shard[0] == 1 else []
    options = replace(options, jobs=effective_jobs(options.jobs))

    def audit(target: Target, job_runner: Runner) -> ScenarioResult:
        on_progress(f"{target.instrumentor.name}: starting")
        started = time.perf_counter()
        result = audit_target(target, options, job_runner, on_progress)
        return _with_duration(result, time.perf_counter() - started)

    # The environment lists the whole selection's packages, so every shard describes the same one.
    def done(results: List[ScenarioResult]) -> None:
        on_result(_report(options, unknown + results, selection.targets, catalog))

    results = run_all(targets, audit, options.jobs, runner, done)
    return _report(options, unknown + results, selection.targets, catalog)


def audit_target(target: Target, options: ScanOptions, runner: Runner, on_progress: Progress) -> ScenarioResult:
    instrumentor, scenario = target.instrumentor, target.scenario
    result = ScenarioResult(instrumentor=instrumentor.name, distribution=instrumentor.distribution,
                            version=instrumentor.version, scenario=None, status="not-covered", targeted=target.targeted)
    if scenario is not None:
        result = replace(result, scenario=scenario.name, library=scenario.library, expected_per_op=scenario.expects,
                         concurrency=scenario.concurrency)
    failure = not_covered(target)
    if scenario is None or failure is not None:
        return replace(result, failure=failure)
    outside = unsupported_version(scenario)
    result = replace(result, library_version=library_version(scenario), warnings=(outside,) if outside else ())
    ignore = frozenset(options.ignore_rules)

    def measure(servers: Servers) -> ScenarioResult:
        session = ScenarioRun(scenario, target, options, runner, servers)
        measured = _measure(session, on_progress)
        audited = _analyse(replace(result, ops_per_run=measured.ops), scenario, measured)
        audited = _with_precision(audited, measured, options)
        if options.deterministic and audited.status == "ok":
            on_progress(f"{instrumentor.name}: counting instructions")
            audited = _with_counts(audited, session)
        if audited.status == "ok":
            audited = _with_profiles(audited, measured, target)
        audited = _with_findings(audited, scenario, ignore)
        if not audited.findings:
            return audited

        def make_spec(fix: WhatIf, round_index: int) -> RunSpec:
            return session.spec("sdk", round_index, measured.ops, whatif=fix)

        return verify_findings(audited, make_spec, session.run, options.rounds, options.seed, on_progress)

    return with_servers(scenario, measure, lambda status, why: replace(result, status=status, failure=why))


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's runs share all but arm, round, size and mode: this builds and runs them."""

    scenario: Scenario
    target: Target
    options: ScanOptions
    runner: Runner
    servers: Dict[str, Tuple[str, int]]

    def spec(self, arm: Arm, round_index: int, ops: int, mode: RunMode = "measure",
             whatif: Optional[WhatIf] = None) -> RunSpec:
        scenario, instrumentor = self.scenario, self.target.instrumentor
        return RunSpec(
            scenario_module=scenario.module, scenario_name=scenario.name, arm=arm, round=round_index,
            ops=ops, warmup_ops=max(ops // 10, scenario.concurrency * 2), concurrency=scenario.concurrency,
            instrumentor_value=instrumentor.value, instrumentor_distribution=instrumentor.distribution,
            instrumentor_version=instrumentor.version, instrument_kwargs=dict(scenario.instrument_kwargs),
            also_instrument=scenario.also_instrument,
            servers=dict(self.servers), whatif=whatif, mode=mode, calibrate_s=self.options.calibrate_s,
            memory_ops=self.options.memory_ops,
        )

    def run(self, spec: RunSpec) -> RunResult:
        return self.runner.run(spec, dict(self.scenario.env), self.options.timeout_s)


def _measure(session: ScenarioRun, on_progress: Progress) -> Measured:
    name, options = session.target.instrumentor.name, session.options
    # Calibrated on the instrumented arm, usually the slowest, so a round's length is bounded.
    calibration = session.run(session.spec("sdk", -1, 0, "calibrate"))
    if not calibration.ok:
        return Measured([calibration], 0)
    ops = ops_for(calibration.throughput, options.seconds_per_run)
    runs, played = timed_rounds(lambda arm, i: session.run(session.spec(arm, i, ops)), arms_for(options.control_arm),
                                options.stop_rule(), options.seed, lambda m: on_progress(f"{name}: {m}"))
    if not played.completed:
        return Measured(runs, ops, played=played)
    on_progress(f"{name}: probing call counts")
    probe = session.run(session.spec("sdk", -1, options.probe_ops, "probe"))

    def profile(round_index: int, arm: Arm) -> RunResult:
        on_progress(f"{name}: sampling hotspots ({arm})")
        return session.run(session.spec(arm, round_index, ops, "profile"))

    arms: Tuple[Arm, ...] = ("baseline", "sdk")
    profiles = play(interleave(options.profile_rounds, random.Random(options.seed), arms), profile)
    return Measured(runs, ops, probe, tuple(profiles), played)


def _analyse(result: ScenarioResult, scenario: Scenario, measured: Measured) -> ScenarioResult:
    probe = measured.probe
    if probe is not None and probe.failure is not None:
        result = replace(result, warnings=result.warnings + (f"call-count probe failed: {probe.failure.message}",))
    elif probe is not None:
        result = replace(result, call_counts=probe.call_counts, repeated_calls=probe.repeated_calls,
                         warnings=result.warnings + ((f"call-count probe: {probe.warning}",) if probe.warning else ()))
    failure = analysis.first_failure(measured.runs)
    by_arm = analysis.complete_rounds(measured.runs, ARMS)
    result = replace(result, arms={arm: analysis.summarise_arm(arm, by_arm[arm]) for arm in ARMS if by_arm[arm]})
    if failure is not None:
        return replace(result, status="not-covered" if failure.kind == "missing-library" else "error", failure=failure)
    produced = result.arms["sdk"].telemetry_per_op
    invalid = analysis.validity_problem(by_arm["sdk"], scenario.expects)
    if invalid is not None:
        return replace(result, status="invalid", failure=invalid, telemetry_per_op=produced)
    return replace(
        result, status="ok", telemetry_per_op=produced,
        overhead=analysis.compare("sdk", by_arm["sdk"], by_arm["baseline"]),
        api_overhead=analysis.compare("api", by_arm["api"], by_arm["baseline"]),
        warnings=result.warnings + analysis.shortfall_warning(produced, scenario.expects),
    )


def _with_precision(result: ScenarioResult, measured: Measured, options: ScanOptions) -> ScenarioResult:
    if measured.played is None or result.status != "ok":
        return result
    arms = arms_for(options.control_arm)
    reached = precision_reached(measured.runs, measured.played, options.stop_rule(), arms)
    return replace(with_noise_floor(result, measured.runs), precision=reached)


def _with_counts(result: ScenarioResult, session: "ScenarioRun") -> ScenarioResult:
    from otelaudit.measure import counting

    method = counting.available_method()
    if method is None:
        return replace(result, warnings=result.warnings + ("no instruction counter: install valgrind",))
    try:
        counts = counting.measure_arms(counting.InstructionCounter(method), lambda arm, n: session.spec(arm, -1, n),
                                       ARMS, session.scenario.env, session.options.timeout_s * 5,
                                       session.options.count_ops)
    except counting.CountingFailed as error:
        return replace(result, warnings=result.warnings + (f"instruction counting failed: {error}",))
    if result.overhead is not None:
        counts = replace(counts, disagreement=counting.disagreement(counts, result.overhead))
    return replace(result, instructions=counts, warnings=result.warnings + ((counts.disagreement,) if counts.disagreement else ()))


def _with_profiles(result: ScenarioResult, measured: Measured, target: Target) -> ScenarioResult:
    """Hotspots and the differential flame graph, both from the sampled profiles."""
    baseline = [r.profile for r in measured.profiles if r.arm == "baseline" and r.profile is not None]
    treated = [r.profile for r in measured.profiles if r.arm == "sdk" and r.profile is not None]
    if not baseline or not treated:
        return result
    from otelaudit.attribute.flamegraph import differential
    from otelaudit.attribute.ownership import Ownership
    from otelaudit.attribute.hotspots import hotspots

    library = target.scenario.distribution if target.scenario else None
    ownership = Ownership.for_instrumentor(target.instrumentor, library)
    return replace(result, hotspots=hotspots(baseline, treated, ownership),
                   flame=differential(baseline, treated, ownership))


def _with_findings(result: ScenarioResult, scenario: Scenario, ignore: FrozenSet[str]) -> ScenarioResult:
    if result.status != "ok":
        return result
    findings = rules.findings_from_counts(result.call_counts, ignore)
    findings += rules.findings_from_repeats(result.repeated_calls, ignore)
    findings = rules.with_hotspot_costs(findings, result.hotspots)
    findings += rules.findings_from_hotspots(result.hotspots, findings, ignore)
    findings += rules.excess_telemetry(result.telemetry_per_op, scenario.expects, ignore)
    return replace(result, findings=tuple(rules.rank(findings)))


def _unknown(name: str, catalog: Catalog) -> ScenarioResult:
    hint = ""
    scenario = next((s for s in catalog.scenarios.values() if name in (s.name, s.instrumentor)), None)
    if scenario is not None:
        package = scenario.instrumentor_distribution or f"opentelemetry-instrumentation-{scenario.instrumentor}"
        hint = f" (a scenario exists: install its instrumentation, e.g. pip install {package})"
    return ScenarioResult(
        instrumentor=name, distribution=None, version=None, scenario=None, status="not-covered", targeted=True,
        failure=Failure("unknown-target", f"no installed instrumentor or distribution named {name!r}{hint}"),
    )


def _with_duration(result: ScenarioResult, seconds: float) -> ScenarioResult:
    return replace(result, duration_s=round(seconds, 3))


def _report(options: ScanOptions, results: Sequence[ScenarioResult], targets: Sequence[Target],
            catalog: Catalog) -> Report:
    settings = ScanSettings(options.rounds, options.seconds_per_run, options.timeout_s, options.seed, options.quick,
                            options.precision, options.budget_s, options.control_arm, options.deterministic,
                            options.jobs, f"{options.shard[0]}/{options.shard[1]}" if options.shard else None)
    return report_for(options.command, settings, targets, results, warnings=catalog.errors)
