"""The markdown report: one section per instrumentation, written to be pasted as an
upstream issue — a title with the problem and the number, the environment and pins,
a reproduction command, the arms with confidence intervals, the findings with call
chains and patches, and how it was measured; then the cold-start and comparison sections."""

from __future__ import annotations

import functools
import os
from typing import Dict, FrozenSet, List

import otelaudit

from otelaudit.discover.environment import CORE_DISTRIBUTIONS
from otelaudit.model import ArmSummary, Finding, Report, ScanSettings, ScenarioResult
from otelaudit.attribute.ownership import display_path
from otelaudit.render import coldstart as render_coldstart
from otelaudit.render import compare as render_compare
from otelaudit.render import export as render_export
from otelaudit.render import precision as render_precision
from otelaudit.render import scaling as render_scaling
from otelaudit.render._inline import code, prose
from otelaudit.render._text import incomplete, ratio_ci, shown_findings, telemetry, with_ci
from otelaudit.render._units import duration, half_width

CHAIN_SHOWN = 8


def render(report: Report) -> str:
    sections = [section(report, result) for result in report.results if result.status == "ok" and result.overhead]
    skipped = [r for r in report.results if r.status != "ok" or not r.overhead]  # partial: triage only
    if skipped:
        sections.append("## Not measured\n\n" + "\n".join(
            f"- {code(r.instrumentor)}: {'partial' if r.partial else r.status.replace('-', ' ')} — "
            f"{prose(r.failure.message if r.failure else 'the timed rounds did not finish')}" for r in skipped))
    if report.cold_start is not None:
        sections.append(render_coldstart.markdown(report.cold_start))
    if report.comparison is not None:
        sections.append(render_compare.markdown(report.comparison))
    banner = [f"> **{prose(incomplete(report))}**"] if not report.complete else []
    return "\n\n---\n\n".join(banner + sections) + "\n"


def section(report: Report, result: ScenarioResult) -> str:
    name = result.distribution or result.instrumentor
    heading = title(result)
    heading = code(name) + prose(heading[len(name):]) if heading.startswith(name) else prose(heading)
    parts = [f"## {heading}", environment(report, result), reproduction(report, result),
             arms_table(result), prose(render_export.sentence(result) or ""), precision_text(result), scaling_text(result),
             findings_text(result), how_measured(report, result)]
    return "\n\n".join(p for p in parts if p)


def title(result: ScenarioResult) -> str:
    """The headline in words, no markup: what the instrumentation costs, as measured."""
    overhead = result.overhead
    assert overhead is not None
    cpu = overhead.cpu_us_per_op
    lead = " ".join(part for part in (result.distribution or result.instrumentor, result.version) if part)
    saving = result.findings[0].verified_saving_us if result.findings else None
    if saving is not None and saving.ci_low > 0:
        return (f"{lead}: {result.findings[0].target}() on every operation costs {duration(saving.estimate)} "
                f"of {duration(cpu.estimate)} instrumentation overhead per {result.library} operation")
    if overhead.verdict == "no-detectable-overhead":
        return f"{lead}: no detectable overhead per {result.library} operation ({with_ci(cpu)})"
    if overhead.verdict == "inconclusive":
        return f"{lead}: inconclusive at this precision, {with_ci(cpu)} CPU per {result.library} operation"
    return (f"{lead} adds {with_ci(cpu, signed=False)} CPU per {result.library} operation "
            f"(×{overhead.cpu_ratio.estimate:.2f})")


def relevant_packages(report: Report, result: ScenarioResult) -> Dict[str, str]:
    """The pins that matter for this section: the core, this instrumentation, its library."""
    wanted = set(CORE_DISTRIBUTIONS) | {result.distribution or "", (result.library or "").replace("_", "-")}
    return {name: version for name, version in sorted(report.environment.packages.items()) if name in wanted}


def environment(report: Report, result: ScenarioResult) -> str:
    env = report.environment
    packages = "\n".join(f"| {code(name)} | {version} |" for name, version in relevant_packages(report, result).items())
    return (f"**Environment:** Python {env.python} ({env.implementation}), {code(env.platform)}, {env.cpu_count} CPU(s); "
            f"library {code(result.library or '?')} {result.library_version}.\n\n| package | version |\n| --- | --- |\n{packages}")


def reproduction(report: Report, result: ScenarioResult) -> str:
    pins = " ".join(f"'{name}=={version}'" for name, version in relevant_packages(report, result).items()
                    if name != "otelaudit")  # installed from source above
    return ("**Reproduce:**\n\n```sh\n"
            f"# otelaudit {report.otelaudit_version} is not published on PyPI: install it from its source,\n"
            "# in a checkout of the otelaudit repository\n"
            "pip install .\n"
            f"pip install {pins}\n"
            f"{_command(report, result)}\n```")


def _command(report: Report, result: ScenarioResult) -> str:
    """An app audit is rerun as it was run (its command names the app and its requests)."""
    if report.command.startswith("otelaudit app "):
        return report.command
    return f"otelaudit scan {result.instrumentor} {' '.join(settings_flags(report.settings))}"


def settings_flags(settings: ScanSettings) -> List[str]:
    """Every setting that changes the numbers, as the flags that set it again."""
    flags = ["--quick"] if settings.quick else []
    flags += [f"--rounds {settings.rounds}", f"--seconds-per-run {settings.seconds_per_run:g}"]
    if settings.precision_target:
        flags.append(f"--precision {settings.precision_target}")
    if settings.budget_s:
        flags.append(f"--budget {settings.budget_s:g}s")
    if settings.deterministic:
        flags.append("--deterministic")
    if not settings.control_arm:
        flags.append("--no-control")
    if settings.arms:
        flags.append(f"--arms {settings.arms}")
    if settings.export_protocol and settings.export_protocol != "http/protobuf":
        flags.append(f"--export-protocol {settings.export_protocol}")
    return flags + [f"--seed {settings.seed}"]


