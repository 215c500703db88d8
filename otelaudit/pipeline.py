"""The spine of a scan: discover → plan → run → analyse, one scenario at a time.
Both the CLI and (later) the pytest plugin call `scan`. A failing scenario is data on
its result; `on_result` lets callers persist each result as soon as it exists."""

from __future__ import annotations

import datetime
import importlib.util
import random
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from otelaudit import __version__
from otelaudit.measure import analysis
from otelaudit.rules import calls as rules
from otelaudit.discover.instrumentors import Target, discover_instrumentors, select_targets
from otelaudit.discover.environment import describe_environment
from otelaudit.model import ARMS, Arm, Failure, Report, RunResult, ScanSettings, ScenarioResult
from otelaudit.model import RunMode, RunSpec, Stage
from otelaudit.run.progress import ScenarioProgress
from otelaudit.model.run import PhaseSizes
from otelaudit.plan import sizing
from otelaudit.plan.interleave import interleaved_rounds
from otelaudit.plan.adaptive import DEFAULT_MAX_ROUNDS, RoundsPlayed, StopRule, parse_target
from otelaudit.plan.rounds import arms_for, precision_reached, timed_rounds, with_noise_floor
from otelaudit.run.parallel import effective_jobs, run_all
from otelaudit.plan.sharding import shard_of
from otelaudit.verify.findings import MAX_VERIFIED, verify_findings, whatif_for
from otelaudit.model import WhatIf
from otelaudit.discover.catalog import Catalog, load_catalog
from otelaudit.run.runner import Runner
from otelaudit.scenarios.api import Scenario, library_version, unsupported_version
from otelaudit.servers.running import ServerError, ServerMissing, running_servers

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Measured:
    """The raw runs of one scenario: timed rounds, and the call-count probe if it ran."""

    runs: List[RunResult]
    ops: int
    probe: Optional[RunResult] = None
    profiles: Tuple[RunResult, ...] = ()
    played: Optional[RoundsPlayed] = None
    sizes: Optional[PhaseSizes] = None
    stages: Tuple[Stage, ...] = ()


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
    scenario_budget_s: float = sizing.DEFAULT_SCENARIO_BUDGET_S  # fewer rounds (never < 5) when they would not fit
    scan_budget_s: float = 30 * 60.0  # shared out among the scenarios still to run

    def stop_rule(self) -> StopRule:
        target = parse_target(self.precision) if self.precision else None
        return StopRule(self.rounds, max(self.max_rounds, self.rounds), target, self.budget_s)

    @classmethod
    def quick_defaults(cls, **overrides: object) -> "ScanOptions":
        values: Dict[str, Any] = dict(rounds=5, seconds_per_run=0.1, calibrate_s=0.1, memory_ops=10, probe_ops=50,
                                      quick=True, scenario_budget_s=sizing.QUICK_SCENARIO_BUDGET_S,
                                      scan_budget_s=10 * 60.0)
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
    deadline, left = time.monotonic() + options.scan_budget_s, [len(targets)]
    finished: List[ScenarioResult] = []

    def audit(target: Target, job_runner: Runner) -> ScenarioResult:
        progress = ScenarioProgress(on_progress, targets.index(target) + 1, len(targets))
        progress(f"{target.instrumentor.name}: starting")
        started = time.perf_counter()
        share = max(deadline - time.monotonic(), 0.0) * options.jobs / max(left[0], 1)
        left[0] -= 1
        own = sizing.scenario_budget_s(options.scenario_budget_s, options.budget_s)
        budgeted = replace(options, scenario_budget_s=min(own, share))
        result = audit_target(target, budgeted, job_runner, progress, triaged)
        return _with_duration(result, time.perf_counter() - started)

    # The environment lists the whole selection's packages, so every shard describes the same one.
    def done(results: List[ScenarioResult]) -> None:
        finished[:] = results
        on_result(_report(options, unknown + results, selection.targets, catalog))

    def triaged(result: ScenarioResult) -> None:  # findings exist before the overhead is measured
        on_result(_report(options, unknown + finished + [result], selection.targets, catalog))

    results = run_all(targets, audit, options.jobs, runner, done)
    return _report(options, unknown + results, selection.targets, catalog)


