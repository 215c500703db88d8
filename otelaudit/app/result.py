"""An app's runs as ordinary scan results, so every renderer and `otelaudit report` show
them: one row for all instrumentations against none; one for the SDK with none (the
libraries' native telemetry and the SDK's processing), shown when it produced telemetry;
then one per instrumentation whose "baseline" arm is all the others (its leave-one-out
share: what removing it saves). A failed request makes the audit invalid with the response
shown; no telemetry with all on makes it invalid; an instrumentation that adds none to these
requests claims no share."""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Sequence, Tuple

from otelaudit.app.arms import AppArm
from otelaudit.app.evidence import with_profiles
from otelaudit.app.options import AppFacts, AppOptions
from otelaudit.app.rounds import AppRuns, complete_rounds
from otelaudit.app.select import label
from otelaudit.measure import analysis
from otelaudit.model import Comparison, Estimate, Failure, Instrumentor, RunResult, ScenarioResult, Status, Telemetry
from otelaudit.render._units import duration, with_interval

ALL, SDK_ONLY = "all", "sdk only"
EXPLANATION = ("app mode: the 'all' row is every instrumentation against none; 'sdk only' is the SDK with no "
               "instrumentation against none (the libraries' own telemetry); each other row is that "
               "instrumentation's leave-one-out share (all on against all on but it, which is its row's baseline)")


def app_results(options: AppOptions, arms: Sequence[AppArm], measured: AppRuns,
                facts: AppFacts) -> List[ScenarioResult]:
    blank = ScenarioResult(instrumentor=ALL, distribution=None, version=None, scenario=options.reference,
                           status="ok", library=options.reference, library_version=f"{facts.kind.upper()} app",
                           concurrency=options.concurrency, ops_per_run=measured.ops, expected_per_op=Telemetry())
    failed = [run for run in measured.runs if not run.result.ok]
    if failed:
        return [_failed(replace(blank, targeted=True), failed[0].arm, failed[0].result)]
    by_arm = complete_rounds(measured.runs, arms)
    total = _compared(replace(blank, targeted=True), by_arm[ALL], by_arm["baseline"])
    if total.telemetry_per_op is None or total.telemetry_per_op.total <= 0:
        return [_no_telemetry(total, "with every instrumentation on, the requests produced no telemetry: no "
                                     "instrumentation ran on them (check --instrument and the app's libraries)")]
    total = with_profiles(total, measured.profiles, facts.framework)
    native = _compared(replace(blank, instrumentor=SDK_ONLY), by_arm[SDK_ONLY], by_arm["baseline"])
    rows = [_with_share_of(native, total)] if native.overhead is not None else []
    chosen = next(arm.applied for arm in arms if arm.role == "all")
    for instrumentation in chosen:  # with one, all on but it is the SDK alone
        without = next((a.label for a in arms if a.left_out == instrumentation), SDK_ONLY)
        rows.append(_leave_one_out(options, instrumentation, chosen, by_arm[ALL], by_arm[without], blank, total))
    rows, idle = _without_idle(rows, named=bool(options.instrument))
    return [_with_notes(total, rows, idle, native.overhead is not None), *rows]


def _with_notes(total: ScenarioResult, rows: Sequence[ScenarioResult], idle: Sequence[str],
                native: bool) -> ScenarioResult:
    total = _with_sum_check(total, rows)
    notes: Tuple[str, ...] = ()
    if idle:
        notes += (f"not exercised by these requests (no telemetry of their own, so no share; applied in every "
                  f"arm): {', '.join(idle)}",)
    if not native:
        notes += ("the SDK with no instrumentation produced no telemetry: no library here traces natively",)
    return replace(total, warnings=total.warnings + notes)


def _without_idle(rows: List[ScenarioResult], named: bool) -> Tuple[List[ScenarioResult], List[str]]:
    """Instrumentations nobody named that did not run on these requests: one line, not a row each."""
    if named:
        return rows, []
    idle = [r.instrumentor for r in rows if r.failure is not None and r.failure.kind == "no-telemetry"]
    return [r for r in rows if r.instrumentor not in idle], idle


