"""The terminal report. It fits the terminal: one row per instrumentor when the whole
table fits (or with `wide`), otherwise two lines per instrumentor — verdict and overhead
with its interval and ratio first, then telemetry, baseline, api-only and p99. What was
not measured is listed under it with the reason; every other line wraps to the width.
Plain text so it survives logs and CI consoles; a saved report renders the same."""

from __future__ import annotations

import shutil
from typing import List, Optional, Sequence

from otelaudit.model import Report, ScenarioResult
from otelaudit.render import coldstart as render_coldstart
from otelaudit.render import compare as render_compare
from otelaudit.render import export as render_export
from otelaudit.render import precision as render_precision
from otelaudit.render import scaling
from otelaudit.render._text import incomplete, joined, ratio, ratio_ci, shown_findings, table, telemetry, us, verdict
from otelaudit.render._text import with_ci, wrapped
from otelaudit.render._units import with_interval

HEADERS = ("INSTRUMENTOR", "LIBRARY", "VERDICT", "SDK OVERHEAD CPU/OP [95% interval]", "RATIO", "TELEMETRY/OP",
           "BASELINE CPU/OP", "API-ONLY OVERHEAD", "p99 LATENCY Δ")
DEFAULT_WIDTH = 80


def width_now() -> int:
    """The terminal's columns; 80 when the output is not a terminal (a file, a pipe)."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def render(report: Report, width: Optional[int] = None, wide: bool = False) -> str:
    columns = width if width is not None else width_now()
    if not report.results and (report.cold_start is not None or report.comparison is not None):
        return "\n".join(_own_sections(report, columns, wide))  # `otelaudit coldstart` or `compare`
    env = report.environment
    measured = [r for r in report.results if r.overhead is not None]
    lines = [f"otelaudit {report.otelaudit_version} — {len(report.results)} instrumentor(s), "
             f"{render_precision.rounds_text(report)}{render_precision.scan_shape(report)}",
             f"Python {env.python}, {env.cpu_count} CPU(s), seed {report.settings.seed}", ""]
    lines += [incomplete(report), ""] if not report.complete else []
    lines = wrapped(lines, columns) if not wide else lines
    rows = table([list(HEADERS)] + [row(r) for r in measured]) if measured else []
    if wide or max((len(line) for line in rows), default=0) <= columns:
        lines += rows
    else:
        lines += [line for r in measured for line in block(r, columns)]
    rest = not_measured(report.results)
    rest += render_precision.section(report.results)
    rest += render_export.terminal_lines(measured)
    found = [line for r in report.results for line in finding_lines(r)]
    if found:
        rest += ["", "Findings (ranked; silence a rule with --ignore ID):", *found]
    rest += [problem_line(r) for r in measured if r.failure is not None or r.warnings]
    rest += [f"warning: {w}" for w in report.warnings]
    if report.comparison is not None:
        rest += ["", *render_compare.terminal_lines(report.comparison)]
    lines += rest if wide else wrapped(rest, columns)
    if report.cold_start is not None:
        lines += render_coldstart.terminal_lines(report.cold_start, columns, wide)
    return "\n".join(lines)


def _own_sections(report: Report, columns: int, wide: bool) -> List[str]:
    env = report.environment
    lines: List[str] = []
    if report.cold_start is not None:
        head = f"otelaudit {report.otelaudit_version} — Python {env.python}, {env.cpu_count} CPU(s), seed {report.settings.seed}"
        lines += [*wrapped([head], columns), *render_coldstart.terminal_lines(report.cold_start, columns, wide)]
    if report.comparison is not None:
        lines += ([""] if lines else []) + wrapped(render_compare.terminal_lines(report.comparison), columns)
    return lines


def _verdict(result: ScenarioResult) -> str:
    return verdict(result.overhead) if result.status == "ok" else result.status.upper()


def row(result: ScenarioResult) -> List[str]:
    """The wide table's row of a measured result."""
    overhead = result.overhead
    assert overhead is not None
    baseline = result.arms.get("baseline")
    return [label(result), result.library_version or result.library or "—", _verdict(result),
            with_ci(overhead.cpu_us_per_op), ratio_ci(overhead.cpu_ratio), telemetry(result.telemetry_per_op),
            us(baseline.cpu_us_per_op.estimate) if baseline else "—",
            with_ci(result.api_overhead.cpu_us_per_op) if result.api_overhead else "—",
            with_ci(overhead.latency_p99_us)]


def block(result: ScenarioResult, width: int) -> List[str]:
    """Two lines (more only when the details wrap): what it costs, then what it did."""
    overhead = result.overhead
    assert overhead is not None
    baseline = result.arms.get("baseline")
    head = (f"{label(result):<16} {_verdict(result):<13} {with_ci(overhead.cpu_us_per_op)} CPU/op  "
            f"{ratio(overhead.cpu_ratio.estimate)}")
    details = [f"{telemetry(result.telemetry_per_op)} per op", result.library_version or result.library or "",
               f"baseline {us(baseline.cpu_us_per_op.estimate)}" if baseline else "",
               f"api-only {with_ci(result.api_overhead.cpu_us_per_op)}" if result.api_overhead else "",
               f"p99 {with_ci(overhead.latency_p99_us)}", *scaling.short(result)]
    return wrapped([head], width) + joined([d for d in details if d], width, "    ")


def not_measured(results: Sequence[ScenarioResult]) -> List[str]:
    missing = [r for r in results if r.overhead is None]
    if not missing:
        return []
    return ["", "Not measured:", *(f"  {r.instrumentor}: {r.status.replace('-', ' ')} — "
                                   f"{r.failure.message if r.failure else 'no measurement'}" for r in missing)]


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
    shown = shown_findings(result.findings, most)
    for finding in shown:
        lines.append(f"  {result.instrumentor}: [{finding.rule}] {finding.title}")
        lines.append(f"      {'setting' if finding.setting else 'fix'}: {finding.setting or finding.suggestion}")
        if finding.verified_saving_us is not None:
            saving = finding.verified_saving_us
            interval = f"{with_interval(saving.estimate, saving.ci_low, saving.ci_high)}/op, 95% interval"
            verdict = "saves" if saving.ci_low > 0 else "no saving shown at this precision:"
            what = "the setting" if finding.setting else "the fix"
            lines.append(f"      measured with {what} applied: {verdict} {interval}")
        elif finding.no_whatif is not None:
            lines.append(f"      measured saving: {finding.no_whatif}")
    if len(result.findings) > len(shown):
        lines.append(f"  {result.instrumentor}: {len(result.findings) - len(shown)} more finding(s) in the JSON report")
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