def audit_target(target: Target, options: ScanOptions, runner: Runner, on_progress: Progress,
                 on_triage: Callable[[ScenarioResult], None] = lambda result: None) -> ScenarioResult:
    instrumentor, scenario = target.instrumentor, target.scenario
    result = ScenarioResult(instrumentor=instrumentor.name, distribution=instrumentor.distribution,
                            version=instrumentor.version, scenario=None, status="not-covered", targeted=target.targeted)
    if scenario is None:
        return replace(result, failure=Failure("no-scenario", f"no scenario covers instrumentor {instrumentor.name!r}"))
    result = replace(result, scenario=scenario.name, library=scenario.library, expected_per_op=scenario.expects,
                     concurrency=scenario.concurrency)
    if importlib.util.find_spec(scenario.library) is None:
        message = f"library {scenario.library!r} is not installed ({scenario.install_hint})"
        return replace(result, failure=Failure("missing-library", message))
    outside = unsupported_version(scenario)
    result = replace(result, library_version=library_version(scenario), warnings=(outside,) if outside else ())
    ignore = frozenset(options.ignore_rules)
    try:
        with running_servers(scenario.servers) as servers:
            session = ScenarioRun(scenario, target, options, runner, servers)
            started = time.perf_counter()

            def triaged(triage: Measured) -> None:
                on_triage(_triaged(result, triage, target, ignore, time.perf_counter() - started))

            measured = _measure(session, on_progress, triaged)
            session = replace(session, sizes=measured.sizes)
            result = _analyse(replace(result, ops_per_run=measured.ops, stages=measured.stages), scenario, measured)
            result = _with_sizes(result, measured.sizes, options)
            result = _with_precision(result, measured, options)
            if options.deterministic and result.status == "ok":
                on_progress(f"{instrumentor.name}: counting instructions")
                result = _with_counts(result, session)
            if result.status == "ok":
                result = _with_profiles(result, measured, target)
            result = _with_findings(result, scenario, ignore)
            fixes = min(sum(whatif_for(f) is not None for f in result.findings), MAX_VERIFIED)
            if fixes and measured.sizes is not None:
                def make_spec(fix: WhatIf, round_index: int) -> RunSpec:  # the saving is CPU: no memory phase
                    return replace(session.spec("sdk", round_index, measured.ops, whatif=fix), memory_ops=0)

                rounds, need_s = measured.sizes.rounds, fixes * sizing.verification_s(measured.sizes)
                if _since(started) + need_s > options.scenario_budget_s:
                    return replace(result, warnings=result.warnings + (sizing.unverified_note(measured.sizes, need_s),))
                result = verify_findings(result, make_spec, session.run, rounds, options.seed, on_progress)
                what = f"what-if arms for {fixes} finding(s), {rounds} rounds each: the measured saving"
                result = replace(result, stages=result.stages + (Stage("verification", _since(started), what),))
    except ServerMissing as error:
        return replace(result, failure=Failure("missing-library", str(error)))
    except ServerError as error:
        return replace(result, status="error", failure=Failure("workload-crashed", str(error)))
    return result


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's runs share all but arm, round, size and mode: this builds and runs them."""

    scenario: Scenario
    target: Target
    options: ScanOptions
    runner: Runner
    servers: Dict[str, Tuple[str, int]]
    sizes: Optional[PhaseSizes] = None

    def spec(self, arm: Arm, round_index: int, ops: int, mode: RunMode = "measure",
             whatif: Optional[WhatIf] = None) -> RunSpec:
        scenario, instrumentor = self.scenario, self.target.instrumentor
        return RunSpec(
            scenario_module=scenario.workload.__module__, scenario_name=scenario.name, arm=arm, round=round_index,
            ops=ops, warmup_ops=max(ops // 10, scenario.concurrency * 2), concurrency=scenario.concurrency,
            instrumentor_value=instrumentor.value, instrumentor_distribution=instrumentor.distribution,
            instrumentor_version=instrumentor.version, instrument_kwargs=dict(scenario.instrument_kwargs),
            also_instrument=scenario.also_instrument,
            servers=dict(self.servers), whatif=whatif, mode=mode, calibrate_s=self.options.calibrate_s,
            memory_ops=self.sizes.memory_ops if self.sizes else self.options.memory_ops,
        )

    def run(self, spec: RunSpec) -> RunResult:
        return self.runner.run(spec, dict(self.scenario.env), self.options.timeout_s)


def _measure(session: ScenarioRun, on_progress: Progress, on_triage: Callable[[Measured], None]) -> Measured:
    """Calibration sizes the phases; triage (call counts, one sampled profile pair) comes
    next and is handed over at once; then the timed rounds and the other profile pairs."""
    name, options = session.target.instrumentor.name, session.options
    # Calibrated on the instrumented arm, usually the slowest, so a round's length is bounded.
    started = time.perf_counter()
    calibration = session.run(session.spec("sdk", -1, 0, "calibrate"))
    if not calibration.ok:
        return Measured([calibration], 0)
    sizes = _sizes(session, calibration, time.perf_counter() - started)
    session, ops = replace(session, sizes=sizes), sizes.ops
    if isinstance(on_progress, ScenarioProgress):
        on_progress.estimate_s = sizes.estimated_s + time.perf_counter() - started
    on_progress(f"{name}: triage: counting calls ({sizes.probe_ops} ops)")
    probe = session.run(session.spec("sdk", -1, sizes.probe_ops, "probe"))
    order = interleaved_rounds(options.profile_rounds, random.Random(options.seed), ("baseline", "sdk"))
    profiles = _profiles(session, [o for o in order if o[0] == 0], lambda m: on_progress(f"{name}: triage: {m}"))
    stages: Tuple[Stage, ...] = (Stage("triage", _since(started), f"call counts over {sizes.probe_ops} operations and "
                    f"{len(profiles) // 2} sampled profile pair(s) of {ops} operations; µs/op from the profiler "
                    "(wall time, inflated by it) until the timed rounds"),)
    on_triage(Measured([], ops, probe, profiles, None, sizes, stages))
    rule = replace(options.stop_rule(), min_rounds=sizes.rounds)
    runs, played = timed_rounds(lambda arm, i: session.run(session.spec(arm, i, ops)), arms_for(options.control_arm),
                                rule, options.seed, lambda m: on_progress(f"{name}: timed {m}"))
    stages += (Stage("timed-rounds", _since(started), f"{played.rounds} interleaved rounds of "
                     f"{len(arms_for(options.control_arm))} arms, {ops} operations per run: the CPU overhead"),)
    if not played.completed:
        return Measured(runs, ops, probe, profiles, played, sizes, stages)
    later = _profiles(session, [o for o in order if o[0] > 0], lambda m: on_progress(f"{name}: {m}"))
    if later:
        stages += (Stage("profiles", _since(started), f"{len(later) // 2} more sampled profile pair(s): shares "
                         "refined; hotspot µs/op are those shares of the measured overhead"),)
    return Measured(runs, ops, probe, profiles + later, played, sizes, stages)


def _profiles(session: ScenarioRun, order: Sequence[Tuple[int, Arm]], on_progress: Progress) -> Tuple[RunResult, ...]:
    assert session.sizes is not None
    profiles = []
    for round_index, arm in order:
        on_progress(f"sampling hotspots, pair {round_index + 1}/{session.options.profile_rounds} ({arm})")
        profiles.append(session.run(session.spec(arm, round_index, session.sizes.ops, "profile")))
    return tuple(profiles)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 1)


