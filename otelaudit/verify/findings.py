"""Verifies suggestions: for the top findings a what-if applies to (see `whatifs`), runs
the sdk arm with and without that fix applied in-process (the control runs the same
stand-in without keeping anything), interleaved and paired by round, and records the
measured saving with its confidence interval — held to the overhead's upper bound, as no
fix saves more than the whole. A finding no what-if can measure says why."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Callable, List, Optional, Tuple, TypeVar

from otelaudit.rules import calls as rules
from otelaudit.measure import stats
from otelaudit.plan.interleave import interleave, play
from otelaudit.model import Estimate, Finding, RunResult, ScenarioResult
from otelaudit.model import RunSpec
from otelaudit.model import WhatIf
from otelaudit.verify.whatifs import MEMOISED_RULES, NONE_APPLIES, outcome_reason, plan, whatif_for

__all__ = ["MAX_VERIFIED", "annotated", "measure_saving", "measured_outcome", "verify_findings", "whatif_for"]

MAX_VERIFIED = 2

SpecFactory = Callable[[WhatIf, int], RunSpec]
Run = Callable[[RunSpec], RunResult]
Outcome = Tuple[Optional[Estimate], Optional[str], Optional[str]]  # (saving, no what-if because, failure)


def annotated(result: ScenarioResult) -> ScenarioResult:
    """Says on each finding whose rule no what-if can measure why not (no runs needed)."""
    def note(finding: Finding) -> Finding:
        reason = plan(finding)
        return replace(finding, no_whatif=NONE_APPLIES + reason) if isinstance(reason, str) else finding

    return replace(result, findings=tuple(note(f) for f in result.findings))


def verify_findings(result: ScenarioResult, make_spec: SpecFactory, run: Run, rounds: int, seed: int,
                    on_progress: Callable[[str], None]) -> ScenarioResult:
    result = annotated(result)
    findings = list(result.findings)
    warnings = list(result.warnings)
    ceiling = result.overhead.cpu_us_per_op.ci_high if result.overhead is not None else None
    candidates = [(i, w) for i, w in ((i, whatif_for(f)) for i, f in enumerate(findings)) if w is not None]
    # Counted calls first: their fix is certain; memoising a helper (OA109, OA199) is a guess that
    # the arguments repeat, which the run may refute.
    candidates.sort(key=lambda c: findings[c[0]].rule not in MEMOISED_RULES)
    for index, whatif in candidates[:MAX_VERIFIED]:
        on_progress(f"{result.instrumentor}: verifying {findings[index].rule} at line {whatif.site_line}")
        saving, none_because, problem = measured_outcome(whatif, make_spec, run, rounds, random.Random(seed + index))
        if problem is not None:
            warnings.append(f"could not verify {findings[index].rule}: {problem}")
            findings[index] = replace(findings[index], no_whatif=f"the what-if could not run: {problem}")
        elif none_because is not None:
            findings[index] = replace(findings[index], no_whatif=NONE_APPLIES + none_because)
        elif saving is not None:
            findings[index] = replace(findings[index], verified_saving_us=_held_to(saving, ceiling))
    return replace(result, findings=tuple(rules.rank(findings)), warnings=tuple(warnings))


def measure_saving(whatif: WhatIf, make_spec: SpecFactory, run: Run, rounds: int,
                   rng: random.Random) -> Tuple[Optional[Estimate], Optional[str]]:
    """(saving, None), or (None, why there is none): the interface other what-if users call."""
    saving, none_because, problem = measured_outcome(whatif, make_spec, run, rounds, rng)
    return saving, problem or none_because


def measured_outcome(whatif: WhatIf, make_spec: SpecFactory, run: Run, rounds: int, rng: random.Random) -> Outcome:
    """Stops after the first memoising run that found nothing repeated: more rounds of a
    stand-in that never answers from its cache would only measure its cost."""
    control = replace(whatif, memoise=False)

    def answered(fix: WhatIf, result: RunResult) -> bool:
        return fix is control or outcome_reason(whatif, result.whatif_counts) is None

    plain, memoised, failure = paired_runs(control, whatif, lambda fix, i: run(make_spec(fix, i)), rounds, rng,
                                           answered)
    if failure is not None:
        return None, None, failure
    reason = next((why for why in (outcome_reason(whatif, r.whatif_counts) for r in memoised) if why is not None),
                  None)
    if reason is not None or not memoised:
        return None, reason, None
    return stats.paired_difference([r.cpu_us_per_op for r in plain], [r.cpu_us_per_op for r in memoised]), None, None


Arm = TypeVar("Arm")


def paired_runs(plain: Arm, treated: Arm, run: Callable[[Arm, int], RunResult], rounds: int,
                rng: random.Random, go_on: Callable[[Arm, RunResult], bool] = lambda arm, result: True,
                ) -> Tuple[List[RunResult], List[RunResult], Optional[str]]:
    """The two arms of a what-if (a fix, a setting), interleaved in fresh children: the
    plain arm's runs, the treated arm's, and the first failure's message, if one failed.
    `go_on` may end them early (a stand-in that never answers from its cache)."""
    done = play(interleave(rounds, rng, [plain, treated]), lambda i, arm: (arm is treated, run(arm, i)),
                lambda outcome: outcome[1].failure is None and go_on(treated if outcome[0] else plain, outcome[1]))
    failure = next((r.failure.message for _, r in done if r.failure is not None), None)
    return [r for t, r in done if not t], [r for t, r in done if t], failure


def _held_to(saving: Estimate, ceiling: Optional[float]) -> Estimate:
    if ceiling is None:
        return saving
    top = max(ceiling, 0.0)
    return Estimate(*(min(v, top) for v in (saving.estimate, saving.ci_low, saving.ci_high)))
