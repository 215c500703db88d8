"""`otelaudit coldstart`: what instrumentations cost at start-up. Per instrumentor, fresh
`-X importtime` children interleave a library-only baseline with library + instrumentation
(import ms, modules added, instrument() ms, first-call cost); one probe child counts the
environment scans; OA201 lazy-import patches are measured applied. Then the start-up
`opentelemetry-instrument` adds, per instrumentor, optionally also in a simulated large
environment. The result is a Report whose `cold_start` section holds all of it."""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import replace
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from otelaudit.coldstart import analysis
from otelaudit.coldstart.auto import measure_auto
from otelaudit.coldstart.importtime import by_distribution
from otelaudit.coldstart.session import ColdStartOptions, Patches, Progress, TargetSession, auto_env
from otelaudit.coldstart.simulated_env import simulated_environment
from otelaudit.coldstart.verify import verify_lazy_imports
from otelaudit.discover.catalog import load_catalog
from otelaudit.discover.instrumentors import Target, discover_instrumentors, select_targets
from otelaudit.model import ColdArm, ColdRun, ColdStartReport, Failure, Finding, Report, ScanSettings, TargetColdStart
from otelaudit.plan.interleave import interleave, play
from otelaudit.plan.targets import Servers, not_covered, with_servers
from otelaudit.rules import calls as rules
from otelaudit.rules.coldstart import lazy_import_findings, scan_findings
from otelaudit.run.report import report_for
from otelaudit.run.runner import Runner, SubprocessRunner

__all__ = ["ColdStartOptions", "audit_target", "cold_start"]

TOP_MODULES = 10


def audit_target(target: Target, options: ColdStartOptions, simulated_env: Mapping[str, str],
                 on_progress: Progress, runner: Runner) -> TargetColdStart:
    instrumentor, scenario = target.instrumentor, target.scenario
    result = TargetColdStart(instrumentor.name, instrumentor.distribution, instrumentor.version,
                             scenario.library if scenario else None, "not-covered")
    failure = not_covered(target)
    if scenario is None or failure is not None:
        return replace(result, failure=failure)

    def measure(servers: Servers) -> TargetColdStart:
        return _measure(TargetSession(target, options, servers, runner), result, simulated_env, on_progress)

    return with_servers(scenario, measure, lambda status, why: replace(result, status=status, failure=why))


def _measure(session: TargetSession, result: TargetColdStart, simulated_env: Mapping[str, str],
             on_progress: Progress) -> TargetColdStart:
    options, name = session.options, session.target.instrumentor.name
    extra_env = auto_env(options)
    arms: Tuple[ColdArm, ...] = ("baseline", "instrumented", "auto") if extra_env else ("baseline", "instrumented")
    order = interleave(options.rounds, random.Random(options.seed), arms)
    count = itertools.count(1)

    def run(round_index: int, arm: ColdArm) -> ColdRun:
        on_progress(f"{name}: cold start round {round_index + 1}/{options.rounds} {arm} ({next(count)}/{len(order)})")
        return session.run(session.spec(arm, round_index), extra_env if arm == "auto" else None)

    # A failed auto run drops that arm only; any other failure ends the target's rounds.
    runs = play(order, run, lambda done: done.failure is None or done.arm == "auto")
    for done in runs:
        if done.failure is not None and done.arm == "auto":
            auto_failure = f"under opentelemetry-instrument: {done.failure.message}"
            result = replace(result, warnings=tuple(dict.fromkeys(result.warnings + (auto_failure,))))
        elif done.failure is not None:
            status = "not-covered" if done.failure.kind == "missing-library" else "error"
            return replace(result, status=status, failure=done.failure)  # type: ignore[arg-type]
    on_progress(f"{name}: probing environment scans")
    probe = session.run(session.spec("instrumented", -1, probe=True))
    result, patches = _summarise(session, result, runs, probe)
    if patches:
        result = verify_lazy_imports(session, result, patches, on_progress)
    if simulated_env and result.status == "ok":
        on_progress(f"{name}: instrumented arm with {options.simulate_distributions} simulated distributions")
        ok = [r for r in (session.run(session.spec("instrumented", i), simulated_env) for i in range(options.rounds))
              if r.failure is None]
        result = replace(
            result, instrumentation_import_ms_simulated=analysis.ms([r.instrumentation_import_s for r in ok]),
            instrument_ms_simulated=analysis.ms([r.instrument_s for r in ok if r.instrument_s is not None]))
    return result


