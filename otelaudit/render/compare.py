"""The comparison section of a report (`otelaudit compare`): B against A with its
interval, the noise floor and rounds, instruction counts when counted, and the findings
that changed — as terminal lines, which the markdown and HTML reports also show."""

from __future__ import annotations

from html import escape
from typing import List, Sequence

from otelaudit.measure import noise
from otelaudit.model import Finding, VersionComparison
from otelaudit.plan import rounds
from otelaudit.render.precision import instructions


def terminal_lines(c: VersionComparison) -> List[str]:
    a, b, r = c.a, c.b, c.result
    lines = [f"otelaudit compare: {b.requirement} ({b.instrumentor.version}) against {a.requirement} "
             f"({a.instrumentor.version}), scenario {a.scenario.name}, instrumented arm (SDK)"]
    if r.failure:
        return lines + [f"  failed: {r.failure}"]
    if r.comparison is not None:
        d, level = r.comparison.cpu_us_per_op, r.baseline_cpu_us_per_op
        pct = 100.0 * d.estimate / level if level else 0.0
        lines.append(f"  CPU per op: {level:.3g} µs → {level + d.estimate:.3g} µs: {d.estimate:+.3g} µs ({pct:+.2f}%) "
                     f"[95% CI {d.ci_low:+.3g}, {d.ci_high:+.3g}] — "
                     + ("an improvement" if d.ci_high < 0 else _word(r.comparison.verdict)))
        lines.append(f"  p99 latency: {r.comparison.latency_p99_us.estimate:+.3g} µs")
    lines += [f"  {line}" for line in _precision(c)]
    lines += _findings(f"appeared in {b.requirement}", c.appeared)
    lines += _findings(f"disappeared since {a.requirement}", c.disappeared)
    if not c.appeared and not c.disappeared:
        lines.append(f"  findings: the same in both versions ({len(a.findings)})")
    lines += [f"  pins differ: {d}" for d in c.pin_differences]
    lines += [f"  warning: {w}" for w in c.warnings]
    return lines


def markdown(c: VersionComparison) -> str:
    lines = terminal_lines(c)
    return f"## Version comparison\n\n{lines[0]}\n\n```\n" + "\n".join(line[2:] for line in lines[1:]) + "\n```"


def html(c: VersionComparison) -> str:
    lines = terminal_lines(c)
    return (f'<h2 id="version-comparison">Version comparison</h2><p>{escape(lines[0])}</p>'
            "<pre>" + escape("\n".join(line[2:] for line in lines[1:])) + "</pre>")


def _precision(c: VersionComparison) -> List[str]:
    r, found = c.result, []
    if r.precision is not None:
        found.append(rounds.describe(r.precision))
    if r.noise_floor is not None:
        found.append(noise.describe(r.noise_floor))
    if r.instructions is not None:
        found.append(instructions(r.instructions))
    return found


def _findings(title: str, findings: Sequence[Finding]) -> List[str]:
    return [f"  {title}: [{f.rule}] {f.title}" for f in findings]


def _word(verdict: str) -> str:
    return {"overhead": "a regression", "no-detectable-overhead": "no regression (within 2%)",
            "inconclusive": "inconclusive at this precision"}[verdict]
