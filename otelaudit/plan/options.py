"""What a scan is asked to do: targets, rounds, run sizes, budgets and modes. The CLI and
the pytest plugin build one; every stage below reads it and never sees argparse."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from otelaudit.model import ARMS, Arm
from otelaudit.plan import sizing
from otelaudit.plan.adaptive import DEFAULT_MAX_ROUNDS, DEFAULT_SETTLE, PrecisionTarget, StopRule, settling

# The timed phase when rounds are added until a precision or a budget (`--precision`, `--budget`):
# the noise here is per run, not per second (pinned A/A pairs differed by ~5% (IQR) with 0.1 s and
# with 1 s timed phases alike), so shorter runs buy more rounds and a narrower interval per second.
# A planted 2% overhead within 120 s was found 1 time in 5 with 0.3 s runs and 10 times in 10 with 0.1 s.
PRECISION_SECONDS_PER_RUN = 0.1


@dataclass(frozen=True)
class ScanOptions:
    targets: Tuple[str, ...] = ()
    rounds: int = 10
    seconds_per_run: float = 0.3  # a child's fixed cost is ~0.3 s: longer runs buy little precision per second
    calibrate_s: float = 0.3
    memory_ops: int = 50
    probe_ops: int = 200
    profile_rounds: int = 3
    ignore_rules: Tuple[str, ...] = ()
    timeout_s: float = 120.0
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 30))
    quick: bool = False
    command: str = "otelaudit scan"
    precision: Optional[PrecisionTarget] = None  # add rounds until the CI half-width is this small
    budget_s: Optional[float] = None  # ... or until this much time has gone on the rounds
    max_rounds: int = DEFAULT_MAX_ROUNDS
    control_arm: bool = True  # the A/A arm that measures the noise floor
    deterministic: bool = False  # also count instructions per op (otelaudit.measure.counting)
    count_ops: int = 2000
    jobs: int = 1
    shard: Optional[Tuple[int, int]] = None  # (index from 1, count)
    scenario_budget_s: float = sizing.DEFAULT_SCENARIO_BUDGET_S  # fewer rounds (never < 5) when they would not fit
    scan_budget_s: float = 30 * 60.0  # shared out among the scenarios still to run
    verify: Optional[bool] = None  # what-if arms for suggested fixes; None: unless quick
    settle: Optional[float] = DEFAULT_SETTLE  # fixed rounds end early once the overhead is known to this share
    arms: Tuple[Arm, ...] = ARMS  # the timed arms (always baseline and sdk); --arms adds "export"
    export_protocol: str = "http/protobuf"  # the export arm's OTLP protocol, or "grpc"
    knobs: Tuple[str, ...] = ()  # --knobs: the settings whose saving is measured (rules/knobs.py)
    soak_ops: Optional[int] = None  # operations per arm of the soak; None: two timed runs' worth, none if quick

    @property
    def verifies(self) -> bool:
        """--quick skips the what-if arms (a quarter of its children); its report says so."""
        return self.verify if self.verify is not None else not self.quick

    def stop_rule(self, rounds: Optional[int] = None) -> StopRule:
        """`rounds`: what the scenario's time budget left of `self.rounds`."""
        rounds = self.rounds if rounds is None else rounds
        if self.precision is None and self.budget_s is None and self.settle:
            return settling(rounds, self.settle)
        return StopRule(rounds, max(self.max_rounds, rounds), self.precision, self.budget_s)

    @classmethod
    def quick_defaults(cls, **overrides: object) -> "ScanOptions":
        # One sampled profile pair (triage's): shares from it are coarser, and the stages say so.
        # No A/A control arm (five of its pairs give a coarse floor for a fifth of the children) and
        # no api arm (`--arms` brings it back): triage wants the SDK overhead and its causes, soon;
        # so two targets at once, one per core where there are two.
        values: Dict[str, Any] = dict(rounds=5, seconds_per_run=0.1, calibrate_s=0.1, memory_ops=10, probe_ops=50,
                                      profile_rounds=1, quick=True, scenario_budget_s=sizing.QUICK_SCENARIO_BUDGET_S,
                                      scan_budget_s=10 * 60.0, control_arm=False, jobs=2,
                                      arms=("baseline", "sdk"))
        values.update(overrides)
        return cls(**values)
