"""Verifies OA201 lazy-import suggestions: the instrumented arm runs with the importing
module executed from the patched source and, as the control, from its own source (the
same loader, so both compile alike), interleaved and paired by round; the saving is the
start-up CPU (imports + instrument()) and the note says what the first operation pays."""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import replace
from typing import Dict, List, Literal, Optional, Tuple

from otelaudit.coldstart import analysis
from otelaudit.coldstart.session import Patches, Progress, TargetSession
from otelaudit.measure import stats
from otelaudit.model import ColdRun, Finding, TargetColdStart
from otelaudit.plan.interleave import interleave, play
from otelaudit.rules import calls as rules

MAX_VERIFIED = 2
Source = Literal["control", "patched"]
SOURCES: Tuple[Source, ...] = ("control", "patched")


def verify_lazy_imports(session: TargetSession, result: TargetColdStart, patches: Patches,
                        on_progress: Progress) -> TargetColdStart:
    """Runs the instrumented arm with the importer's source patched and with its own
    source (the control), interleaved; the paired import-time difference is the saving."""
    findings, warnings = list(result.findings), list(result.warnings)
    rng = random.Random(session.options.seed + 1)
    for finding, patch, importer in patches[:MAX_VERIFIED]:
        on_progress(f"{session.target.instrumentor.name}: verifying lazy import of {finding.target}")
        measured, problem = _measure(session, finding, patch.patched_source, importer, rng)
        if problem is not None:
            warnings.append(f"could not verify OA201 for {finding.target}: {problem}")
            break
        # In CPU time: on a shared machine wall time mostly measures the neighbours.
        total = [[analysis.startup_cpu_us(r) for r in measured[a]] for a in SOURCES]
        saving = stats.paired_difference(total[0], total[1])
        moved = analysis.first_call_extra(measured["control"], measured["patched"])
        interval = f"[{saving.ci_low / 1000:.1f}, {saving.ci_high / 1000:.1f}] ms, 95% CI"
        note = (f" Measured with the patch applied: start-up (imports + instrument()) {saving.estimate / 1000:.1f} ms "
                f"less CPU ({interval})"
                if saving.ci_low > 0 else
                f" Measured with the patch applied: no start-up saving shown at this precision ({interval}; "
                "the module may be imported by another path anyway)")
        if moved is not None and saving.ci_low > 0:
            note += f"; the first operation takes {moved.estimate / 1000:+.1f} ms (it now pays the import)"
        index = next(i for i, f in enumerate(findings) if (f.rule, f.target, f.call_site) ==
                     (finding.rule, finding.target, finding.call_site))
        findings[index] = replace(findings[index], verified_saving_us=saving, suggestion=finding.suggestion + note + ".")
    return replace(result, findings=tuple(rules.rank(findings)), warnings=tuple(warnings))


def _measure(session: TargetSession, finding: Finding, patched_source: str, importer: str,
             rng: random.Random) -> Tuple[Dict[Source, List[ColdRun]], Optional[str]]:
    """The instrumented arm with each source of the importer, interleaved round by round."""
    assert finding.call_site is not None
    with tempfile.TemporaryDirectory(prefix="otelaudit-lazy-") as workdir:
        sources: Dict[Source, str] = {"control": finding.call_site.file, "patched": os.path.join(workdir, "patched.py")}
        with open(sources["patched"], "w", encoding="utf-8") as handle:
            handle.write(patched_source)

        def run(round_index: int, source: Source) -> Tuple[Source, ColdRun]:
            spec = session.spec("instrumented", round_index, patch_module=importer, patch_source=sources[source])
            return source, session.run(spec)

        done = play(interleave(session.options.rounds, rng, SOURCES), run, lambda ran: ran[1].failure is None)
    failure = next((r.failure for _, r in done if r.failure is not None), None)
    if failure is not None:
        return {}, failure.message
    return {source: [r for s, r in done if s == source] for source in SOURCES}, None
