"""What a version comparison concludes from its measurements, without running anything:
which findings appeared or disappeared (keyed so moved lines do not count), which pins
differ between the two environments, and whether B regressed. The types themselves
(Version, VersionComparison) live in otelaudit.model, so a Report can hold them."""

from __future__ import annotations

from typing import Sequence, Tuple

from otelaudit.model import ABResult, Finding, Version, VersionComparison

FindingKey = Tuple[str, str, str]


def finding_key(finding: Finding) -> FindingKey:
    """Line numbers move between versions; the rule, the costly target and the function do not."""
    return finding.rule, finding.target or "", finding.call_site.function if finding.call_site else ""


def changed_findings(a: Version, b: Version) -> Tuple[Tuple[Finding, ...], Tuple[Finding, ...]]:
    """(appeared in b, disappeared since a)."""
    keys_a, keys_b = {finding_key(f) for f in a.findings}, {finding_key(f) for f in b.findings}
    return (tuple(f for f in b.findings if finding_key(f) not in keys_a),
            tuple(f for f in a.findings if finding_key(f) not in keys_b))


def pin_differences(a: Version, b: Version, names: Sequence[str]) -> Tuple[str, ...]:
    return tuple(f"{n}: {a.packages.get(n)} vs {b.packages.get(n)}" for n in names
                 if a.packages.get(n) != b.packages.get(n))


def version_comparison(a: Version, b: Version, result: ABResult, pins: Sequence[str]) -> VersionComparison:
    """The comparison section: the measured result, the findings that changed, the pins
    (of `pins`) that differ and the sides whose instrumented arm produced no telemetry."""
    appeared, disappeared = changed_findings(a, b)
    warnings = tuple(f"{requirement}: instrumented arm produced no telemetry, so it does not do the work the other "
                     "side does: the difference is no overhead figure" for requirement in silent(a, b))
    return VersionComparison(a, b, result, appeared, disappeared, pin_differences(a, b, pins), warnings)


def silent(a: Version, b: Version) -> Tuple[str, ...]:
    """The sides whose instrumented arm produced no telemetry: invalid, never a cheaper version."""
    return tuple(v.requirement for v in (a, b) if v.telemetry_per_op is not None and v.telemetry_per_op.total == 0)


def regressed(result: ABResult) -> bool:
    """Instruction counts decide when they were taken (they do not flake); else time."""
    if result.instructions is not None:
        return result.instructions.verdict == "overhead"
    return result.comparison is not None and result.comparison.verdict == "overhead"
