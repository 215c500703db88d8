"""The terminal report: one row per instrumentor, readable at a glance, then one line
per problem. Plain text so it survives logs and CI consoles."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.render import precision as render_precision
from otelaudit.render._units import with_interval
from otelaudit.model import Comparison, Estimate, Report, ScenarioResult, Telemetry

HEADERS = ("INSTRUMENTOR", "LIBRARY", "STATUS", "TELEMETRY/OP", "BASELINE CPU/OP",
           "SDK OVERHEAD CPU/OP (95% CI)", "RATIO", "API OVERHEAD", "p99 Δ", "VERDICT")


def render(report: Report) -> str:
    env = report.environment
    lines = [
        f"otelaudit {report.otelaudit_version} — {len(report.results)} instrumentor(s), "
        f"{report.settings.rounds} interleaved rounds{' (quick)' if report.settings.quick else ''}, "
        f"Python {env.python}, {env.cpu_count} CPU(s), seed {report.settings.seed}{render_precision.scan_shape(report)}",
        "",
    ]
    if report.cold_start is not None and not report.results:  # `otelaudit coldstart`
        from otelaudit.render.coldstart import terminal_lines

        return "\n".join([f"otelaudit {report.otelaudit_version} — Python {env.python}, {env.cpu_count} CPU(s), "
                          f"seed {report.settings.seed}", *terminal_lines(report.cold_start)])
    rows = [row(result) for result in report.results]
    lines += table([list(HEADERS)] + rows)
    lines += render_precision.section(report.results)
    found = [line for r in report.results for line in finding_lines(r)]
    if found:
        lines += ["", "Findings (ranked; silence a rule with --ignore ID):", *found]
    problems = [problem_line(r) for r in report.results if r.failure is not None or r.warnings]
    if problems:
        lines += ["", *problems]
    lines += [f"warning: {w}" for w in report.warnings]
    if report.cold_start is not None:
        from otelaudit.render.coldstart import terminal_lines

        lines += terminal_lines(report.cold_start)
    return "\n".join(lines)


def row(result: ScenarioResult) -> List[str]:
    library = result.library_version or result.library or "—"
    baseline = result.arms.get("baseline")
    return [
        label(result),
        library,
        result.status,
        telemetry(result.telemetry_per_op),
        us(baseline.cpu_us_per_op.estimate) if baseline else "—",
        with_ci(result.overhead.cpu_us_per_op) if result.overhead else "—",
        ratio(result.overhead.cpu_ratio.estimate) if result.overhead else "—",
        signed_us(result.api_overhead.cpu_us_per_op.estimate) if result.api_overhead else "—",
        signed_us(result.overhead.latency_p99_us.estimate) if result.overhead else "—",
        verdict(result.overhead),
    ]


def label(result: ScenarioResult) -> str:
    """The entry-point name, with the scenario's when they differ: two distributions may
    register the same entry point (the two `openai` instrumentations)."""
    def plain(name: str) -> str:
        return name.lower().replace("-", "_")

    if result.scenario is None or plain(result.scenario) == plain(result.instrumentor):
        return result.instrumentor
    return f"{result.instrumentor} ({result.scenario})"


def finding_lines(result: ScenarioResult, most: int = 3) -> List[str]:
    lines = []
    for finding in result.findings[:most]:
        lines.append(f"  {result.instrumentor}: [{finding.rule}] {finding.title}")
        lines.append(f"      fix: {finding.suggestion}")
        if finding.verified_saving_us is not None:
            saving = finding.verified_saving_us
            interval = f"{with_interval(saving.estimate, saving.ci_low, saving.ci_high)}/op, 95% CI"
            verdict = "saves" if saving.ci_low > 0 else "no saving shown at this precision:"
            lines.append(f"      measured with the fix applied: {verdict} {interval}")
    if len(result.findings) > most:
        lines.append(f"  {result.instrumentor}: {len(result.findings) - most} more finding(s) in the JSON report")
    return lines


def triage_lines(result: ScenarioResult) -> List[str]:
    """A scenario's findings as triage leaves them, before its overhead is measured."""
    when = f" after {result.stages[0].done_s:.0f} s" if result.stages else ""
    if not result.findings:
        return [f"  {result.instrumentor}: triage{when}: no counted or sampled finding; measuring the overhead"]
    return [f"  {result.instrumentor}: triage{when} (counted and sampled; the overhead is measured next):",
            *finding_lines(result, most=2)]


def problem_line(result: ScenarioResult) -> str:
    parts = []
    if result.failure is not None:
        parts.append(f"{result.status} ({result.failure.kind}): {result.failure.message}")
    parts += list(result.warnings)
    return f"{result.instrumentor}: " + "; ".join(parts)


def table(rows: Sequence[Sequence[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip() for r in rows]


def us(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.1f} µs" if abs(value) >= 10 else f"{value:.2f} µs"


def signed_us(value: float) -> str:
    return ("+" if value >= 0 else "−") + us(abs(value))


def with_ci(estimate: Estimate) -> str:
    return with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, signed=True)


def ratio(value: float) -> str:
    return f"×{value:.2f}"


def telemetry(value: Optional[Telemetry]) -> str:
    if value is None:
        return "—"
    parts = [f"{value.spans:.3g} span", f"{value.metric_measurements:.3g} metric", f"{value.log_records:.3g} log"]
    shown = [p for p, v in zip(parts, (value.spans, value.metric_measurements, value.log_records)) if v]
    return ", ".join(shown) or "none"


def verdict(comparison: Optional[Comparison]) -> str:
    return comparison.verdict if comparison else "—"
