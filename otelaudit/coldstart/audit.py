"""`otelaudit coldstart`: what instrumentations cost at start-up. Per instrumentor, fresh
`-X importtime` children interleave a library-only baseline with library + instrumentation
(import ms, modules added, instrument() ms, first-call cost); one probe child counts the
environment scans; OA201 lazy-import patches are measured applied. Then the start-up
`opentelemetry-instrument` adds, per instrumentor, optionally also in a simulated large
environment. The result is a Report whose `cold_start` section holds all of it."""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from otelaudit import __version__
from otelaudit.coldstart import analysis
from otelaudit.rules import calls as rules
from otelaudit.coldstart.auto import measure_auto
from otelaudit.model import ColdArm, ColdRun, ColdStartReport, TargetColdStart
from otelaudit.rules.coldstart import lazy_import_findings, scan_findings
from otelaudit.discover.instrumentors import Target, discover_instrumentors, select_targets
from otelaudit.discover.environment import describe_environment
from otelaudit.coldstart.importtime import between, by_distribution, parse
from otelaudit.rules.lazyimport import LazyPatch
from otelaudit.model import Failure, Finding, Report, ScanSettings
from otelaudit.discover.catalog import load_catalog
from otelaudit.run.runner import child_environment
from otelaudit.servers.running import ServerError, running_servers
from otelaudit.coldstart.simulated_env import simulated_environment

SCHEMA_VERSION = "1.0"
TOP_MODULES = 10
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ColdStartOptions:
    targets: Tuple[str, ...] = ()
    rounds: int = 10
    first_ops: int = 3
    steady_ops: int = 30
    simulate_distributions: int = 0
    auto: bool = True
    auto_exclude: Tuple[str, ...] = ()
    ignore_rules: Tuple[str, ...] = ()
    timeout_s: float = 120.0
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 30))
    quick: bool = False
    command: str = "otelaudit coldstart"
    python: str = sys.executable


