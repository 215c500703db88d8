"""The markdown report: one section per instrumentation, written to be pasted as an
upstream issue — a title with the problem and the number, the environment and pins,
a reproduction command, the arms with confidence intervals, the findings with call
chains and patches, and how it was measured; then the cold-start and comparison sections."""

from __future__ import annotations

import os
from typing import Dict

import otelaudit

from otelaudit.discover.environment import CORE_DISTRIBUTIONS
from otelaudit.model import ArmSummary, Estimate, Finding, Report, ScenarioResult
from otelaudit.attribute.ownership import display_path
from otelaudit.render import coldstart as render_coldstart
from otelaudit.render import compare as render_compare
from otelaudit.render import precision as render_precision
from otelaudit.render._text import telemetry

CHAIN_SHOWN = 8


def render(report: Report) -> str:
    sections = [section(report, result) for result in report.results if result.status == "ok"]
    skipped = [r for r in report.results if r.status != "ok"]
    if skipped:
        sections.append("## Not measured\n\n" + "\n".join(
            f"- `{r.instrumentor}`: {r.status} — {r.failure.message if r.failure else ''}" for r in skipped))
    if report.cold_start is not None:
        sections.append(render_coldstart.markdown(report.cold_start))
    if report.comparison is not None:
        sections.append(render_compare.markdown(report.comparison))
    return "\n\n---\n\n".join(sections) + "\n"


def section(report: Report, result: ScenarioResult) -> str:
    parts = [f"## {title(result)}", environment(report, result), reproduction(report, result),
             arms_table(result), precision_text(result), findings_text(result), how_measured(report, result)]
    return "\n\n".join(p for p in parts if p)


def title(result: ScenarioResult) -> str:
    overhead = result.overhead
    assert overhead is not None
    lead = f"`{result.distribution}` {result.version}"
    saving = result.findings[0].verified_saving_us if result.findings else None
    if saving is not None and saving.ci_low > 0:
        return (f"{lead}: {result.findings[0].target}() on every operation costs {_us(saving.estimate)} "
                f"of {_us(overhead.cpu_us_per_op.estimate)} instrumentation overhead per {result.library} operation")
    return f"{lead} adds {_us(overhead.cpu_us_per_op.estimate)} CPU per {result.library} operation (×{overhead.cpu_ratio.estimate:.2f})"


def relevant_packages(report: Report, result: ScenarioResult) -> Dict[str, str]:
    """The pins that matter for this section: the core, this instrumentation, its library."""
    wanted = set(CORE_DISTRIBUTIONS) | {result.distribution or "", (result.library or "").replace("_", "-")}
    return {name: version for name, version in sorted(report.environment.packages.items()) if name in wanted}


def environment(report: Report, result: ScenarioResult) -> str:
    env = report.environment
    packages = "\n".join(f"| `{name}` | {version} |" for name, version in relevant_packages(report, result).items())
    return (f"**Environment:** Python {env.python} ({env.implementation}), {env.platform}, {env.cpu_count} CPU(s); "
            f"library `{result.library}` {result.library_version}.\n\n| package | version |\n| --- | --- |\n{packages}")


def reproduction(report: Report, result: ScenarioResult) -> str:
    pins = " ".join(f"'{name}=={version}'" for name, version in relevant_packages(report, result).items())
    settings = report.settings
    return ("**Reproduce:**\n\n```sh\n"
            f"pip install {pins}\n"
            f"otelaudit scan {result.instrumentor} --rounds {settings.rounds} --seed {settings.seed}\n```")