def _triaged(result: ScenarioResult, triage: Measured, target: Target, ignore: FrozenSet[str],
             done_s: float) -> ScenarioResult:
    """The scenario as triage leaves it: counted and sampled findings, no overhead yet."""
    assert target.scenario is not None
    partial = replace(_with_probe(result, triage.probe), status="ok", partial=True, sizing=triage.sizes,
                      ops_per_run=triage.ops, stages=triage.stages, duration_s=round(done_s, 3))
    return _with_findings(_with_profiles(partial, triage, target), target.scenario, ignore)


def _sizes(session: ScenarioRun, calibration: RunResult, child_s: float) -> PhaseSizes:
    options = session.options
    asked = sizing.Asked(options.seconds_per_run, options.rounds, options.memory_ops, options.probe_ops,
                         len(arms_for(options.control_arm)), options.scenario_budget_s)
    startup_s = max(child_s - calibration.wall_s, 0.0)
    return sizing.size_phases(asked, calibration.throughput, startup_s, session.scenario.concurrency)


def _with_sizes(result: ScenarioResult, sizes: Optional[PhaseSizes], options: ScanOptions) -> ScenarioResult:
    if sizes is None:
        return result
    notes: Tuple[str, ...] = (sizing.budget_note(sizes),) if sizes.budget_cut else ()
    notes += (sizing.memory_note(sizes, options.memory_ops),) if sizes.memory_ops < options.memory_ops else ()
    return replace(result, sizing=sizes, warnings=result.warnings + notes)


