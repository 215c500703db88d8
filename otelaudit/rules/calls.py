"""Rules turn evidence into findings. Each rule has a stable id (users silence one with
`--ignore OA101`) and matches evidence by what the code does — the category of a
costly call, a count per operation, a share of the overhead — never by package name.

    OA101 package metadata read per operation      OA106 regex compiled per operation
    OA102 tracer/meter/logger obtained per op      OA107 environment read per operation
    OA103 metric instrument created per op         OA108 host/platform facts per operation
    OA104 stack inspected or formatted per op      OA111 more telemetry than expected
    OA105 payload copied or serialised per op      OA109 same call repeated within one op
    OA110 code introspected per operation
    OA113 a new class built per operation          OA199 a call site's share of the overhead
    OA114 an import that fails, per operation      OA115 a global registry grown per operation
    OA116 work that grows with every operation     OA120 a log record or warning per operation
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import FrozenSet, Iterable, List, Optional, Sequence

from otelaudit.model import CallCount, Estimate, Finding, Hotspot, RepeatedCall, Telemetry
from otelaudit.attribute.ownership import display_path
from otelaudit.child.probe_registries import registry_of
from otelaudit.rules.patches import hoist_constant_call
from otelaudit.render import _units as units

# Below one call in ten operations, work is occasional, not per-operation.
MIN_CALLS_PER_OP = 0.1
# A sampled call site no other rule explains is reported from this share of the overhead.
MIN_HOTSPOT_SHARE = 0.10


@dataclass(frozen=True)
class CallRule:
    id: str
    categories: FrozenSet[str]
    does: str
    fix: str
    hoistable: bool = False
    shows: str = "{target}() × {n}/op"  # how a title names the target and its count
    when: str = " on every operation"


CALL_RULES = (
    CallRule("OA101", frozenset({"package-metadata"}), "reads installed-package metadata (files parsed from disk)",
             "Look the value up once — at import time or in instrument() — and reuse it.", hoistable=True),
    CallRule("OA102", frozenset({"tracer-creation", "meter-creation", "logger-creation"}),
             "obtains a tracer, meter or logger",
             "Obtain it once (module level or in instrument()) and reuse it: a provider hands out the same object "
             "for the same arguments, after a lock, a lookup and argument checks.", hoistable=True),
    CallRule("OA103", frozenset({"instrument-creation"}), "creates a metric instrument",
             "Create metric instruments once in instrument() and keep them on the instrumentor."),
    CallRule("OA104", frozenset({"stack-inspection", "traceback-formatting"}), "inspects or formats the call stack",
             "Keep stack walks off the hot path: use sys._getframe(n) for a single frame, or do it only when the "
             "span is recording and an error happened."),
    CallRule("OA105", frozenset({"deep-copy", "serialisation"}), "copies or (de)serialises a payload",
             "Do it only when the span is recording and the attribute is enabled, cap the size, or copy shallowly."),
    CallRule("OA106", frozenset({"regex-compile"}), "compiles a regular expression that is not in re's cache",
             "Compile the pattern once, at module level, and reuse the compiled object."),
    CallRule("OA107", frozenset({"environment-read"}), "reads environment variables",
             "Read configuration once, in instrument() or at import time, and keep the parsed value."),
    CallRule("OA108", frozenset({"host-lookup", "platform-lookup"}), "queries host or platform facts",
             "These do not change while the process runs: compute them once.", hoistable=True),
    CallRule("OA110", frozenset({"code-introspection"}),
             "introspects code that does not change while the process runs (a signature, members, type hints)",
             "Compute it once per function: in instrument(), or in a cache keyed by the function itself (for a bound "
             "method, its __func__): inspect.signature() and friends rebuild the answer from the code object on "
             "every call."),
    CallRule("OA120", frozenset({"log-emission"}), "emits a log record or a warning",
             "Say it once (a flag, or at instrument() time), or at a level that is off in production: each record "
             "is formatted and passed to every handler, and each warning walks the stack to its registry, for a "
             "message that does not change."),
    CallRule("OA113", frozenset({"class-creation"}), "builds a new class (a class statement or a class factory)",
             "Define the class once, at module level, or cache what the factory makes (keyed by what varies, e.g. "
             "the wrapped type): each new class costs tens of µs, leaves cyclic garbage for the collector and "
             "defeats the attribute caches keyed by type."),
    CallRule("OA114", frozenset({"failed-import"}), "imports a module that is not installed",
             "Try the import once, at module level or in instrument(), and keep the outcome (the module or None): "
             "a failed import is not cached, so every attempt searches every sys.path entry again.",
             shows="{target} × {n}/op"),
    CallRule("OA115", frozenset({"global-registration"}),
             "adds an entry to a process-global registry that stays there",
             "Register once, in instrument(), or remove the entry when the operation ends (atexit.unregister, "
             "Logger.removeHandler, finalize.detach()): entries kept per operation make the registry, its memory "
             "and every walk over it grow for as long as the process runs.",
             shows="{target}() into the {registry} × {n}/op"),
    CallRule("OA116", frozenset({"growing-work"}), "does more work on each operation than on the one before",
             "Something walked on every operation gains an entry on every operation (hooks, handlers, per-span "
             "registrations): remove each entry when its operation ends, or register once, so the cost stays flat "
             "however long the process runs.",
             shows="{target}() called {n} more time(s) per operation with every operation run", when=""),
)


def findings_from_counts(counts: Iterable[CallCount], ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    findings = []
    for count in counts:
        rule = next((r for r in CALL_RULES if count.category in r.categories), None)
        if rule is None or rule.id in ignore or count.calls_per_op < MIN_CALLS_PER_OP:
            continue
        findings.append(_call_finding(rule, count))
    return findings


def _call_finding(rule: CallRule, count: CallCount) -> Finding:
    site = count.call_site
    where = f"{display_path(site.file)}:{site.line}"
    callee = count.target.rsplit(".", 1)[-1]
    patch = hoist_constant_call(site.file, site.line, callee, display_path(site.file)) if rule.hoistable else None
    how = " The call's arguments are constant, so it can move to module level (see the patch in the JSON report)." if patch else ""
    return Finding(
        rule=rule.id,
        title=f"{site.function}() {rule.does}{rule.when}: {_shown(rule, count)} at {where}",
        call_site=site,
        target=count.target,
        distribution=count.distribution,
        version=count.version,
        calls_per_op=count.calls_per_op,
        suggestion=rule.fix + how,
        patch=patch,
        chain=count.chain,
    )


def _shown(rule: CallRule, count: CallCount) -> str:
    return rule.shows.format(target=count.target, registry=registry_of(count.target), n=f"{count.calls_per_op:.3g}")


def findings_from_repeats(repeats: Iterable[RepeatedCall], ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    """OA109: the same telemetry helper called again and again with identical arguments."""
    if "OA109" in ignore:
        return []
    findings = []
    for repeat in repeats:
        function = repeat.function
        site = repeat.callers[0] if repeat.callers else function
        lines = ", ".join(str(c.line) for c in repeat.callers if c.file == site.file)
        findings.append(Finding(
            rule="OA109",
            title=f"{function.function}() is called {repeat.identical_calls_per_op:g}× per operation with identical "
                  f"arguments, from {site.function}() at {display_path(site.file)} line(s) {lines}",
            call_site=site, target=function.function, distribution=function.distribution, version=None,
            calls_per_op=repeat.calls_per_op,
            suggestion=f"Call {function.function}() once per operation and keep the result in a local variable "
                       f"(defined at {display_path(function.file)}:{function.line}).",
            chain=(site, function),
        ))
    return findings


def with_hotspot_costs(findings: Sequence[Finding], hotspots: Sequence[Hotspot],
                       ceiling_us: Optional[float] = None) -> List[Finding]:
    """Adds the sampled µs/op and share under a finding's call site: the hotspots at that
    site, or whose heaviest stack passes through it (the costly call may sit deeper).
    Summed intervals can pass the measured overhead's upper bound (`ceiling_us`): they are
    held to it, as no part can cost more than the whole."""
    costed = []
    for finding in findings:
        site = finding.call_site
        under = [h for h in hotspots if site is not None and any(
            (frame.file, frame.line) == (site.file, site.line) for frame in (h.call_site, *h.chain))]
        if under:
            top = float("inf") if ceiling_us is None else max(ceiling_us, 0.0)
            total = Estimate(*(min(sum(getattr(h.us_per_op, part) for h in under), top)
                               for part in ("estimate", "ci_low", "ci_high")))
            finding = replace(finding, us_per_op=total,
                              share_of_overhead=min(sum(h.share_of_overhead for h in under), 1.0))
        costed.append(finding)
    return costed


def findings_from_hotspots(hotspots: Sequence[Hotspot], explained: Sequence[Finding],
                           ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    """OA199: a telemetry call site holding a large share of the overhead, whatever it does."""
    if "OA199" in ignore:
        return []
    known = {(f.call_site.file, f.call_site.line) for f in explained if f.call_site is not None}
    findings = []
    for hotspot in hotspots:
        site, leaf = hotspot.call_site, hotspot.leaf
        if (site.file, site.line) in known or hotspot.share_of_overhead < MIN_HOTSPOT_SHARE:
            continue
        findings.append(Finding(
            rule="OA199",
            title=f"{site.function}() at {display_path(site.file)}:{site.line} is {hotspot.share_of_overhead:.0%} of "
                  f"the overhead ({_cost(hotspot)}), most of it in {leaf.function}()",
            call_site=site, target=leaf.function, distribution=site.distribution, version=None, calls_per_op=None,
            suggestion=f"Look at what {site.function}() does on every operation: the time goes to {leaf.function}() "
                       f"({display_path(leaf.file)}:{leaf.line}). Move work that does not depend on the "
                       "operation out of the hot path, or do it only when the span is recording.",
            us_per_op=hotspot.us_per_op, share_of_overhead=hotspot.share_of_overhead, chain=hotspot.chain,
        ))
    return findings


def _cost(hotspot: Hotspot) -> str:
    us = hotspot.us_per_op
    if hotspot.scaled:
        return f"{units.with_interval(us.estimate, us.ci_low, us.ci_high)}/op: sampled share × measured CPU overhead"
    return f"{units.duration(us.estimate)}/op of profiler wall time, sampled; the timed rounds give the CPU"


def excess_telemetry(produced: Optional[Telemetry], expected: Optional[Telemetry],
                     ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    """OA111: more items per operation than the scenario says one operation should make
    (a scenario that states no count, all zeros, expects just "some telemetry")."""
    if produced is None or expected is None or expected.total == 0 or "OA111" in ignore:
        return []
    extra = [(name, getattr(produced, name), getattr(expected, name))
             for name in ("spans", "metric_measurements", "log_records")
             if getattr(produced, name) > getattr(expected, name) * 1.01 + 0.005]
    return [
        Finding(rule="OA111", title=f"{got:.3g} {name.replace('_', ' ')} per operation where {want:g} are expected",
                call_site=None, target=None, distribution=None, version=None, calls_per_op=got,
                suggestion="Check for duplicated or nested instrumentation (a library patched twice, internal "
                           "spans for every send/receive) — each item costs processing and export.")
        for name, got, want in extra
    ]


def rank(findings: Sequence[Finding]) -> List[Finding]:
    """Measured impact × confidence first; count-only evidence after, by calls per op."""
    def score(f: Finding) -> float:
        impact = f.verified_saving_us or f.us_per_op
        if impact is None:
            return (f.calls_per_op or 0.0) * 1e-3
        confidence = 1.0 if impact.ci_low > 0 else 0.5
        return impact.estimate * confidence

    scored = [replace(f, score=round(score(f), 6)) for f in findings]
    return sorted(scored, key=lambda f: -f.score)

