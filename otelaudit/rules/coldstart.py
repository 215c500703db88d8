"""Cold-start rules, in the same Finding form as `rules` (silenced with --ignore ID):

    OA201 a module costly to import, imported eagerly but used only inside functions
    OA202 the environment scanned (package metadata, sys.path listings) while importing
    OA203 the environment scanned inside instrument()

Matched by what the code does (import time, calls by category), never by package name.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from otelaudit.model import ModuleCost, PhaseCalls
from otelaudit.child.coldstart_probe import SCAN_CATEGORIES
from otelaudit.rules.lazyimport import LazyPatch, find_import, lazy_patch
from otelaudit.model import CallCount, Finding, Frame
from otelaudit.attribute.ownership import display_path

# An eager import is worth a finding from this many ms, and this share of the import cost.
MIN_IMPORT_MS = 1.0
MIN_IMPORT_SHARE = 0.05

# The instrumentor protocol's methods run at start-up (instrument() calls _instrument()):
# an import they need is start-up cost wherever it is written.
STARTUP_FUNCTIONS = frozenset({"_instrument", "instrument", "instrumentation_dependencies", "__init__"})

IsAudited = Callable[[str], bool]


def lazy_import_findings(modules: Sequence[ModuleCost], files: Dict[str, str], import_ms: float,
                         is_audited: IsAudited, ignore: FrozenSet[str] = frozenset()
                         ) -> List[Tuple[Finding, LazyPatch, str]]:
    """OA201 findings with their patch and the module the patch changes."""
    if "OA201" in ignore:
        return []
    threshold = max(MIN_IMPORT_MS, MIN_IMPORT_SHARE * import_ms)
    found: List[Tuple[Finding, LazyPatch, str]] = []
    reported: List[str] = []
    for cost in sorted(modules, key=lambda c: -c.cumulative_ms):
        if cost.cumulative_ms < threshold or len(cost.chain) < 2 or any(r in cost.chain for r in reported):
            continue
        importer = cost.chain[-2]
        source_file = files.get(importer, "")
        if not source_file.endswith(".py") or not is_audited(source_file):
            continue
        patch = _patch_for(source_file, importer, cost.module)
        if patch is None or any(name in STARTUP_FUNCTIONS for name, _ in patch.site.functions):
            continue
        reported.append(cost.module)
        found.append((_finding(cost, source_file, patch), patch, importer))
    return found


def _patch_for(source_file: str, importer: str, module: str) -> Optional[LazyPatch]:
    try:
        with open(source_file, encoding="utf-8") as handle:
            source = handle.read()
        site = find_import(source, importer, module, os.path.basename(source_file) == "__init__.py")
    except (OSError, SyntaxError, ValueError):
        return None
    return lazy_patch(source, site, shown(source_file)) if site is not None else None


def _finding(cost: ModuleCost, source_file: str, patch: LazyPatch) -> Finding:
    site = patch.site
    where = f"{shown(source_file)}:{site.line}"
    users = ", ".join(f"{name}()" for name, _ in site.functions)
    return Finding(
        rule="OA201",
        title=f"importing {cost.module} costs {cost.cumulative_ms:.1f} ms at start-up ({' → '.join(cost.chain)}), "
              f"imported at {where} but used only in {users}",
        call_site=Frame(source_file, site.line, "<module>", cost.distribution),
        target=cost.module, distribution=cost.distribution, version=None, calls_per_op=None,
        suggestion=f"Import it on first use: move `{site.statement}` into {users} (see the patch). "
                   "Start-up stops paying for it; the first call pays once instead.",
        patch=patch.diff,
        chain=tuple(Frame(m, 0, "import") for m in cost.chain),
    )


def scan_findings(phases: Sequence[PhaseCalls], ignore: FrozenSet[str] = frozenset()) -> List[Finding]:
    """OA202/OA203: package-metadata reads and sys.path listings at a telemetry call site."""
    findings = []
    for phase in phases:
        rule = "OA202" if phase.phase == "import" else "OA203"
        if rule in ignore:
            continue
        sites: Dict[Tuple[str, int], List[CallCount]] = {}
        for count in phase.calls:
            if count.category in SCAN_CATEGORIES:
                sites.setdefault((count.call_site.file, count.call_site.line), []).append(count)
        findings += [_scan_finding(rule, phase, counts) for counts in sites.values()]
    return findings


def _scan_finding(rule: str, phase: PhaseCalls, counts: List[CallCount]) -> Finding:
    site = counts[0].call_site
    calls = ", ".join(f"{c.target}{'' if c.target.endswith(')') else '()'} × {c.calls_per_op:g}" for c in counts)
    during = "while the instrumentation is imported" if phase.phase == "import" else "inside instrument()"
    fix = ("Defer it to first use, or cache the result so it is computed once per process."
           if phase.phase == "import" else
           "Cache the result, check dependencies once (or let the caller skip it, as opentelemetry-instrument "
           "does with skip_dep_check), or compute the value at build time and ship it as a constant.")
    return Finding(
        rule=rule,
        title=f"{site.function}() scans the installed environment {during}: {calls} at "
              f"{shown(site.file)}:{site.line} (grows with the number of installed distributions)",
        call_site=site, target=counts[0].target, distribution=counts[0].distribution, version=counts[0].version,
        calls_per_op=sum(c.calls_per_op for c in counts), suggestion=fix, chain=counts[0].chain,
    )


def shown(path: str) -> str:
    """A path as people cite it: after site-packages, or relative to its sys.path entry."""
    cited = display_path(path)
    if cited != path:
        return cited
    entries = sorted((os.path.abspath(p) for p in sys.path if p), key=len, reverse=True)
    entry = next((e for e in entries if path.startswith(e + os.sep)), None)
    return os.path.relpath(path, entry) if entry else path
