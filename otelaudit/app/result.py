"""An app's runs as ordinary scan results, so every renderer and `otelaudit report` show
them: one row for all instrumentations against none, then one row per instrumentation
whose "baseline" arm is all the others (its leave-one-out share: what removing it saves).
A failed request makes the audit invalid with the response shown; no telemetry with all
on makes it invalid, and an instrumentation that adds none to these requests claims no share."""

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

ALL = "all"
EXPLANATION = ("app mode: the 'all' row is every instrumentation against none; each other row is that "
               "instrumentation's leave-one-out share (all on against all on but it, which is its row's baseline)")


def app_results(options: AppOptions, arms: Sequence[AppArm], measured: AppRuns,
                facts: AppFacts) -> List[ScenarioResult]:
    chosen = arms[1].applied
    total = ScenarioResult(instrumentor=ALL, distribution=None, version=None, scenario=options.reference,
                           status="ok", library=options.reference, library_version=f"{facts.kind.upper()} app",
                           concurrency=options.concurrency, ops_per_run=measured.ops,
                           targeted=True, expected_per_op=Telemetry())
    failed = [run for run in measured.runs if not run.result.ok]
    if failed:
        return [_failed(total, failed[0].arm, failed[0].result)]
    by_arm = complete_rounds(measured.runs, arms)
    everything, baseline = by_arm[ALL], by_arm["baseline"]
    total = with_profiles(_compared(total, everything, baseline), measured.profiles, facts.framework)
    if total.status != "ok" or len(chosen) < 2:
        return [total]
    shares = [_share(options, arm, chosen, everything, by_arm[arm.label], total) for arm in arms[2:]]
    return [_with_sum_check(total, shares), *shares]


def _failed(total: ScenarioResult, arm: AppArm, run: RunResult) -> ScenarioResult:
    assert run.failure is not None
    status: Status = "invalid" if run.failure.kind == "workload-crashed" else "error"  # the app or a request failed
    where = "calibrating the all-on arm" if run.round < 0 else f"round {run.round + 1}, arm {arm.label!r}"
    return replace(total, status=status, failure=Failure(run.failure.kind, f"{where}: {run.failure.message}"))


def _compared(result: ScenarioResult, treated: List[RunResult], baseline: List[RunResult]) -> ScenarioResult:
    arms = {"baseline": analysis.summarise_arm("baseline", baseline), "sdk": analysis.summarise_arm("sdk", treated)}
    produced = arms["sdk"].telemetry_per_op
    result = replace(result, arms=arms, telemetry_per_op=produced)
    if produced.total <= 0:
        return replace(result, status="invalid", failure=Failure(
            "no-telemetry", "with every instrumentation on, the requests produced no telemetry: no instrumentation "
                            "ran on them (check --instrument and the app's libraries)"))
    return replace(result, overhead=analysis.compare("sdk", treated, baseline))


def _share(options: AppOptions, arm: AppArm, chosen: Sequence[Instrumentor], everything: List[RunResult],
           without: List[RunResult], total: ScenarioResult) -> ScenarioResult:
    assert arm.left_out is not None
    left_out = arm.left_out
    result = ScenarioResult(instrumentor=label(left_out, chosen), distribution=left_out.distribution,
                            version=left_out.version, scenario=options.reference, status="ok",
                            library=options.reference, library_version=total.library_version,
                            concurrency=options.concurrency, ops_per_run=total.ops_per_run,
                            targeted=bool(options.instrument), expected_per_op=Telemetry())
    result = _compared(result, everything, without)
    own = _difference(result.arms["sdk"].telemetry_per_op, result.arms["baseline"].telemetry_per_op)
    if own.total <= 0:
        return replace(result, status="invalid", overhead=None, telemetry_per_op=own, failure=Failure(
            "no-telemetry", f"{result.instrumentor} added no telemetry to these requests (all on and all on "
                            "but it produced the same): it did not run on them, so no share is claimed"))
    return replace(result, telemetry_per_op=own, warnings=_share_note(result.overhead, total.overhead))


def _difference(a: Telemetry, b: Telemetry) -> Telemetry:
    return Telemetry(a.spans - b.spans, a.metric_measurements - b.metric_measurements, a.log_records - b.log_records)


def _share_note(share: Optional[Comparison], total: Optional[Comparison]) -> Tuple[str, ...]:
    if share is None or total is None or total.cpu_us_per_op.estimate <= 0:
        return ()
    part = share.cpu_us_per_op.estimate / total.cpu_us_per_op.estimate
    return (f"leave-one-out share: {part:.0%} of all instrumentations' CPU overhead "
            f"({_us(share.cpu_us_per_op)} of {_us(total.cpu_us_per_op)} per request)",)


def _with_sum_check(total: ScenarioResult, shares: Sequence[ScenarioResult]) -> ScenarioResult:
    """Whether the shares add up to the total: when they do not, the instrumentations
    interact (one's cost depends on another being on: spans parented, context propagated)."""
    measured = [s.overhead.cpu_us_per_op.estimate for s in shares if s.overhead is not None]
    if total.overhead is None or not measured:
        return total
    whole, summed = total.overhead.cpu_us_per_op, sum(measured)
    inside = whole.ci_low <= summed <= whole.ci_high
    note = (f"the {len(measured)} leave-one-out shares sum to {duration(summed, signed=True)} per request, "
            + ("within" if inside else "outside") + f" the total's interval {_us(whole)}"
            + ("" if inside else ": the rest is the SDK's and the libraries' own telemetry (some frameworks "
                                 "trace natively), or instrumentations that interact (one's cost depends on "
                                 "another being on, so removing two saves more or less than their shares)"))
    return replace(total, warnings=total.warnings + (note,))


def _us(estimate: Estimate) -> str:
    return with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, signed=True)
