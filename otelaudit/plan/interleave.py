"""Turns a scenario and the scan settings into run specs: every arm once per round,
in a fresh random order each round, so machine drift hits all arms alike."""

from __future__ import annotations

import random
from typing import List, Sequence, Tuple

from otelaudit.model import ARMS, Arm

def interleaved_rounds(rounds: int, rng: random.Random, arms: Sequence[Arm] = ARMS) -> List[Tuple[int, Arm]]:
    order: List[Tuple[int, Arm]] = []
    for round_index in range(rounds):
        shuffled = list(arms)
        rng.shuffle(shuffled)
        order.extend((round_index, arm) for arm in shuffled)
    return order


def ops_for(rate_ops_s: float, seconds: float, minimum: int = 50, maximum: int = 200_000, few: int = 3) -> int:
    """How many operations fill `seconds` at the calibrated rate. The floor of `minimum`
    may stretch a run to twice `seconds`, no further: heavy operations get `few` or more."""
    floor = min(minimum, max(few, rate_ops_s * seconds * 2))
    return int(min(max(rate_ops_s * seconds, floor), maximum))
