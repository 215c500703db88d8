"""The terminal report: one row per instrumentor, readable at a glance, then one line
per problem, then the cold-start and comparison sections when the report has them.
Plain text so it survives logs and CI consoles."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.model import Report, ScenarioResult
from otelaudit.render import coldstart as render_coldstart
from otelaudit.render import compare as render_compare
from otelaudit.render import precision as render_precision
from otelaudit.render._text import ratio, signed_us, table, telemetry, us, verdict, with_ci
from otelaudit.render._units import with_interval

HEADERS = ("INSTRUMENTOR", "LIBRARY", "STATUS", "TELEMETRY/OP", "BASELINE CPU/OP",
           "SDK OVERHEAD CPU/OP (95% CI)", "RATIO", "API OVERHEAD", "p99 Δ", "VERDICT")


def render(report: Report) -> str:
    env = report.environment
    if not report.results and (report.cold_start is not None or report.comparison is not None):
        return "\n".join(_own_sections(report))  # `otelaudit coldstart` or `compare`
    lines = [
        f"otelaudit {report.otelaudit_version} — {len(report.results)} instrumentor(s), "
        f"{report.settings.rounds} interleaved rounds{' (quick)' if report.settings.quick else ''}, "
        f"Python {env.python}, {env.cpu_count} CPU(s), seed {report.settings.seed}{render_precision.scan_shape(report)}",
        "",
    ]
    lines += table([list(HEADERS)] + [row(result) for result in report.results])
    lines += render_precision.section(report.results)
    found = [line for r in report.results for line in finding_lines(r)]
    if found:
        lines += ["", "Findings (ranked; silence a rule with --ignore ID):", *found]
    problems = [problem_line(r) for r in report.results if r.failure is not None or r.warnings]
    if problems:
        lines += ["", *problems]
    lines += [f"warning: {w}" for w in report.warnings]
    if report.cold_start is not None:
        lines += render_coldstart.terminal_lines(report.cold_start)
    if report.comparison is not None:
        lines += ["", *render_compare.terminal_lines(report.comparison)]
    return "\n".join(lines)


def _own_sections(report: Report) -> List[str]:
    env = report.environment
    lines: List[str] = []
    if report.cold_start is not None:
        lines += [f"otelaudit {report.otelaudit_version} — Python {env.python}, {env.cpu_count} CPU(s), "
                  f"seed {report.settings.seed}", *render_coldstart.terminal_lines(report.cold_start)]
    if report.comparison is not None:
        lines += ([""] if lines else []) + render_compare.terminal_lines(report.comparison)
    return lines


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