def _summarise(session: TargetSession, result: TargetColdStart, runs: List[ColdRun],
               probe: ColdRun) -> Tuple[TargetColdStart, Patches]:
    from otelaudit.attribute.ownership import Ownership

    options, instrumentor = session.options, session.target.instrumentor
    arms = analysis.paired(runs)
    base, treated = arms["baseline"], arms["instrumented"]
    added = analysis.modules(base, treated, Ownership.for_instrumentor(instrumentor).owner_name)
    import_ms = analysis.import_ms(base, treated)
    warnings = list(result.warnings)
    if probe.failure is not None:
        warnings.append(f"environment-scan probe failed: {probe.failure.message}")
    first_calls = tuple(c for c in (analysis.first_call(arm, runs) for arm, runs in arms.items()) if c is not None)
    result = replace(
        result, status="ok", rounds=len(treated), import_ms=import_ms,
        import_cpu_ms=analysis.import_cpu_ms(base, treated),
        instrumentation_import_ms=analysis.ms([r.instrumentation_import_s for r in treated]),
        instrument_ms=analysis.ms([r.instrument_s for r in treated if r.instrument_s is not None]),
        modules_added=len(added), top_modules=tuple(added[:TOP_MODULES]), by_distribution=by_distribution(added),
        phase_calls=probe.phase_calls, first_call=first_calls,
        first_call_extra_us=analysis.first_call_extra(base, treated),
        to_first_op_ms=analysis.to_first_op(arms), to_first_op_added_ms=analysis.to_first_op_added(arms),
        warnings=tuple(warnings + analysis.auto_warnings(arms)))
    if not any(r.telemetry_items for r in treated):
        return replace(result, status="invalid", failure=Failure(
            "no-telemetry", "the instrumented arm produced no telemetry in its first operations")), []
    files: Dict[str, str] = {}
    for run in treated:
        files.update(run.module_files)
    package_dir = os.path.dirname(files.get(instrumentor.value.partition(":")[0], "")) + os.sep
    ignore = frozenset(options.ignore_rules)
    lazy = lazy_import_findings(added, files, import_ms.estimate,
                                lambda path: package_dir != os.sep and path.startswith(package_dir), ignore)
    findings: List[Finding] = [f for f, _, _ in lazy] + scan_findings(probe.phase_calls, ignore)
    return replace(result, findings=tuple(rules.rank(findings))), lazy


def cold_start(options: ColdStartOptions, on_progress: Progress = lambda message: None,
               on_result: Callable[[Report], None] = lambda report: None,
               runner: Optional[Runner] = None) -> Report:
    runner = runner or SubprocessRunner(options.python)
    catalog = load_catalog()
    selection = select_targets(options.targets, discover_instrumentors(), catalog.scenarios)
    section = ColdStartReport(rounds=options.rounds, simulated_distributions=options.simulate_distributions,
                              unknown_targets=selection.unknown,
                              warnings=tuple(f"no installed instrumentor or distribution named {n!r}"
                                             for n in selection.unknown))
    extra = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": ",".join(options.auto_exclude)} if options.auto_exclude else {}
    with simulated_environment(options.simulate_distributions) as simulated_env:
        results: List[TargetColdStart] = []
        for target in selection.targets:
            on_progress(f"{target.instrumentor.name}: cold start")
            results.append(audit_target(target, options, simulated_env, on_progress, runner))
            section = replace(section, targets=tuple(results))
            on_result(_report(options, section, selection.targets))
        if options.auto:
            on_progress("opentelemetry-instrument start-up")
            section = replace(section, auto=measure_auto(options.rounds, options.seed, extra, options.timeout_s,
                                                         runner, options.python))
            if simulated_env:
                on_progress(f"opentelemetry-instrument start-up, {options.simulate_distributions} simulated distributions")
                section = replace(section, auto_simulated=measure_auto(
                    options.rounds, options.seed, {**extra, **simulated_env}, options.timeout_s, runner, options.python))
    return _report(options, section, selection.targets)


def _report(options: ColdStartOptions, section: ColdStartReport, targets: Tuple[Target, ...]) -> Report:
    settings = ScanSettings(options.rounds, 0.0, options.timeout_s, options.seed, options.quick)
    return report_for(options.command, settings, targets, cold_start=section)