def _with_probe(result: ScenarioResult, probe: Optional[RunResult]) -> ScenarioResult:
    if probe is not None and probe.failure is not None:
        return replace(result, warnings=result.warnings + (f"call-count probe failed: {probe.failure.message}",))
    if probe is not None:
        return replace(result, call_counts=probe.call_counts, repeated_calls=probe.repeated_calls,
                       warnings=result.warnings + ((f"call-count probe: {probe.warning}",) if probe.warning else ()))
    return result


def _analyse(result: ScenarioResult, scenario: Scenario, measured: Measured) -> ScenarioResult:
    result = _with_probe(result, measured.probe)
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
    if reached is not None and measured.sizes is not None and measured.sizes.budget_cut:
        reached = replace(reached, stop="budget-exhausted", budget_s=measured.sizes.budget_s)
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
    from otelaudit.attribute.hotspots import hotspots, scaled_to_overhead

    library = target.scenario.distribution if target.scenario else None
    ownership = Ownership.for_instrumentor(target.instrumentor, library)
    found = hotspots(baseline, treated, ownership)
    if result.overhead is not None:
        found = scaled_to_overhead(found, result.overhead.cpu_us_per_op)
    return replace(result, hotspots=found, flame=differential(baseline, treated, ownership))


def _with_findings(result: ScenarioResult, scenario: Scenario, ignore: FrozenSet[str]) -> ScenarioResult:
    if result.status != "ok":
        return result
    findings = rules.findings_from_counts(result.call_counts, ignore)
    findings += rules.findings_from_repeats(result.repeated_calls, ignore)
    ceiling = result.overhead.cpu_us_per_op.ci_high if result.overhead else None
    findings = rules.with_hotspot_costs(findings, result.hotspots, ceiling)
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
    extra = [t.instrumentor.distribution for t in targets]
    extra += [t.scenario.distribution for t in targets if t.scenario and t.scenario.distribution]
    return Report(
        schema_version=SCHEMA_VERSION,
        otelaudit_version=__version__,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        command=options.command,
        environment=describe_environment(extra),
        settings=ScanSettings(options.rounds, options.seconds_per_run, options.timeout_s, options.seed, options.quick,
                              options.precision, options.budget_s, options.control_arm, options.deterministic,
                              options.jobs, f"{options.shard[0]}/{options.shard[1]}" if options.shard else None),
        results=tuple(results),
        warnings=catalog.errors,
    )