def run_child(spec: dict, extra_env: Mapping[str, str], timeout_s: float, python: str) -> ColdRun:
    """One fresh `-X importtime` interpreter; a crash or timeout becomes a failed run."""
    from otelaudit.child.coldstart import BEGIN, DONE
    from otelaudit.model.codec import from_data

    with tempfile.TemporaryDirectory(prefix="otelaudit-cold-") as workdir:
        spec_path, result_path = os.path.join(workdir, "spec.json"), os.path.join(workdir, "result.json")
        with open(spec_path, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        command = [python, "-X", "importtime", "-m", "otelaudit.child.coldstart", spec_path, result_path]
        spawned = time.time()
        try:
            completed = subprocess.run(command, env=child_environment(extra_env), cwd=workdir, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return ColdRun(spec["arm"], spec["round"], failure=Failure("timeout", f"did not finish within {timeout_s:g} s"))
        stderr = completed.stderr.decode("utf-8", "replace")
        if not os.path.exists(result_path):
            last = [line for line in stderr.splitlines() if line.strip() and not line.startswith("import time:")]
            message = f"cold-start child exited with code {completed.returncode}: {last[-1] if last else 'no output'}"
            return ColdRun(spec["arm"], spec["round"], failure=Failure("workload-crashed", message))
        with open(result_path, encoding="utf-8") as handle:
            run = from_data(ColdRun, json.load(handle))
    to_first = run.first_op_done_at - spawned if run.first_op_done_at else None
    return replace(run, imports=parse(between(stderr, BEGIN, DONE)), to_first_op_s=to_first)


@dataclass(frozen=True)
class TargetSession:
    """Builds and runs the specs of one target's children."""

    target: Target
    options: ColdStartOptions
    servers: Dict[str, Tuple[str, int]]

    def spec(self, arm: ColdArm, round_index: int, **extra: object) -> dict:
        scenario, instrumentor = self.target.scenario, self.target.instrumentor
        assert scenario is not None
        return {"arm": arm, "round": round_index, "library": scenario.library,
                "instrumentor_value": instrumentor.value, "instrumentor_distribution": instrumentor.distribution,
                "instrumentor_version": instrumentor.version, "instrument_kwargs": dict(scenario.instrument_kwargs),
                "scenario_module": scenario.module, "scenario_name": scenario.name,
                "servers": {k: list(v) for k, v in self.servers.items()}, "first_ops": self.options.first_ops,
                "steady_ops": self.options.steady_ops, **extra}

    def run(self, spec: dict, extra_env: Optional[Mapping[str, str]] = None) -> ColdRun:
        assert self.target.scenario is not None
        env = {**self.target.scenario.env, **(extra_env or {})}
        return run_child(spec, env, self.options.timeout_s, self.options.python)


def interleaved(rounds: int, rng: random.Random, arms: Sequence[ColdArm]) -> List[Tuple[int, ColdArm]]:
    order: List[Tuple[int, ColdArm]] = []
    for round_index in range(rounds):
        shuffled = list(arms)
        rng.shuffle(shuffled)
        order += [(round_index, arm) for arm in shuffled]
    return order


def audit_target(target: Target, options: ColdStartOptions, simulated_env: Mapping[str, str],
                 on_progress: Progress) -> TargetColdStart:
    instrumentor, scenario = target.instrumentor, target.scenario
    result = TargetColdStart(instrumentor.name, instrumentor.distribution, instrumentor.version,
                             scenario.library if scenario else None, "not-covered")
    if scenario is None:
        return replace(result, failure=Failure("no-scenario", f"no scenario covers instrumentor {instrumentor.name!r}"))
    if importlib.util.find_spec(scenario.library) is None:
        return replace(result, failure=Failure("missing-library", f"library {scenario.library!r} is not installed "
                                                                  f"({scenario.install_hint})"))
    try:
        with running_servers(scenario.servers) as servers:
            session = TargetSession(target, options, servers)
            return _measure(session, result, simulated_env, on_progress)
    except ServerError as error:
        return replace(result, status="error", failure=Failure("workload-crashed", str(error)))


def _measure(session: TargetSession, result: TargetColdStart, simulated_env: Mapping[str, str],
             on_progress: Progress) -> TargetColdStart:
    options, name = session.options, session.target.instrumentor.name
    runs: List[ColdRun] = []
    auto_env = _auto_env(options)
    arms: List[ColdArm] = ["baseline", "instrumented"]
    if auto_env:
        arms.append("auto")
    order = interleaved(options.rounds, random.Random(options.seed), arms)
    for index, (round_index, arm) in enumerate(order, 1):
        on_progress(f"{name}: cold start round {round_index + 1}/{options.rounds} {arm} ({index}/{len(order)})")
        run = session.run(session.spec(arm, round_index), auto_env if arm == "auto" else None)
        runs.append(run)
        if run.failure is not None and arm == "auto":
            auto_failure = f"under opentelemetry-instrument: {run.failure.message}"
            result = replace(result, warnings=tuple(dict.fromkeys(result.warnings + (auto_failure,))))
        elif run.failure is not None:  # repeating a crash only wastes the user's time
            status = "not-covered" if run.failure.kind == "missing-library" else "error"
            return replace(result, status=status, failure=run.failure)  # type: ignore[arg-type]
    on_progress(f"{name}: probing environment scans")
    probe = session.run(session.spec("instrumented", -1, probe=True))
    result, patches = _summarise(session, result, runs, probe)
    if patches:
        from otelaudit.coldstart.verify import verify_lazy_imports

        result = verify_lazy_imports(session, result, patches, on_progress)
    if simulated_env and result.status == "ok":
        on_progress(f"{name}: instrumented arm with {options.simulate_distributions} simulated distributions")
        done = [r for r in (session.run(session.spec("instrumented", i), simulated_env) for i in range(options.rounds))
                if r.failure is None]
        result = replace(
            result, instrumentation_import_ms_simulated=analysis.ms([r.instrumentation_import_s for r in done]),
            instrument_ms_simulated=analysis.ms([r.instrument_s for r in done if r.instrument_s is not None]))
    return result


Patches = List[Tuple[Finding, LazyPatch, str]]


def _auto_env(options: ColdStartOptions) -> Dict[str, str]:
    """The environment that makes a child start as under opentelemetry-instrument (its
    sitecustomize first on PYTHONPATH); empty when not measuring auto-instrumentation."""
    from otelaudit.coldstart.auto import auto_directory

    directory = auto_directory() if options.auto else None
    if directory is None:
        return {}
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [directory, os.environ.get("PYTHONPATH")]))}
    if options.auto_exclude:
        env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = ",".join(options.auto_exclude)
    return env


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
               on_result: Callable[[Report], None] = lambda report: None) -> Report:
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
            results.append(audit_target(target, options, simulated_env, on_progress))
            section = replace(section, targets=tuple(results))
            on_result(_report(options, section, selection.targets))
        if options.auto:
            on_progress("opentelemetry-instrument start-up")
            section = replace(section, auto=measure_auto(options.rounds, options.seed, extra, options.timeout_s,
                                                         options.python))
            if simulated_env:
                on_progress(f"opentelemetry-instrument start-up, {options.simulate_distributions} simulated distributions")
                section = replace(section, auto_simulated=measure_auto(
                    options.rounds, options.seed, {**extra, **simulated_env}, options.timeout_s, options.python))
    return _report(options, section, selection.targets)


def _report(options: ColdStartOptions, section: ColdStartReport, targets: Tuple[Target, ...]) -> Report:
    return Report(
        schema_version=SCHEMA_VERSION,
        otelaudit_version=__version__,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        command=options.command,
        environment=describe_environment([t.instrumentor.distribution for t in targets]),
        settings=ScanSettings(options.rounds, 0.0, options.timeout_s, options.seed, options.quick),
        results=(),
        cold_start=section,
    )
