"""Which what-if measures a finding's fix, or why none does. A what-if memoises one callee
for calls from one site: a catalogued call ("compute it once" rules, a class statement,
a failed import kept as its outcome) or a telemetry function found by its code (the
helper an OA109 or OA199 finding points at). Chosen from the evidence, never by name."""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

from otelaudit.attribute.ownership import display_path
from otelaudit.child.probe import catalogue_entry
from otelaudit.child.probe_kinds import OPERATION_CATALOGUE
from otelaudit.model import Finding, Frame, WhatIf, WhatIfCounts

# Rules whose fix is "do it once at this site": memoising the counted call there is that fix.
MEMOISED_RULES = frozenset({"OA101", "OA102", "OA103", "OA106", "OA107", "OA108", "OA110", "OA113", "OA114"})
NONE_APPLIES = "no what-if applies: "
# Rules whose fix is not a call to skip, and why a what-if cannot measure it.
NO_WHATIF: Dict[str, str] = {
    "OA104": "the stack differs on every call, so there is no result to keep; the fix is not to walk it",
    "OA105": "each operation's payload is new, so there is no result to keep; the fix is to copy or "
             "serialise less",
    "OA111": "the finding counts telemetry items, not a call one could skip",
    "OA120": "a log record or warning is an effect, not a result to keep; the fix is to say it once or at a "
             "level that is off",
    "OA112": "the fix frees memory (drop the retained reference, or bound the container); the retained "
             "bytes per operation above are its measure",
    "OA115": "the fix removes each entry when its operation ends, a change of lifetime rather than a call "
             "to skip; OA116 measures what the growth costs",
    "OA116": "the cost grows with the process's history; its slope is the measure",
    "OA117": "the cost scales with each operation's own payload, so there is no result to keep; the fix is to "
             "scan less of it, and its growth per KB is the measure",
    "OA118": "the stack differs on every call, so there is no result to keep; its growth per frame is the measure",
    "OA119": "the cost grows with the process's history; its slope is the measure",
}


def whatif_for(finding: Finding) -> Optional[WhatIf]:
    """The what-if for a finding, if one applies (see `plan`)."""
    planned = plan(finding)
    return planned if isinstance(planned, WhatIf) else None


def plan(finding: Finding) -> Union[WhatIf, str, None]:
    """A WhatIf, or the reason none applies, or None for rules this knows nothing of."""
    site = finding.call_site
    if finding.rule in NO_WHATIF:
        return NO_WHATIF[finding.rule]
    if site is None:
        return None
    if finding.rule in MEMOISED_RULES:
        entry = _catalogued(finding.target or "")
        if entry is None:
            return f"{finding.target} is not a call the what-if arm can find by name"
        return WhatIf(entry[0], entry[1], site.file, site.line)
    if finding.rule == "OA109" and len(finding.chain) > 1:
        return _by_code(finding.chain[1], site)
    if finding.rule == "OA199":
        return _hot_helper(finding.chain, site)
    return None


def _catalogued(target: str) -> Optional[Tuple[str, str]]:
    if target.startswith("import "):  # a failed import: the import statement's hook, kept as its outcome
        return "builtins", "__import__"
    entry = catalogue_entry(target)
    return entry or next(((m, p) for m, p, _ in OPERATION_CATALOGUE if f"{m}.{p}" == target), None)


def _hot_helper(chain: Sequence[Frame], site: Frame) -> Union[WhatIf, str]:
    """The function holding the hot line, memoised where its own telemetry code calls it.
    Unnamed code (a comprehension, a lambda) stands for the function around it. A function
    called by the library or the application is the wrapper itself: memoising it would
    skip the telemetry, not compute it once."""
    at = next((i for i, f in enumerate(chain) if (f.file, f.line, f.function) == (site.file, site.line,
                                                                                     site.function)), None)
    if at is None:
        return "the sampled stack does not show who calls the hot code"
    while at + 1 < len(chain) and chain[at].function.startswith("<"):
        at += 1
    if at + 1 >= len(chain):
        return f"the sampled stack does not show who calls {chain[at].function}()"
    callee, caller = chain[at], chain[at + 1]
    if caller.file != callee.file and (caller.distribution is None or caller.distribution != callee.distribution):
        return (f"the hot code is in {callee.function}(), which {caller.distribution or 'other code'} calls "
                "directly: memoising it would skip the telemetry, not compute it once")
    return _by_code(callee, caller)


def _by_code(callee: Frame, site: Frame) -> WhatIf:
    return WhatIf("", callee.function, site.file, site.line, callee_file=callee.file, callee_line=callee.line)


def outcome_reason(whatif: WhatIf, counts: Optional[WhatIfCounts]) -> Optional[str]:
    """Why the memoising run shows that no what-if applies, or None when something repeated."""
    where = f"{display_path(whatif.site_file)}:{whatif.site_line}"
    name = whatif.attribute.rsplit(".", 1)[-1]
    if counts is not None and counts.missing is not None:
        return counts.missing
    if counts is None or counts.calls == 0:
        return f"{name}() was never called from {where} in the what-if run"
    if counts.none_results == counts.calls:
        return f"{name}() returns None at {where}: it is called for its effect, so there is no result to keep"
    if counts.hits == 0:
        return (f"the arguments of {name}() never repeated across {counts.calls} calls from {where}, "
                "so there is nothing to compute once")
    return None
