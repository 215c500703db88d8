"""Verifies suggestions: for the top findings whose fix is "do it once", runs the sdk
arm with and without that fix applied in-process (see `whatif`; the control runs the
same stand-in without memoising), interleaved and paired by round, and records the
measured saving with its confidence interval."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Callable, List, Optional, Tuple, TypeVar

from otelaudit.rules import calls as rules
from otelaudit.measure import stats
from otelaudit.plan.interleave import interleave, play
from otelaudit.model import Estimate, Finding, RunResult, ScenarioResult
from otelaudit.model import RunSpec
from otelaudit.child.probe import catalogue_entry
from otelaudit.model import WhatIf

# Rules whose fix is "compute once": memoising the call at its site is that fix.
VERIFIABLE_RULES = frozenset({"OA101", "OA102", "OA106", "OA107", "OA108"})
MAX_VERIFIED = 2

SpecFactory = Callable[[WhatIf, int], RunSpec]
Run = Callable[[RunSpec], RunResult]


def whatif_for(finding: Finding) -> Optional[WhatIf]:
    if finding.rule not in VERIFIABLE_RULES or finding.call_site is None or finding.target is None:
        return None
    entry = catalogue_entry(finding.target)
    if entry is None:
        return None
    return WhatIf(entry[0], entry[1], finding.call_site.file, finding.call_site.line)


def verify_findings(result: ScenarioResult, make_spec: SpecFactory, run: Run, rounds: int, seed: int,
                    on_progress: Callable[[str], None]) -> ScenarioResult:
    findings = list(result.findings)
    warnings = list(result.warnings)
    candidates = [(i, w) for i, w in ((i, whatif_for(f)) for i, f in enumerate(findings)) if w is not None]
    for index, whatif in candidates[:MAX_VERIFIED]:
        on_progress(f"{result.instrumentor}: verifying {findings[index].rule} at line {whatif.site_line}")
        saving, problem = measure_saving(whatif, make_spec, run, rounds, random.Random(seed + index))
        if problem is not None:
            warnings.append(f"could not verify {findings[index].rule}: {problem}")
        else:
            findings[index] = replace(findings[index], verified_saving_us=saving)
    return replace(result, findings=tuple(rules.rank(findings)), warnings=tuple(warnings))


def measure_saving(whatif: WhatIf, make_spec: SpecFactory, run: Run, rounds: int,
                   rng: random.Random) -> Tuple[Optional[Estimate], Optional[str]]:
    control = replace(whatif, memoise=False)
    plain, patched, failure = paired_runs(control, whatif, lambda fix, i: run(make_spec(fix, i)), rounds, rng)
    if failure is not None:
        return None, failure
    return stats.paired_difference([r.cpu_us_per_op for r in plain], [r.cpu_us_per_op for r in patched]), None


Arm = TypeVar("Arm")


def paired_runs(plain: Arm, treated: Arm, run: Callable[[Arm, int], RunResult], rounds: int,
                rng: random.Random) -> Tuple[List[RunResult], List[RunResult], Optional[str]]:
    """The two arms of a what-if (a fix, a setting), interleaved in fresh children: the
    plain arm's runs, the treated arm's, and the first failure's message, if one failed."""
    done = play(interleave(rounds, rng, [plain, treated]), lambda i, arm: (arm is treated, run(arm, i)),
                lambda outcome: outcome[1].failure is None)
    failure = next((r.failure.message for _, r in done if r.failure is not None), None)
    return [r for t, r in done if not t], [r for t, r in done if t], failure