def arms_table(result: ScenarioResult) -> str:
    rows = ["| arm | CPU µs/op | latency p50 µs | latency p99 µs | throughput ops/s | peak RSS KiB | "
            "bytes/op (peak) | telemetry/op |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows += [_arm_row(result.arms[arm]) for arm in ("baseline", "api", "sdk") if arm in result.arms]
    overhead = result.overhead
    assert overhead is not None
    summary = (f"sdk − baseline: **{_signed(overhead.cpu_us_per_op)} CPU µs/op** (×{_ci(overhead.cpu_ratio, 2)}), "
               f"p99 latency {_signed(overhead.latency_p99_us)} µs, verdict `{overhead.verdict}` "
               f"({overhead.rounds} paired rounds, 95% CIs in brackets).")
    return "\n".join(rows) + "\n\n" + summary


def _arm_row(arm: ArmSummary) -> str:
    return (f"| {arm.arm} | {_ci(arm.cpu_us_per_op)} | {_ci(arm.latency_p50_us)} | {_ci(arm.latency_p99_us)} | "
            f"{arm.throughput_ops_s.estimate:,.0f} | {arm.peak_rss_kib:,.0f} | {arm.mem_peak_bytes_per_op:,.0f} | "
            f"{telemetry(arm.telemetry_per_op)} |")


def findings_text(result: ScenarioResult, most: int = 5) -> str:
    if not result.findings:
        overhead = result.overhead
        assert overhead is not None
        width = overhead.cpu_us_per_op.ci_high - overhead.cpu_us_per_op.ci_low
        return ("**Findings:** none. No costly call was counted on the hot path and no telemetry call site "
                f"held a large share of the sampled overhead; the overhead itself is known to ±{width / 2:.2f} µs/op.")
    return "### Findings\n\n" + "\n\n".join(finding_text(i, f) for i, f in enumerate(result.findings[:most], 1))


def finding_text(index: int, finding: Finding) -> str:
    lines = [f"**{index}. [{finding.rule}] {finding.title}**", ""]
    evidence = []
    if finding.calls_per_op is not None:
        evidence.append(f"{finding.calls_per_op:.3g} calls/op (deterministic count)")
    if finding.us_per_op is not None:
        share = f", {finding.share_of_overhead:.0%} of the overhead" if finding.share_of_overhead else ""
        evidence.append(f"{_ci(finding.us_per_op)} µs/op sampled{share}")
    if finding.verified_saving_us is not None:
        evidence.append(f"measured saving with the fix applied: {_ci(finding.verified_saving_us)} µs/op")
    lines.append("Evidence: " + "; ".join(evidence) + ".")
    shown = [f for f in finding.chain if not is_harness(f.file)][:CHAIN_SHOWN]
    if shown:
        chain = "\n".join(f"  {display_path(f.file)}:{f.line} in {f.function}" for f in shown)
        lines += ["", "Call chain (innermost first):", "", "```", chain, "```"]
    lines += ["", f"Suggestion: {finding.suggestion}"]
    if finding.patch:
        lines += ["", "```diff", finding.patch.rstrip("\n"), "```"]
    return "\n".join(lines)


def is_harness(path: str) -> bool:
    """otelaudit's own frames (counting processors, operation numbering) are not the reader's concern;
    the scenario's workload frames are kept: they show what the operation did."""
    harness = os.path.dirname(os.path.abspath(otelaudit.__file__)) + os.sep
    return path.startswith(harness) and os.sep + "instrumentations" + os.sep not in path


def precision_text(result: ScenarioResult) -> str:
    found = render_precision.lines(result)
    return "**Precision:**\n\n" + "\n".join(f"- {line}" for line in found) if found else ""


def how_measured(report: Report, result: ScenarioResult) -> str:
    settings = report.settings
    return ("**How this was measured:** otelaudit ran the scenario's workload (concurrency "
            f"{result.concurrency}, {result.ops_per_run:,} operations per run) in a fresh interpreter per arm and "
            f"round — baseline (no instrumentation), api (instrumentor, no SDK) and sdk (SDK with batching "
            f"processors whose exporters do no I/O) — over {settings.rounds} rounds in random order, and compared "
            "process CPU time per operation round by round (median of paired differences, distribution-free "
            "95% CI). Call counts come from a separate profile-hook run, sampled costs from pyinstrument runs, and "
            "measured savings from runs with the suggested change applied in-process against a control.")


def _us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if abs(value) >= 1000 else f"{value:.1f} µs"


def _ci(estimate: Estimate, digits: int = 1) -> str:
    return f"{estimate.estimate:.{digits}f} [{estimate.ci_low:.{digits}f}, {estimate.ci_high:.{digits}f}]"


def _signed(estimate: Estimate) -> str:
    return ("+" if estimate.estimate >= 0 else "") + _ci(estimate)

