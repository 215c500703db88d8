"""The spine of a scan: discover → plan → run → assess, one scenario at a time. The CLI
and the pytest plugin call `scan`. A failing scenario is data on its result; `on_result`
lets callers persist each result as soon as it exists (after triage, and when measured)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, List, Optional, Sequence

from otelaudit.discover.catalog import Catalog, load_catalog
from otelaudit.discover.instrumentors import Target, discover_instrumentors, select_targets
from otelaudit.errors import did_you_mean
from otelaudit.measure import assess
from otelaudit.model import ARMS, Failure, Instrumentor, Report, RunResult, RunSpec, ScanSettings, ScenarioResult, Stage
from otelaudit.model import WhatIf
from otelaudit.rules.knobs import Knob
from otelaudit.plan import sizing
from otelaudit.plan.options import ScanOptions
from otelaudit.plan.sharding import shard_of
from otelaudit.plan.targets import Servers, not_covered, with_servers
from otelaudit.run.parallel import effective_jobs, run_all
from otelaudit.run.progress import ScenarioProgress
from otelaudit.run.report import report_for
from otelaudit.run.runner import Runner
from otelaudit.run.scenario import Measured, ScenarioRun, measure_phases, since
from otelaudit.scenarios.api import library_version, unsupported_version
from otelaudit.verify import knobs
from otelaudit.verify.findings import MAX_VERIFIED, annotated, verify_findings, whatif_for

__all__ = ["ScanOptions", "audit_target", "scan"]

Progress = Callable[[str], None]


def scan(
    options: ScanOptions,
    runner: Optional[Runner] = None,
    on_progress: Progress = lambda message: None,
    on_result: Callable[[Report], None] = lambda report: None,
) -> Report:
    catalog = load_catalog()
    installed = discover_instrumentors()
    selection = select_targets(options.targets, installed, catalog.scenarios)
    targets = list(selection.targets)
    unknown: List[ScenarioResult] = [_unknown(name, catalog, installed) for name in selection.unknown]
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
        started = time.perf_counter()

        def on_triaged(triage: Measured) -> None:
            on_triage(assess.triaged(result, triage, target, ignore, time.perf_counter() - started))

        measured = measure_phases(session, on_progress, on_triaged)
        session = replace(session, sizes=measured.sizes)
        audited = assess.analyse(replace(result, ops_per_run=measured.ops, stages=measured.stages), scenario, measured)
        audited = assess.with_sizes(audited, measured.sizes, options)
        audited = assess.with_precision(audited, measured, options)
        if options.deterministic and audited.status == "ok":
            on_progress(f"{instrumentor.name}: counting instructions")
            audited = assess.with_counts(audited, session)
        if audited.status == "ok":
            audited = assess.with_profiles(audited, measured, target)
        audited = assess.with_findings(audited, scenario, ignore)
        audited = _verified(audited, session, measured, started, on_progress)
        return _knobbed(audited, session, measured, started, on_progress)

    sink = ("otlp",) if "export" in options.arms else ()  # the export arm's receiver
    return with_servers(scenario, measure, lambda status, why: replace(result, status=status, failure=why), sink)


def _verified(result: ScenarioResult, session: ScenarioRun, measured: Measured, started: float,
              on_progress: Progress) -> ScenarioResult:
    """What-if arms for the findings whose fix is "do it once", if they fit the budget."""
    options = session.options
    result = annotated(result)  # findings no what-if can measure say why, verified or not
    fixes = min(sum(whatif_for(f) is not None for f in result.findings), MAX_VERIFIED)
    if not fixes or measured.sizes is None:
        return result

    def make_spec(fix: WhatIf, round_index: int) -> RunSpec:  # the saving is CPU: no memory phase
        return replace(session.spec("sdk", round_index, measured.ops, whatif=fix), memory_ops=0)

    rounds, need_s = sizing.verify_rounds(measured.sizes), fixes * sizing.verification_s(measured.sizes)
    if not options.verifies:
        return replace(result, warnings=result.warnings + (sizing.quick_unverified_note(fixes, need_s),))
    if since(started) + need_s > options.scenario_budget_s:
        return replace(result, warnings=result.warnings + (sizing.unverified_note(measured.sizes, need_s),))
    result = verify_findings(result, make_spec, session.run, rounds, options.seed, on_progress)
    what = f"what-if arms for {fixes} finding(s), {rounds} rounds each: the measured saving"
    return replace(result, stages=result.stages + (Stage("verification", since(started), what),))


def _knobbed(result: ScenarioResult, session: ScenarioRun, measured: Measured, started: float,
             on_progress: Progress) -> ScenarioResult:
    """`--knobs`: the sdk arm with each applicable setting against the sdk arm as it is."""
    if not session.options.knobs or result.status != "ok" or measured.sizes is None:
        return result
    names = knobs.source_names(session.target.instrumentor.distribution)
    chosen = knobs.applicable(session.options.knobs, names, result.telemetry_per_op)
    if not chosen:
        return replace(result, warnings=result.warnings + ("--knobs: no setting applies to this instrumentation",))
    base, env = session.spec("sdk", 0, measured.ops), dict(session.scenario.env)

    def run(knob: Optional[Knob], round_index: int) -> RunResult:
        spec = knobs.knob_spec(replace(base, round=round_index), knob)
        return session.runner.run(spec, {**env, **(knob.env if knob else {})}, session.options.timeout_s)

    rounds = measured.sizes.rounds  # as many as the timed rounds: --rounds narrows their intervals too
    if isinstance(on_progress, ScenarioProgress) and on_progress.estimate_s is not None:  # what they add to the plan
        per_round = sizing.verification_s(measured.sizes) / sizing.verify_rounds(measured.sizes)
        on_progress.estimate_s = since(started) + len(chosen) * rounds * per_round
    result = knobs.measure_knobs(result, chosen, run, rounds, session.options.seed, on_progress)
    what = f"settings {', '.join(k.name for k in chosen)}: {rounds} paired rounds each, the measured saving"
    return replace(result, stages=result.stages + (Stage("knobs", since(started), what),))


def _unknown(name: str, catalog: Catalog, installed: Sequence[Instrumentor]) -> ScenarioResult:
    hint = did_you_mean(name, sorted({i.name for i in installed} | {i.distribution for i in installed}))
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
    settings = ScanSettings(
        rounds=options.rounds, seconds_per_run=options.seconds_per_run, timeout_s=options.timeout_s, seed=options.seed,
        quick=options.quick, precision_target=options.precision.text if options.precision else None,
        budget_s=options.budget_s, control_arm=options.control_arm, deterministic=options.deterministic,
        jobs=options.jobs, shard=f"{options.shard[0]}/{options.shard[1]}" if options.shard else None,
        arms=",".join(options.arms) if options.arms != ARMS else None,
        export_protocol=options.export_protocol if "export" in options.arms else None)
    return report_for(options.command, settings, targets, results, warnings=catalog.errors)
