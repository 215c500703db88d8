"""Turns a scenario and the scan settings into run specs: every arm once per round,
in a fresh random order each round, so machine drift hits all arms alike."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Dict, List, Literal, Optional, Sequence, Tuple

from otelaudit.model import ARMS, Arm
from otelaudit.whatif import WhatIf

RunMode = Literal["measure", "calibrate", "probe", "profile"]


@dataclass(frozen=True)
class RunSpec:
    """Everything a measuring child needs; it travels as JSON."""

    scenario_module: str
    scenario_name: str
    arm: Arm
    round: int
    ops: int
    warmup_ops: int
    concurrency: int
    instrumentor_value: Optional[str] = None
    instrumentor_distribution: Optional[str] = None
    instrumentor_version: Optional[str] = None
    instrument_kwargs: Dict[str, object] = field(default_factory=dict)
    also_instrument: Tuple[str, ...] = ()
    servers: Dict[str, Tuple[str, int]] = field(default_factory=dict)
    whatif: Optional[WhatIf] = None
    mode: RunMode = "measure"
    calibrate_s: float = 0.0
    memory_ops: int = 50
    # Counting runs export on the main thread: see telemetry.install_sdk.
    inline_export: bool = False


def interleaved_rounds(rounds: int, rng: random.Random, arms: Sequence[Arm] = ARMS) -> List[Tuple[int, Arm]]:
    order: List[Tuple[int, Arm]] = []
    for round_index in range(rounds):
        shuffled = list(arms)
        rng.shuffle(shuffled)
        order.extend((round_index, arm) for arm in shuffled)
    return order


def ops_for(rate_ops_s: float, seconds: float, minimum: int = 50, maximum: int = 200_000) -> int:
    """How many operations fill `seconds` at the calibrated baseline rate."""
    return int(min(max(rate_ops_s * seconds, minimum), maximum))
