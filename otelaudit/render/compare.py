"""The comparison section of a report (`otelaudit compare`): B against A with its
interval, the noise floor and rounds, instruction counts when counted, and the findings
that changed — as terminal lines, which the markdown and HTML reports also show."""

from __future__ import annotations

from html import escape
from typing import List, Sequence

from otelaudit.compare.model import silent
from otelaudit.model import Finding, Version, VersionComparison
from otelaudit.render._units import duration, with_interval
from otelaudit.render.precision import describe_all


def terminal_lines(c: VersionComparison) -> List[str]:
    """This comparison's lines, then those of the further scenarios of the same releases."""
    lines = _lines(c)
    for other in c.further:
        lines += ["", *_lines(other)]
    return lines


def _lines(c: VersionComparison) -> List[str]:
    a, b, r = c.a, c.b, c.result
    arm = "instrumented arm (SDK)" if a.instrumentor else "the SDK under the scenario's own API calls"
    lines = [f"otelaudit compare: {b.requirement} ({_subject(b)}) against {a.requirement} "
             f"({_subject(a)}), scenario {a.scenario.name}, {arm}"]
    lines += [f"  environment of {v.requirement}: {_environment(v)}" for v in (a, b) if v.environment]
    if r.failure:
        return lines + [f"  failed: {r.failure}"]
    if r.comparison is not None:
        d, level = r.comparison.cpu_us_per_op, r.baseline_cpu_us_per_op
        pct = 100.0 * d.estimate / level if level else 0.0
        p99 = r.comparison.latency_p99_us
        lines.append(f"  CPU per op: {duration(level)} → {duration(level + d.estimate)}: "
                     f"{with_interval(d.estimate, d.ci_low, d.ci_high, signed=True)} ({pct:+.2f}%, 95% interval) — "
                     + ("invalid: a side produced no telemetry" if silent(a, b) else
                        "an improvement" if d.ci_high < 0 else _word(r.comparison.verdict)))
        lines.append(f"  p99 latency: {with_interval(p99.estimate, p99.ci_low, p99.ci_high, signed=True)}")
    lines += [f"  {line}" for line in _precision(c)]
    lines += _findings(f"appeared in {b.requirement}", c.appeared)
    lines += _findings(f"disappeared since {a.requirement}", c.disappeared)
    if not c.appeared and not c.disappeared:
        lines.append(f"  findings: the same in both versions ({len(a.findings)})")
    lines += [f"  pins differ: {d}" for d in c.pin_differences]
    lines += [f"  warning: {w}" for w in c.warnings]
    return lines


def _subject(v: Version) -> str:
    """What moves: the instrumentation's version; with SDK releases, the SDK's (and the instrumentation's)."""
    sdk = f"sdk {v.packages.get('opentelemetry-sdk', '?')}"
    if v.instrumentor is None:
        return sdk
    if v.requirement.startswith(("opentelemetry-sdk", "opentelemetry-api")):
        return f"{sdk}, {v.instrumentor.distribution} {v.instrumentor.version}"
    return v.instrumentor.version


def _environment(v: Version) -> str:
    took = f"{v.build_s:.1f} s" if v.build_s is not None else "?"
    return f"cached, verified in {took}" if v.reused else f"built in {took}"


def markdown(c: VersionComparison) -> str:
    lines = terminal_lines(c)
    return f"## Version comparison\n\n{lines[0]}\n\n```\n" + "\n".join(line[2:] for line in lines[1:]) + "\n```"


def html(c: VersionComparison) -> str:
    lines = terminal_lines(c)
    return (f'<h2 id="version-comparison">Version comparison</h2><p>{escape(lines[0])}</p>'
            "<pre>" + escape("\n".join(line[2:] for line in lines[1:])) + "</pre>")


def _precision(c: VersionComparison) -> List[str]:
    r = c.result
    return describe_all(r.precision, r.noise_floor, r.instructions,
                        r.comparison.cpu_us_per_op if r.comparison else None)


def _findings(title: str, findings: Sequence[Finding]) -> List[str]:
    return [f"  {title}: [{f.rule}] {f.title}" for f in findings]


def _word(verdict: str) -> str:
    return {"overhead": "a regression", "no-detectable-overhead": "no regression (within 2%)",
            "inconclusive": "inconclusive at this precision"}[verdict]
