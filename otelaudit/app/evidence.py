"""Where the app's overhead goes: sampled profile pairs (no instrumentation, all on) become
the telemetry call sites that cost most, scaled to the measured overhead, the differential
flame graph and OA199 findings, on the "all" row as a scan puts them on its rows. Frames
are telemetry when an OpenTelemetry (or OTel-API-based) distribution other than the app's
framework owns them."""

from __future__ import annotations

from dataclasses import replace
from typing import FrozenSet, Optional, Sequence

from otelaudit.app.rounds import ArmRun
from otelaudit.model import ScenarioResult


def with_profiles(total: ScenarioResult, profiles: Sequence[ArmRun], framework: Optional[str] = None,
                  ignore: FrozenSet[str] = frozenset()) -> ScenarioResult:
    """`framework`: the app's framework distribution, library code even if it traces natively."""
    failed = [r.result.failure for r in profiles if r.result.failure is not None]
    if failed and total.status == "ok":
        total = replace(total, warnings=total.warnings + (f"a profile run failed: {failed[0].message}",))
    baseline = [r.result.profile for r in profiles if r.arm.role == "baseline" and r.result.profile is not None]
    treated = [r.result.profile for r in profiles if r.arm.role == "all" and r.result.profile is not None]
    if total.status != "ok" or not baseline or not treated:
        return total
    from otelaudit.attribute.flamegraph import differential
    from otelaudit.attribute.hotspots import hotspots, scaled_to_overhead
    from otelaudit.attribute.ownership import Ownership
    from otelaudit.rules import calls as rules

    ownership = Ownership.of_environment(library=framework)
    found = hotspots(baseline, treated, ownership)
    if total.overhead is not None:
        found = scaled_to_overhead(found, total.overhead.cpu_us_per_op)
    findings = rules.findings_from_hotspots(found, (), ignore)
    return replace(total, hotspots=found, flame=differential(baseline, treated, ownership),
                   findings=tuple(rules.rank(findings)))
