"""The cold-start section of the terminal and markdown reports: per instrumentation the
import cost over its library, instrument() time, first-call cost and the modules it
drags in; what `opentelemetry-instrument` adds, per instrumentor; findings and patches.
In the terminal the tables become a block per target when they do not fit the width,
and what was not measured is listed under them with the reason."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.model import AutoStartup, ColdStartReport, PhaseCalls, TargetColdStart
from otelaudit.model import Estimate
from otelaudit.render._inline import prose
from otelaudit.render._text import table_or_blocks, wrapped
from otelaudit.render._units import with_interval

HEADERS = ("INSTRUMENTOR", "STATUS", "IMPORT OVER LIBRARY (95% CI)", "IMPORT CPU", "instrument()", "MODULES ADDED",
           "FIRST CALL EXTRA", "SPAWN→1ST OP +INSTRUMENTED", "+AUTO")
LABELS = ("", "", "import", "CPU", "instrument()", "modules added", "first call", "spawn→1st op", "auto")
AUTO_HEADERS = ("  INSTRUMENTOR", "DEPENDENCY CHECK", "LOAD (IMPORT)", "instrument()", "OUTCOME", "MODULES IMPORTED")
AUTO_LABELS = ("", "dependency check", "load", "instrument()", "", "modules")
MODULES_SHOWN = 3
WIDE = 10_000  # markdown and HTML show the tables whole


def ms(value: Optional[Estimate], signed: bool = False) -> str:
    """A figure stored in ms, in the unit its size reads best in: `+57.1 [44.6, 68.8] ms`."""
    if value is None:
        return "—"
    return with_interval(value.estimate * 1000, value.ci_low * 1000, value.ci_high * 1000, signed=signed)


def us_as_ms(value: Optional[Estimate]) -> str:
    return with_interval(value.estimate, value.ci_low, value.ci_high, signed=True) if value else "—"


def measured(target: TargetColdStart) -> bool:
    return target.import_ms is not None


def row(target: TargetColdStart) -> List[str]:
    return [target.instrumentor, target.status, ms(target.import_ms, signed=True), ms(target.import_cpu_ms, signed=True),
            ms(target.instrument_ms),
            str(target.modules_added) if target.status in ("ok", "invalid") else "—",
            us_as_ms(target.first_call_extra_us), ms(target.to_first_op_added_ms.get("instrumented"), signed=True),
            ms(target.to_first_op_added_ms.get("auto"), signed=True)]


def scans(phases: Sequence[PhaseCalls]) -> str:
    names = {"import": "import", "instrument": "instrument()"}
    return "; ".join(f"{names[p.phase]}: {p.path_listings} sys.path listing(s), {p.metadata_files_opened} metadata "
                     f"file(s) opened, {len(p.calls)} telemetry call site(s) responsible" for p in phases)


def terminal_lines(section: ColdStartReport, width: int = WIDE, wide: bool = False) -> List[str]:
    lines = wrapped([f"Cold start — {section.rounds} interleaved rounds of fresh interpreters, library-only baseline "
                     "vs library + instrumentation (and the library under opentelemetry-instrument: AUTO); medians, "
                     "distribution-free 95% intervals. FIRST CALL: how much more the first operation exceeds the "
                     "steady state than in the baseline; SPAWN→1ST OP: process start to the first operation done, "
                     "over the baseline"], width)
    shown = [t for t in section.targets if measured(t)]
    if shown:
        lines += ["", *table_or_blocks([list(HEADERS)] + [row(t) for t in shown], LABELS, width, wide, heads=2)]
    rest = not_measured(section.targets)
    details = [line for target in shown for line in _target_details(target)]
    rest += ["", *details] if details else []
    if section.auto is not None:
        rest += ["", *auto_lines(section.auto, "opentelemetry-instrument start-up", width, wide)]
    if section.simulated_distributions:
        rest += ["", *simulated_lines(section, width, wide)]
    rest += [f"warning: {w}" for w in section.warnings]
    return lines + (rest if wide else wrapped(rest, width))


def not_measured(targets: Sequence[TargetColdStart]) -> List[str]:
    missing = [t for t in targets if not measured(t)]
    if not missing:
        return []
    return ["", "Not measured:", *(f"  {t.instrumentor}: {t.status.replace('-', ' ')} — "
                                   f"{t.failure.message if t.failure else 'no measurement'}" for t in missing)]


def _target_details(target: TargetColdStart) -> List[str]:
    name = target.instrumentor
    lines: List[str] = []
    if target.failure is not None:
        lines.append(f"{name}: {target.status} ({target.failure.kind}): {target.failure.message}")
    for module in target.top_modules[:MODULES_SHOWN]:
        lines.append(f"{name}: imports {module.module} ({module.distribution or '?'}) {module.self_ms:.1f} ms self, "
                     f"{module.cumulative_ms:.1f} ms with its imports, via {' → '.join(module.chain)}")
    if target.by_distribution:
        lines.append(f"{name}: import time by distribution: " + ", ".join(
            f"{dist} {value:.1f} ms" for dist, value in list(target.by_distribution.items())[:5]))
    if target.phase_calls:
        lines.append(f"{name}: environment scans — {scans(target.phase_calls)}")
    for finding in target.findings[:3]:
        lines.append(f"  {name}: [{finding.rule}] {finding.title}")
        lines.append(f"      fix: {finding.suggestion}")
    lines += [f"{name}: warning: {w}" for w in target.warnings]
    return lines


def auto_lines(auto: AutoStartup, label: str, width: int = WIDE, wide: bool = False) -> List[str]:
    if auto.failure is not None and not auto.rounds:
        return [f"{label}: not measured ({auto.failure.message})"]
    lines = [f"{label} ({auto.rounds} rounds): python -c pass {ms(auto.plain_ms)}; initialize() via sitecustomize "
             f"adds {ms(auto.initialize_added_ms, signed=True)}; the opentelemetry-instrument launcher adds "
             f"{ms(auto.total_added_ms, signed=True)} in all",
             f"  in-process: import + initialize() {ms(auto.initialize_in_process_ms)}, distro and configurators "
             f"{ms(auto.distro_ms)} ({auto.distro or 'none'})"]
    rows = [list(AUTO_HEADERS)]
    rows += [[f"  {c.name}", ms(c.dependency_check_ms), ms(c.load_ms), ms(c.instrument_ms), c.outcome,
              f"{c.modules_imported} ({_packages(c.packages_imported)})" if c.modules_imported else "0"]
             for c in auto.instrumentors]
    if auto.failure is not None:
        lines.append(f"  warning: {auto.failure.message}")
    return lines + (table_or_blocks(rows, AUTO_LABELS, width, wide, indent="  ") if auto.instrumentors else [])


def _packages(names: Sequence[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (f", +{len(names) - shown} more" if len(names) > shown else "")


def simulated_lines(section: ColdStartReport, width: int = WIDE, wide: bool = False) -> List[str]:
    lines = [f"SIMULATED large environment: +{section.simulated_distributions} synthetic distributions on the path"]
    for target in section.targets:
        if target.instrument_ms_simulated is not None:
            lines.append(f"  {target.instrumentor}: import {ms(target.instrumentation_import_ms)} real → "
                         f"{ms(target.instrumentation_import_ms_simulated)} simulated; instrument() "
                         f"{ms(target.instrument_ms)} → {ms(target.instrument_ms_simulated)}")
    if section.auto_simulated is not None:
        label = "opentelemetry-instrument start-up (simulated)"
        lines += ["  " + line for line in auto_lines(section.auto_simulated, label, width - 2, wide)]
    return lines


def markdown(section: ColdStartReport) -> str:
    parts = [f"## Cold start\n\n{section.rounds} interleaved rounds of fresh interpreters (`-X importtime`), "
             "library-only baseline vs library + instrumentation; medians with distribution-free 95% intervals."]
    rows = ["| " + " | ".join(HEADERS) + " |", "|" + " --- |" * len(HEADERS)]
    rows += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(row(t))) + " |" for t in section.targets]
    parts.append("\n".join(rows))
    for target in section.targets:
        parts.append(_target_markdown(target))
    if section.auto is not None:
        parts.append("### opentelemetry-instrument\n\n```\n" + "\n".join(auto_lines(section.auto, "start-up")) + "\n```")
    if section.simulated_distributions:
        parts.append("### Simulated large environment\n\n```\n" + "\n".join(simulated_lines(section)) + "\n```")
    return "\n\n".join(p for p in parts if p)


def _target_markdown(target: TargetColdStart) -> str:
    if target.status not in ("ok", "invalid"):
        return ""
    lines = [f"### `{target.instrumentor}` ({target.distribution} {target.version})", ""]
    lines += [f"- `{m.module}` ({m.distribution or '?'}): {m.self_ms:.1f} ms self, {m.cumulative_ms:.1f} ms cumulative, "
              f"via {' → '.join(f'`{c}`' for c in m.chain)}" for m in target.top_modules[:5]]
    if target.phase_calls:
        lines += ["", f"Environment scans: {scans(target.phase_calls)}."]
    for finding in target.findings:
        lines += ["", f"**`{finding.rule}` {prose(finding.title)}**", "", prose(finding.suggestion)]
        if finding.patch:
            lines += ["", "```diff", finding.patch.rstrip("\n"), "```"]
    return "\n".join(lines)
