"""Measures two prepared versions of an instrumentation (otelaudit.compare.setup): what
each provides (the describe child), the call-count probe and telemetry of each, and the
same scenario's instrumented arm run in both, interleaved with an A/A control; the
result is B − A and the findings (call-count evidence) that appeared or disappeared."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Callable, Dict, Optional, Sequence, Tuple

from otelaudit.compare.abtest import ABSettings, Side, compare_sides
from otelaudit.compare.model import version_comparison
from otelaudit.errors import OtelauditError, ScenarioError
from otelaudit.model import Description, RunResult, RunSpec, Version, VersionComparison
from otelaudit.model.codec import from_data
from otelaudit.rules import calls as rules


def description(requirement: str, python: str, isolated: bool, distribution: str) -> Description:
    """What the describe child finds in that interpreter's environment for `distribution`."""
    from otelaudit.run.runner import SubprocessRunner, last_line

    described = SubprocessRunner(python, isolated=isolated).output("otelaudit.child.describe", [distribution], 120)
    if described.code != 0:
        raise OtelauditError(f"cannot inspect {requirement}: {last_line(described.stderr)}")
    return from_data(Description, json.loads(described.stdout))


def describe(requirement: str, python: str, isolated: bool, distribution: str) -> Version:
    """The side of an instrumentation: its instrumentor and the scenario covering it."""
    found = description(requirement, python, isolated, distribution)
    if found.instrumentor is None:
        raise ScenarioError(f"{requirement} provides no opentelemetry_instrumentor entry point")
    if found.scenario is None:
        raise ScenarioError(f"no scenario covers {found.instrumentor.name!r} in {requirement}")
    return Version(requirement, python, isolated, found.instrumentor, found.scenario, found.packages)


def spec_for(version: Version, servers: Dict[str, Tuple[str, int]]) -> Callable[[int, int], RunSpec]:
    s, i = version.scenario, version.instrumentor

    def make(round_index: int, ops: int) -> RunSpec:  # no instrumentor: a scenario of the SDK itself
        return RunSpec(scenario_module=s.module, scenario_name=s.name, arm="sdk", round=round_index,
                       ops=ops, warmup_ops=max(ops // 10, s.concurrency * 2), concurrency=s.concurrency,
                       instrumentor_value=i.value if i else None, instrumentor_distribution=i.distribution if i else None,
                       instrumentor_version=i.version if i else None, instrument_kwargs=dict(s.instrument_kwargs),
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
    found = rules.findings_from_counts(probe.call_counts) + rules.findings_from_repeats(probe.repeated_calls)
    found += rules.excess_telemetry(telemetry, version.scenario.expects)
    return replace(version, findings=tuple(rules.rank(found)), telemetry_per_op=telemetry)


def _probe(spec: RunSpec) -> RunSpec:
    return replace(spec, mode="probe")


def _env(version: Version) -> Dict[str, str]:
    return dict(version.scenario.env)


def compare_versions(a: Version, b: Version, settings: ABSettings, on_progress: Callable[[str], None],
                     pins: Sequence[str]) -> VersionComparison:
    """`pins`: the distributions whose versions should be the same on both sides (the
    scenario's library is added); those that differ are listed on the comparison."""
    from otelaudit.servers.running import running_servers

    with running_servers(a.scenario.servers) as servers:
        on_progress("probing call counts in both versions")
        a, b = with_findings(a, servers, settings.timeout_s), with_findings(b, servers, settings.timeout_s)
        sides = [Side(v.requirement, spec_for(v, servers), v.python, _env(v), v.isolated) for v in (a, b)]
        result = compare_sides(sides[0], sides[1], settings, on_progress)
    library = _library_distribution(a)
    return version_comparison(a, b, result, tuple(pins) + ((library,) if library else ()))


def _library_distribution(version: Version) -> Optional[str]:
    """The scenario's library distribution, unless it ships inside the distribution under test."""
    library, i = version.scenario.library_distribution, version.instrumentor
    return None if library and i and library.lower() == i.distribution.lower() else library
