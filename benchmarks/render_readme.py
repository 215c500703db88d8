"""Writes the figures section of benchmarks/README.md (between the `figures` markers)
from the results files in benchmarks/results/, so no number in it is typed by hand.

    python benchmarks/render_readme.py
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
README = os.path.join(HERE, "README.md")
START, END = "<!-- figures:start (benchmarks/render_readme.py) -->", "<!-- figures:end -->"


def load(name: str) -> Optional[Dict[str, Any]]:
    path = os.path.join(RESULTS, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def when(data: Dict[str, Any]) -> str:
    c = data.get("conditions", {})
    load_before, load_after = c.get("load_average_1_5_15", ["?"]), c.get("load_average_after", ["?"])
    noise = c.get("host_noise")
    steadiness = (f"; the host's own noise: a fixed loop's CPU varied by {noise['iqr_pct']}% (IQR) across "
                  f"{noise['processes']} fresh interpreters" if noise else "")
    return (f"measured {c.get('started', '?')}, {data.get('wall_s', '?')} s, {c.get('cpus')} CPUs, Python "
            f"{c.get('python')}, 1-min load average {load_before[0]} at the start and {load_after[0]} at the end"
            f"{steadiness}")


def aa_section(aa: Dict[str, Any]) -> List[str]:
    s = aa["settings"]
    jobs = s.get("jobs", 1)
    beside = (f" {jobs} repeats ran at once, each pinned to its own core, as `otelaudit scan`'s default two jobs "
              "run two targets: the precision a scan keeps with a neighbour on the other core." if jobs > 1 else "")
    how = (f"precision mode (`--precision {s['precision']} --budget {s['budget']}`): rounds until the overhead is "
           f"known to ±{s['precision']} or the budget is spent, {s['seconds_per_run']} s timed phases, the A/A control "
           "arm and its noise floor — the settings the planted-2% target is met with" if s.get("precision") else
           f"default settings: {s['rounds']} interleaved rounds, {s['seconds_per_run']} s timed phase, the A/A control "
           "arm and its noise floor")
    mode = ", precision mode" if s.get("precision") else ""
    return [f"### A/A false positives{mode}{f', {jobs} at once' if jobs > 1 else ''} (`{_command('aa', s)}`)", "",
            f"Both sides identical (the `fixture-ok` scenario's instrumented arm), {how}." + beside,
            "",
            f"- false `overhead` verdicts: **{pct(aa['overhead_verdicts'], aa['repeats'])}**",
            f"- median |estimate| {abs(aa['median_estimate_pct']):.2f}% of the baseline; median CI half-width "
            f"{aa['median_half_width_pct']:.2f}%; median noise floor {aa['median_noise_floor_pct']:.2f}%",
            f"- {when(aa)}", ""]


def aa_det_section(aa: Dict[str, Any]) -> List[str]:
    s = aa["settings"]
    return [f"### A/A false positives, deterministic mode (`{_command('aa', s)}`)", "",
            f"Both sides identical, instruction counts of {s['count_ops']} operations minus a zero-operation run, "
            "3 counted repeats per side.", "",
            f"- false `overhead` verdicts: **{pct(aa['overhead_verdicts'], aa['repeats'])}**",
            f"- median |difference| {abs(aa['median_instruction_overhead_pct']):.4f}% of side A's count; largest "
            f"spread between repeats of one side {aa['max_count_spread_pct']:.4f}%",
            f"- {when(aa)}", ""]


def planted_section(data: Dict[str, Any], deterministic: bool) -> List[str]:
    s, plant = data["settings"], data["plant"]
    mode = "deterministic mode (instruction counts)" if deterministic else "time mode"
    lines = [f"### Planted {100 * s['fraction']:g}% overhead, {mode} (`{_command('planted', s)}`)", "",
             f"Side A runs `FIXTURE_EXTRA_LOOPS={plant['base_loops']}`, side B {plant['extra_loops']} more iterations: "
             f"{100 * plant['planted_fraction']:.2f}% of the operation's cost ({plant['op_cost']:,.4g} {plant['unit']} "
             f"per op, {plant['cost_per_unit']:.4g} per loop iteration, measured against 4000 more iterations).", ""]
    lines.append(f"- detected (`overhead` verdict): **{pct(data['overhead_verdicts'], data['repeats'])}**; "
                 f"other verdicts: {', '.join(sorted(set(v for v in data['verdicts'] if v != 'overhead'))) or 'none'}")
    if deterministic:
        lines.append(f"- median measured instruction overhead {data['median_instruction_overhead_pct']:.3f}%; "
                     f"largest spread between repeats of one side {data['max_count_spread_pct']:.3f}%")
    else:
        lines.append(f"- median estimate {data['median_estimate_pct']:.2f}%; median rounds {data['median_rounds']:g} "
                     f"(stopped by: {', '.join(data['stops'])}); median CI half-width "
                     f"{data['median_half_width_pct']:.2f}%; median noise floor {data['median_noise_floor_pct']:.2f}%")
    return lines + [f"- {when(data)}", ""]


def scan_section(data: Dict[str, Any]) -> List[str]:
    per = data.get("default_scan_seconds_per_scenario", {})
    if not per:
        return []
    rows = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(per.items()))
    load = data.get("load_average_before", ["?"])
    return ["### Wall time of a default scan (`python benchmarks/scan_benchmarks.py --rounds "
            f"{data['rounds']} --aa-scenarios --output default_scan.json`)", "",
            f"`otelaudit scan`, {data['rounds']} rounds × (3 arms + the A/A control arm), 0.5 s timed phase, then "
            f"the call-count probe, sampled profiles and what-if verification: **{data.get('default_scan_total_seconds')} s** "
            f"for {len(per)} bundled scenarios — {rows}.", "",
            f"- measured {data.get('started', '?')}, 1-min load average {round(_first(load), 2)} at the start", ""]


SCAN_TIMES = (("scan_time_quick", "`otelaudit scan --quick`, the 7 default scenarios", 60.0),
              ("scan_time_default", "`otelaudit scan` (default settings), the 7 default scenarios", 180.0),
              ("scan_time_heavy_quick", "`otelaudit scan planted-heavy --quick`", 90.0),
              ("scan_time_heavy_default", "`otelaudit scan planted-heavy`", 180.0))


def scan_time_section() -> List[str]:
    """Before/after wall times of whole scans (benchmarks/scan_benchmarks.py), each with
    the load it ran under, the children it started and their CPU."""
    rows = []
    for name, what, target in SCAN_TIMES:
        data = load(name) or {}
        cells = [_scan_cell(data[label]) if label in data else "not measured" for label in ("before", "after")]
        rows.append(f"| {what} | {cells[0]} | {cells[1]} | ≤ {target:g} s |")
    if all("not measured" in row.split("|")[3] for row in rows):
        return []
    extra = [f"- {what}, {label.replace('_', ' ')} (`--jobs {run.get('jobs')}`): {_scan_cell(run)}"
             for name, what, _ in SCAN_TIMES for label, run in sorted((load(name) or {}).items())
             if label not in ("before", "after")]
    heavy = [_root_cause(load("scan_time_heavy_quick") or {}, label) for label in ("before", "after")]
    return ["### Wall time of whole scans (`python benchmarks/scan_benchmarks.py --mode quick|default [--heavy] "
            "--label before|after`)", "",
            "Each cell: wall time; in brackets the CPU of the scan's processes (parent, every measuring child, "
            "the loopback servers), the children started, and the median 1-minute load average during the scan "
            "(2 cores; other sessions ran beside it).", "",
            "| scan | before | after | target |", "| --- | --- | --- | --- |", *rows, "", *extra,
            f"- heavy fixture, `--quick`: the root cause first reported (printed) {heavy[0]} before; {heavy[1]} after "
            "(target: within 60 s, ranked first)", *_startup_lines(load("child_startup") or {}), ""]


def _startup_lines(data: Dict[str, Any]) -> List[str]:
    """A child of 0 operations (`--startup`): what every measuring child pays first."""
    lines = []
    for label in ("before", "after"):
        run = data.get(label)
        if run:
            cells = "; ".join(f"{name} " + ", ".join(_arm_cost(arm, v) for arm, v in arms.items())
                              for name, arms in run["median"].items())
            lines.append(f"- a measuring child's start-up, median of {run['repeats']} ({label}, "
                         f"{run['conditions'].get('commit')}): {cells}")
    return lines


def _arm_cost(arm: str, cost: Dict[str, float]) -> str:
    return f"{arm} {cost['cpu_s'] * 1e3:.0f} ms CPU ({cost['wall_s'] * 1e3:.0f} ms wall)"


def _scan_cell(run: Dict[str, Any]) -> str:
    children = sum(s.get("children", 0) for s in run.get("scenarios", {}).values())
    c = run.get("conditions", {})
    started = f"{children} children" if children else "children not logged with parallel jobs"
    return (f"**{run['total_s']:.0f} s** ({run.get('cpu_s', '?')} s CPU, {started}, load "
            f"{c.get('load_1min_median_during', '?')}; {c.get('started', '?')}, {c.get('commit') or 'working tree'})")


def _root_cause(data: Dict[str, Any], label: str) -> str:
    run = data.get(label)
    if not run:
        return "(not measured)"
    (result,) = run["scenarios"].values()
    first, final = result.get("first_finding") or {}, result.get("final_top") or {}
    return (f"at {first.get('at_s', '?')} s as {first.get('rule')} {first.get('site')}, ranked first at the end: "
            f"{final.get('rule')} {final.get('site')}")


def startup_section(data: Dict[str, Any]) -> List[str]:
    """From `python benchmarks/startup.py` (results/startup.json)."""
    rows = []
    for command, figures in data.get("results", {}).items():
        over = figures.get("wall_ms_over_python", {})
        extra = f", +{over['estimate']:.1f} ms over `python -c pass`" if over.get("estimate") else ""
        rows.append(f"- `{command}`: median wall {figures['wall_ms']['estimate']:.1f} ms{extra}")
    return [f"### otelaudit's own start-up (`python benchmarks/startup.py --rounds {data.get('rounds')}`)", "",
            *rows, ""]


def detection_table(names: List[str]) -> List[str]:
    """One row per planted fraction: how often each mode detected it."""
    cells: Dict[float, Dict[bool, str]] = {}
    for name in names:
        data = load(name)
        assert data is not None
        s = data["settings"]
        cells.setdefault(s["fraction"], {})[bool(s["deterministic"])] = pct(data["overhead_verdicts"], data["repeats"])
    if not cells:
        return []
    rows = [f"| {100 * fraction:g}% | {by_mode.get(False, 'not run')} | {by_mode.get(True, 'not run')} |"
            for fraction, by_mode in sorted(cells.items())]
    return ["### Detection of planted overheads (details below)", "",
            "| planted | time mode | deterministic mode (instruction counts) |", "| --- | --- | --- |", *rows, ""]


def checks(aa: Optional[Dict[str, Any]], time_mode: Optional[Dict[str, Any]],
           det: Optional[Dict[str, Any]], aa_jobs: Optional[Dict[str, Any]] = None,
           aa_precision: Optional[Dict[str, Any]] = None) -> List[str]:
    def line(label: str, data: Optional[Dict[str, Any]], ok: Any) -> str:
        if data is None:
            return f"- {label}: not measured yet"
        return f"- {label}: {'met' if ok(data) else '**not met**'}"

    return ["### Targets (computed from the figures above)", "",
            line("A/A false positives ≤ 5% at the default settings", aa,
                 lambda d: d["overhead_verdicts"] <= 0.05 * d["repeats"]),
            line("A/A false positives ≤ 5% with two comparisons at once (the scan's default two jobs)", aa_jobs,
                 lambda d: d["overhead_verdicts"] <= 0.05 * d["repeats"]),
            line("A/A false positives ≤ 5% in precision mode (the planted-2% settings)", aa_precision,
                 lambda d: d["overhead_verdicts"] <= 0.05 * d["repeats"]),
            line("planted 2% detected ≥ 90% of the time in time mode", time_mode,
                 lambda d: d["overhead_verdicts"] >= 0.9 * d["repeats"]),
            line("planted 1% detected every time in deterministic mode", det,
                 lambda d: d["overhead_verdicts"] == d["repeats"]), ""]


def _command(step: str, s: Dict[str, Any]) -> str:
    parts = [f"python benchmarks/precision_benchmarks.py {step} --repeats {s['repeats']}"]
    if step == "planted":
        parts.append(f"--fraction {s['fraction']:g}")
    parts.append("--deterministic" if s.get("deterministic") else "")
    parts.append(f"--jobs {s['jobs']}" if s.get("jobs", 1) > 1 else "")
    parts.append(f"--output {s['output']}" if s.get("output") else "")
    parts += [f"--precision {s['precision']}" if s.get("precision") else "",
              f"--budget {s['budget']}" if s.get("budget") else ""]
    return " ".join(p for p in parts if p)


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else values


def planted_results() -> List[str]:
    """planted_time*, then planted_det*, each by planted fraction."""
    names = [f[:-5] for f in os.listdir(RESULTS) if f.startswith("planted_") and f.endswith(".json")]

    def key(name: str) -> Any:
        data = load(name) or {}
        return (name.startswith("planted_det"), data.get("settings", {}).get("fraction", 0))

    return sorted(names, key=key)


def history() -> List[str]:
    """Earlier runs kept in results/history/ (superseded code or settings), so a changed
    rule never hides the figures it replaced."""
    folder = os.path.join(RESULTS, "history")
    if not os.path.isdir(folder):
        return []
    lines = ["### Earlier runs (`results/history/`)", ""]
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            data = json.load(handle)
        s = data.get("settings", {})
        kind = "A/A" if s.get("step") == "aa" else f"planted {100 * s.get('fraction', 0):g}%"
        what = f"{kind}, {'deterministic' if s.get('deterministic') else 'time'} mode"
        verb = "false positives" if s.get("step") == "aa" else "detected"
        lines.append(f"- `{name}` ({what}, {data.get('conditions', {}).get('started', '?')}): {verb} "
                     f"{pct(data['overhead_verdicts'], data['repeats'])} — {data.get('note', '')}")
    return lines + [""]


def figures() -> str:
    aa, time_mode, det = load("aa"), load("planted_time"), load("planted_det")
    scan = load("default_scan")
    startup = load("startup")
    lines: List[str] = []
    lines += aa_section(aa) if aa else []
    aa_jobs = load("aa_jobs2")
    lines += aa_section(aa_jobs) if aa_jobs else []
    aa_precision = load("aa_precision")
    lines += aa_section(aa_precision) if aa_precision else []
    aa_det = load("aa_det")
    lines += aa_det_section(aa_det) if aa_det else []
    lines += detection_table(planted_results())
    for name in planted_results():
        data = load(name)
        assert data is not None
        lines += planted_section(data, bool(data["settings"]["deterministic"]))
    lines += scan_time_section()
    lines += scan_section(scan) if scan else []
    lines += startup_section(startup) if startup else []
    lines += history()
    lines += checks(aa, time_mode, det, aa_jobs, aa_precision)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    if START not in text or END not in text:
        print(f"README lacks the markers {START} … {END}", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n\n{figures()}\n{END}{tail}"
    with open(README + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(new)
    os.replace(README + ".tmp", README)
    print(f"wrote the figures section of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
