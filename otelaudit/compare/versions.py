"""`otelaudit compare DIST==A DIST==B` (or `DIST==A` against the installed version):
each version in its own cached environment with the same SDK and library pins, the
same scenario's instrumented arm run in both, interleaved with an A/A control; reports
B − A and the findings (call-count evidence) that appeared or disappeared."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Tuple

from otelaudit.rules import calls as rules
from otelaudit.compare.abtest import ABResult, ABSettings, Side, compare_sides
from otelaudit.plan.adaptive import StopRule, parse_target
from otelaudit.model.codec import from_data, to_data
from otelaudit.errors import OtelauditError, UsageError
from otelaudit.model import Finding, Instrumentor, RunResult, Telemetry
from otelaudit.model import RunSpec


@dataclass(frozen=True)
class Version:
    """One side: where it runs and what it provides."""

    requirement: str
    python: str
    isolated: bool
    instrumentor: Instrumentor
    scenario: Dict[str, object]
    packages: Dict[str, str]
    findings: Tuple[Finding, ...] = ()
    telemetry_per_op: Optional[Telemetry] = None


@dataclass(frozen=True)
class VersionComparison:
    a: Version
    b: Version
    result: ABResult
    appeared: Tuple[Finding, ...]
    disappeared: Tuple[Finding, ...]
    pin_differences: Tuple[str, ...] = ()
    warnings: Tuple[str, ...] = field(default_factory=tuple)


def describe(requirement: str, python: str, isolated: bool, distribution: str) -> Version:
    from otelaudit.run.runner import SubprocessRunner

    described = SubprocessRunner(python, isolated=isolated).output("otelaudit.child.describe", [distribution], 120)
    if described.code != 0:
        raise OtelauditError(f"cannot inspect {requirement}: {described.stderr.strip().splitlines()[-1:]}")
    data = json.loads(described.stdout)
    if data["instrumentor"] is None:
        raise UsageError(f"{requirement} provides no opentelemetry_instrumentor entry point")
    if data["scenario"] is None:
        raise UsageError(f"no scenario covers {data['instrumentor']['name']!r} in {requirement}")
    return Version(requirement, python, isolated, from_data(Instrumentor, data["instrumentor"]), data["scenario"],
                   data["packages"])


def spec_for(version: Version, servers: Dict[str, Tuple[str, int]]) -> Callable[[int, int], RunSpec]:
    s, i = version.scenario, version.instrumentor
    concurrency = int(s["concurrency"])  # type: ignore[call-overload]

    def make(round_index: int, ops: int) -> RunSpec:
        return RunSpec(scenario_module=str(s["module"]), scenario_name=str(s["name"]), arm="sdk", round=round_index,
                       ops=ops, warmup_ops=max(ops // 10, concurrency * 2), concurrency=concurrency,
                       instrumentor_value=i.value, instrumentor_distribution=i.distribution,
                       instrumentor_version=i.version, instrument_kwargs=dict(s["instrument_kwargs"]),  # type: ignore[call-overload]
                       servers=dict(servers), memory_ops=10)
    return make


def with_findings(version: Version, servers: Dict[str, Tuple[str, int]], timeout_s: float, probe_ops: int = 200) -> Version:
    """The call-count probe and telemetry of this version: the deterministic evidence."""
    side = Side(version.requirement, spec_for(version, servers), version.python, _env(version), version.isolated)
    probe: RunResult = side.run(_probe(side.make_spec(-1, probe_ops)), timeout_s)
    if not probe.ok:
        return version
    measured = side.run(side.make_spec(-1, probe_ops), timeout_s)
    telemetry = measured.telemetry.per(measured.ops) if measured.ok else None
    expects = from_data(Telemetry, version.scenario["expects"])
    found = rules.findings_from_counts(probe.call_counts) + rules.findings_from_repeats(probe.repeated_calls)
    found += rules.excess_telemetry(telemetry, expects)
    return replace(version, findings=tuple(rules.rank(found)), telemetry_per_op=telemetry)


def _probe(spec: RunSpec) -> RunSpec:
    return replace(spec, mode="probe")


def _env(version: Version) -> Dict[str, str]:
    return {str(k): str(v) for k, v in dict(version.scenario["env"]).items()}  # type: ignore[call-overload]


def finding_key(finding: Finding) -> Tuple[str, str, str]:
    """Line numbers move between versions; the rule, the costly target and the function do not."""
    return finding.rule, finding.target or "", finding.call_site.function if finding.call_site else ""


def changed_findings(a: Version, b: Version) -> Tuple[Tuple[Finding, ...], Tuple[Finding, ...]]:
    keys_a, keys_b = {finding_key(f) for f in a.findings}, {finding_key(f) for f in b.findings}
    return (tuple(f for f in b.findings if finding_key(f) not in keys_a),
            tuple(f for f in a.findings if finding_key(f) not in keys_b))


def pin_differences(a: Version, b: Version, names: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(f"{n}: {a.packages.get(n)} vs {b.packages.get(n)}" for n in names
                 if a.packages.get(n) != b.packages.get(n))


def compare_versions(a: Version, b: Version, settings: ABSettings, on_progress: Callable[[str], None]) -> VersionComparison:
    from otelaudit.compare.envs import CORE_PINS
    from otelaudit.servers.running import running_servers

    with running_servers(tuple(str(k) for k in a.scenario["servers"])) as servers:  # type: ignore[attr-defined]
        on_progress("probing call counts in both versions")
        a, b = with_findings(a, servers, settings.timeout_s), with_findings(b, servers, settings.timeout_s)
        sides = [Side(v.requirement, spec_for(v, servers), v.python, _env(v), v.isolated) for v in (a, b)]
        result = compare_sides(sides[0], sides[1], settings, on_progress)
    appeared, disappeared = changed_findings(a, b)
    library = _library_distribution(a)
    if library and library.lower() == a.instrumentor.distribution.lower():
        library = None  # the library ships inside the distribution under test
    warnings = tuple(f"{v.requirement}: instrumented arm produced no telemetry" for v in (a, b)
                     if v.telemetry_per_op is not None and v.telemetry_per_op.total == 0)
    return VersionComparison(a, b, result, appeared, disappeared,
                             pin_differences(a, b, CORE_PINS + ((library,) if library else ())), warnings)


def _library_distribution(version: Version) -> Optional[str]:
    return version.scenario.get("library_distribution")  # type: ignore[return-value]


def run_from_cli(args: argparse.Namespace, precision: Dict[str, object]) -> int:
    from otelaudit.compare.setup import prepare_versions
    from otelaudit.errors import ExitCode
    from otelaudit.run.progress import ProgressPrinter
    from otelaudit.render.compare import render

    progress = ProgressPrinter(enabled=not args.quiet)

    def note(message: str) -> None:  # building an environment takes a while: always say so
        if not args.quiet:
            print(f"otelaudit: {message}", file=sys.stderr)

    a, b = prepare_versions(args.versions, args.find_links, args.cache_dir, note)
    target = parse_target(str(precision["precision"])) if precision.get("precision") else None
    rule = StopRule(args.rounds, 200, target, precision.get("budget_s"))  # type: ignore[arg-type]
    settings = ABSettings(rule, seconds_per_run=args.seconds_per_run, seed=args.seed, timeout_s=args.timeout,
                          deterministic=bool(precision["deterministic"]))
    comparison = compare_versions(a, b, settings, progress)
    progress.done()
    if args.json:
        from otelaudit.model.files import write_atomically

        write_atomically(args.json, json.dumps(to_data(comparison), indent=2) + "\n")
    print(render(comparison))
    if comparison.result.failure:
        print(f"otelaudit: compare: {comparison.result.failure}", file=sys.stderr)
        return int(ExitCode.WORKLOAD_CRASHED)
    if args.fail_on_regression and regressed(comparison.result):
        print(f"otelaudit: compare: {comparison.b.requirement} is a regression over {comparison.a.requirement}",
              file=sys.stderr)
        return int(ExitCode.BUDGET_EXCEEDED)
    return 0


def regressed(result: ABResult) -> bool:
    """Instruction counts decide when they were taken (they do not flake); else time."""
    if result.instructions is not None:
        return result.instructions.verdict == "overhead"
    return result.comparison is not None and result.comparison.verdict == "overhead"


def findings_lines(title: str, findings: Tuple[Finding, ...]) -> List[str]:
    return [f"  {title}: [{f.rule}] {f.title}" for f in findings]