def _failed(total: ScenarioResult, arm: AppArm, run: RunResult) -> ScenarioResult:
    assert run.failure is not None
    status: Status = "invalid" if run.failure.kind == "workload-crashed" else "error"  # the app or a request failed
    where = "calibrating the all-on arm" if run.round < 0 else f"round {run.round + 1}, arm {arm.label!r}"
    return replace(total, status=status, failure=Failure(run.failure.kind, f"{where}: {run.failure.message}"))


def _compared(result: ScenarioResult, treated: List[RunResult], baseline: List[RunResult]) -> ScenarioResult:
    """Treated against baseline, paired by round; the telemetry is what treated adds (none
    added: no overhead is claimed)."""
    arms = {"baseline": analysis.summarise_arm("baseline", baseline), "sdk": analysis.summarise_arm("sdk", treated)}
    own = _difference(arms["sdk"].telemetry_per_op, arms["baseline"].telemetry_per_op)
    result = replace(result, arms=arms, telemetry_per_op=own)
    if own.total <= 0:
        return result
    return replace(result, overhead=analysis.compare("sdk", treated, baseline))


def _no_telemetry(result: ScenarioResult, why: str) -> ScenarioResult:
    return replace(result, status="invalid", overhead=None, failure=Failure("no-telemetry", why))


def _leave_one_out(options: AppOptions, left_out: Instrumentor, chosen: Sequence[Instrumentor],
                   everything: List[RunResult], without: List[RunResult], blank: ScenarioResult,
                   total: ScenarioResult) -> ScenarioResult:
    result = replace(blank, instrumentor=label(left_out, chosen), distribution=left_out.distribution,
                     version=left_out.version, targeted=bool(options.instrument))
    result = _compared(result, everything, without)
    if result.overhead is None:
        return _no_telemetry(result, f"{result.instrumentor} added no telemetry to these requests (all on and all "
                                     "on but it produced the same): it did not run on them, so no share is claimed")
    return _with_share_of(result, total)


def _difference(a: Telemetry, b: Telemetry) -> Telemetry:
    return Telemetry(a.spans - b.spans, a.metric_measurements - b.metric_measurements, a.log_records - b.log_records)


def _with_share_of(result: ScenarioResult, total: ScenarioResult) -> ScenarioResult:
    return replace(result, warnings=result.warnings + _share_note(result, total.overhead))


def _share_note(result: ScenarioResult, total: Optional[Comparison]) -> Tuple[str, ...]:
    share = result.overhead
    if share is None or total is None or total.cpu_us_per_op.estimate <= 0:
        return ()
    part = share.cpu_us_per_op.estimate / total.cpu_us_per_op.estimate
    what = "the SDK and native telemetry" if result.instrumentor == SDK_ONLY else "leave-one-out share"
    return (f"{what}: {part:.0%} of all instrumentations' CPU overhead "
            f"({_us(share.cpu_us_per_op)} of {_us(total.cpu_us_per_op)} per request)",)


def _with_sum_check(total: ScenarioResult, parts: Sequence[ScenarioResult]) -> ScenarioResult:
    """Whether the parts add up to the total: when they do not, the instrumentations
    interact (one's cost depends on another being on: spans parented, context propagated)."""
    measured = [p.overhead.cpu_us_per_op.estimate for p in parts if p.overhead is not None]
    shares = sum(1 for p in parts if p.instrumentor != SDK_ONLY and p.overhead is not None)
    if total.overhead is None or shares < 2:  # one share and the SDK alone add up to the total by construction
        return total
    whole, summed = total.overhead.cpu_us_per_op, sum(measured)
    inside = whole.ci_low <= summed <= whole.ci_high
    named = f"the {shares} leave-one-out shares" + (" and the sdk-only row" if len(measured) > shares else "")
    note = (f"{named} sum to {duration(summed, signed=True)} per request, "
            + ("within" if inside else "outside") + f" the total's interval {_us(whole)}"
            + ("" if inside else ": instrumentations that interact (one's cost depends on another being on) or "
                                 "noise — removing two saves more or less than their shares"))
    return replace(total, warnings=total.warnings + (note,))


def _us(estimate: Estimate) -> str:
    return with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, signed=True)
