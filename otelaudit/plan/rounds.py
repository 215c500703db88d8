"""A scenario's timed rounds: every arm (and the A/A control arm) once per round in a
fresh random order, for as many rounds as the stop rule asks; then the precision
reached and the noise floor, recorded on the scenario's result. A round that fails ends
them, and the scenario keeps (and is judged on) the rounds completed before it."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from otelaudit.plan import adaptive
from otelaudit.plan.interleave import interleave, play
from otelaudit.measure import analysis
from otelaudit.measure import noise
from otelaudit.measure import stats
from otelaudit.model import ARMS, CONTROL, Arm, Failure, PrecisionReached, RunResult, ScenarioResult

RunArm = Callable[[Arm, int], RunResult]
KEPT_AT_LEAST = 2  # complete rounds a failed scenario keeps: fewer give no paired interval
KEPT_KINDS = ("workload-crashed", "timeout")  # a failure in round k, not one every round would have


def arms_for(control_arm: bool, arms: Tuple[Arm, ...] = ARMS) -> Tuple[Arm, ...]:
    return arms + (CONTROL,) if control_arm else arms


def timed_rounds(run_arm: RunArm, arms: Sequence[Arm], rule: adaptive.StopRule, seed: int,
                 on_progress: Callable[[str], None] = lambda m: None,
                 treated: Arm = "sdk") -> Tuple[List[RunResult], adaptive.RoundsPlayed]:
    rng = random.Random(seed)
    runs: List[RunResult] = []

    def run(round_index: int, arm: Arm) -> RunResult:
        on_progress(f"round {round_index + 1}{f'/{rule.planned}' if rule.planned else ''} {arm}")
        return run_arm(arm, round_index)

    def play_round(round_index: int) -> bool:
        played = play(interleave(1, rng, arms, first_round=round_index), run, lambda r: r.ok)
        runs.extend(played)
        return all(r.ok for r in played)

    def precision() -> Optional[adaptive.Width]:
        return current_half_width(runs, treated, arms)

    return runs, adaptive.play_rounds(play_round, precision, rule)


def current_half_width(runs: Sequence[RunResult], treated: Arm, arms: Sequence[Arm]) -> Optional[adaptive.Width]:
    by_arm = analysis.complete_rounds(runs, arms)
    if len(by_arm[treated]) < 2:
        return None
    return adaptive.half_width(by_arm[treated], by_arm["baseline"])


def precision_reached(runs: Sequence[RunResult], played: adaptive.RoundsPlayed, rule: adaptive.StopRule,
                      arms: Sequence[Arm], treated: Arm = "sdk") -> Optional[PrecisionReached]:
    current = current_half_width(runs, treated, arms)
    if current is None or not played.completed:  # the failure that ended them says how many were kept
        return None
    return PrecisionReached(rounds=played.rounds, stop=played.stop, half_width_us=current[0],
                            half_width_pct=current[1], elapsed_s=round(played.elapsed_s, 2),
                            target=rule.target.text if rule.target else None, budget_s=rule.budget_s)


def kept_rounds(failure: Failure, complete: int) -> Tuple[Failure, bool]:
    """A failed timed round restated for the scenario: whether it keeps the `complete`
    rounds before it (and is judged on them), and the failure saying so."""
    if failure.kind not in KEPT_KINDS or complete == 0:
        return failure, False
    if complete < KEPT_AT_LEAST:
        return Failure(failure.kind, f"{failure.message}; the 1 round completed before it is too few to compare"), False
    few = (f", too few for a verdict ({stats.MIN_ROUNDS_FOR_VERDICT} needed): inconclusive"
           if complete < stats.MIN_ROUNDS_FOR_VERDICT else "")
    return Failure(failure.kind, f"{failure.message}; the overhead is from the {complete} rounds completed "
                   f"before it{few}"), True


def retry_notes(result: ScenarioResult, runs: Iterable[Optional[RunResult]]) -> ScenarioResult:
    """A child retried after dying outside its workload, whose retry measured it: said, once per run."""
    notes = tuple(run.retried for run in runs if run is not None and run.ok and run.retried)
    return replace(result, warnings=result.warnings + notes) if notes else result


def with_noise_floor(result: ScenarioResult, runs: Sequence[RunResult],
                     arms: Sequence[Arm] = ARMS + (CONTROL,)) -> ScenarioResult:
    """Adds the A/A floor and holds both comparisons' verdicts to it."""
    by_arm = analysis.complete_rounds(runs, arms)
    floor = noise.noise_floor(by_arm[CONTROL], by_arm["baseline"])
    if floor is None or result.status != "ok":
        return result
    level = stats.median([r.cpu_us_per_op for r in by_arm["baseline"]])
    return replace(
        result, noise_floor=floor,
        overhead=noise.floored(result.overhead, floor, level) if result.overhead else None,
        api_overhead=noise.floored(result.api_overhead, floor, level) if result.api_overhead else None,
    )