def arms_table(result: ScenarioResult) -> str:
    rows = ["| arm | CPU/op | latency p50 | latency p99 | throughput ops/s | peak RSS KiB | "
            "bytes/op (peak) | telemetry/op |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows += [_arm_row(result.arms[arm]) for arm in ("baseline", "api", "sdk", "export") if arm in result.arms]
    overhead = result.overhead
    assert overhead is not None
    summary = (f"sdk − baseline: **{with_ci(overhead.cpu_us_per_op)} CPU/op** ({ratio_ci(overhead.cpu_ratio)}), "
               f"p99 latency {with_ci(overhead.latency_p99_us)}, verdict: {overhead.verdict.replace('-', ' ')} "
               f"({overhead.rounds} paired rounds, 95% distribution-free intervals in brackets).")
    return "\n".join(rows) + "\n\n" + summary


def _arm_row(arm: ArmSummary) -> str:
    return (f"| {arm.arm} | {with_ci(arm.cpu_us_per_op, False)} | {with_ci(arm.latency_p50_us, False)} | "
            f"{with_ci(arm.latency_p99_us, False)} | {arm.throughput_ops_s.estimate:,.0f} | {arm.peak_rss_kib:,.0f} | "
            f"{arm.mem_peak_bytes_per_op:,.0f} | {telemetry(arm.telemetry_per_op)} |")


def findings_text(result: ScenarioResult, most: int = 5) -> str:
    if not result.findings:
        overhead = result.overhead
        assert overhead is not None
        width = overhead.cpu_us_per_op.ci_high - overhead.cpu_us_per_op.ci_low
        return ("**Findings:** none. No costly call was counted on the hot path and no telemetry call site "
                f"held a large share of the sampled overhead; the overhead itself is known to {half_width(width / 2)}.")
    shown = shown_findings(result.findings, most)
    return "### Findings\n\n" + "\n\n".join(finding_text(i, f) for i, f in enumerate(shown, 1))


def finding_text(index: int, finding: Finding) -> str:
    lines = [f"**{index}. {code(finding.rule)} {prose(finding.title)}**", ""]
    evidence = []
    if finding.calls_per_op is not None:
        evidence.append(f"{finding.calls_per_op:.3g} calls/op (deterministic count)")
    if finding.us_per_op is not None:
        share = f", {finding.share_of_overhead:.0%} of the overhead" if finding.share_of_overhead else ""
        evidence.append(f"{with_ci(finding.us_per_op, False)} per op sampled{share}")
    if finding.verified_saving_us is not None:
        what = "the setting" if finding.setting else "the fix"
        evidence.append(f"measured saving with {what} applied: {with_ci(finding.verified_saving_us, False)} per op")
    elif finding.no_whatif is not None:
        evidence.append(f"measured saving: {prose(finding.no_whatif)}")
    lines.append("Evidence: " + "; ".join(evidence) + ".")
    shown = [f for f in finding.chain if not is_harness(f.file)][:CHAIN_SHOWN]
    if shown:
        chain = "\n".join(f"  {display_path(f.file)}:{f.line} in {f.function}" for f in shown)
        lines += ["", "Call chain (innermost first):", "", "```", chain, "```"]
    lines += ["", f"Suggestion: {prose(finding.suggestion)}"]
    if finding.setting:
        lines += ["", f"Setting: {code(finding.setting)}"]
    if finding.patch:
        lines += ["", "```diff", finding.patch.rstrip("\n"), "```"]
    return "\n".join(lines)


def is_harness(path: str) -> bool:
    """otelaudit's own frames (counting processors, operation numbering) are not the reader's concern;
    the scenario's workload frames are kept: they show what the operation did. Known by the
    package's own layout, not by where this copy is installed, so a report rendered again by
    another installation than the one that scanned reads the same."""
    marker = os.sep + "otelaudit" + os.sep
    if marker not in path:
        return False
    top = path.rsplit(marker, 1)[1].split(os.sep, 1)[0]
    return top != "instrumentations" and top in _package_parts()


@functools.lru_cache(maxsize=1)
def _package_parts() -> FrozenSet[str]:
    return frozenset(os.listdir(os.path.dirname(os.path.abspath(otelaudit.__file__))))


def precision_text(result: ScenarioResult) -> str:
    found = render_precision.lines(result)
    return "**Precision:**\n\n" + "\n".join(f"- {prose(line)}" for line in found) if found else ""


def scaling_text(result: ScenarioResult) -> str:
    found = render_scaling.lines(result)
    return "**How the cost scales:**\n\n" + "\n".join(f"- {prose(line)}" for line in found) if found else ""


def how_measured(report: Report, result: ScenarioResult) -> str:
    settings = report.settings
    return ("**How this was measured:** otelaudit ran the scenario's workload (concurrency "
            f"{result.concurrency}, {result.ops_per_run:,} operations per run) in a fresh interpreter per arm and "
            f"round — baseline (no instrumentation), api (instrumentor, no SDK) and sdk (SDK with batching "
            f"processors whose exporters do no I/O) — over {rounds_of(result, settings)} rounds in random order, and compared "
            "process CPU time per operation round by round (median of paired differences, distribution-free "
            "95% CI). Call counts come from a separate profile-hook run, sampled costs from pyinstrument runs, and "
            "measured savings from runs with the suggested change applied in-process against a control.")


def rounds_of(result: ScenarioResult, settings: ScanSettings) -> int:
    """The rounds played, which adaptive stopping makes differ from the setting."""
    if result.precision is not None:
        return result.precision.rounds
    return result.overhead.rounds if result.overhead is not None else settings.rounds
