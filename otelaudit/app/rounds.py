"""An app's runs: one calibration of the all-on arm sizes every run, then every arm once
per round in a fresh random order (the one interleave and round player of otelaudit.plan),
each run in a fresh child through the Runner, until the stop rule says enough; then sampled
profile pairs of the baseline and the all-on arm. The first failed run ends the rounds:
repeating a request that fails only measures error pages."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from otelaudit.app.arms import AppArm, spec
from otelaudit.app.options import AppOptions
from otelaudit.model import RunResult
from otelaudit.plan import adaptive
from otelaudit.plan.interleave import interleave, ops_for, play
from otelaudit.run.runner import Runner


@dataclass(frozen=True)
class ArmRun:
    arm: AppArm
    result: RunResult


@dataclass(frozen=True)
class AppRuns:
    runs: Tuple[ArmRun, ...]
    ops: int
    played: Optional[adaptive.RoundsPlayed] = None  # None: calibration failed
    profiles: Tuple[ArmRun, ...] = ()  # sampled pairs of the baseline and the all-on arm


def complete_rounds(runs: Sequence[ArmRun], arms: Sequence[AppArm]) -> Dict[str, List[RunResult]]:
    """Runs by arm label, restricted to rounds in which every arm succeeded, by round."""
    by_round: Dict[int, Dict[str, RunResult]] = {}
    for run in runs:
        if run.result.ok:
            by_round.setdefault(run.result.round, {})[run.arm.label] = run.result
    full = [r for r in sorted(by_round) if all(a.label in by_round[r] for a in arms)]
    return {arm.label: [by_round[r][arm.label] for r in full] for arm in arms}


def play_app(options: AppOptions, arms: Sequence[AppArm], runner: Runner, env: Mapping[str, str],
             on_progress: Callable[[str], None] = lambda message: None) -> AppRuns:
    everything = arms[1]  # sized on the all-on arm, usually the slowest, so a round's length is bounded
    on_progress("calibrating")
    calibration = runner.run(spec(options, everything, -1, 0, "calibrate"), env, options.timeout_s)
    if not calibration.ok:
        return AppRuns((ArmRun(everything, calibration),), 0)
    ops = ops_for(calibration.throughput, options.seconds_per_run, few=max(3, options.concurrency))
    rng, rule, runs = random.Random(options.seed), options.stop_rule(), []

    def run(round_index: int, arm: AppArm) -> ArmRun:
        on_progress(f"round {round_index + 1}{'' if rule.adaptive else f'/{rule.min_rounds}'} {arm.label}")
        return ArmRun(arm, runner.run(spec(options, arm, round_index, ops), env, options.timeout_s))

    def play_round(round_index: int) -> bool:
        played = play(interleave(1, rng, arms, first_round=round_index), run, lambda r: r.result.ok)
        runs.extend(played)
        return all(r.result.ok for r in played)

    def precision() -> Optional[adaptive.Width]:
        by_arm = complete_rounds(runs, arms[:2])
        if len(by_arm["all"]) < 2:
            return None
        return adaptive.half_width(by_arm["all"], by_arm["baseline"])

    played = adaptive.play_rounds(play_round, precision, rule)
    if not played.completed or options.profile_pairs < 1:
        return AppRuns(tuple(runs), ops, played)

    def profile(round_index: int, arm: AppArm) -> ArmRun:
        on_progress(f"sampling where the time goes, pair {round_index + 1}/{options.profile_pairs} ({arm.label})")
        return ArmRun(arm, runner.run(spec(options, arm, round_index, ops, "profile"), env, options.timeout_s))

    pairs = play(interleave(options.profile_pairs, rng, arms[:2]), profile, lambda r: r.result.ok)
    return AppRuns(tuple(runs), ops, played, tuple(pairs))
