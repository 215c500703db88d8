"""The one A/B schedule every loop uses (scan rounds, profiles, what-if verification, cold
start, lazy-import verification, auto-instrumentation start-up, compare): every arm once
per round, in a fresh random order each round, so machine drift hits all arms alike;
`play` runs such an order and stops at the first run that says stop."""

from __future__ import annotations

import random
from typing import Callable, Iterable, List, Sequence, Tuple, TypeVar

A = TypeVar("A")  # an arm: a name, a what-if fix, a patched source ...
R = TypeVar("R")  # what running one arm in one round gives


def interleave(rounds: int, rng: random.Random, arms: Sequence[A], first_round: int = 0) -> List[Tuple[int, A]]:
    """(round, arm) for `rounds` rounds numbered from `first_round`, each round's arms shuffled."""
    order: List[Tuple[int, A]] = []
    for round_index in range(first_round, first_round + rounds):
        shuffled = list(arms)
        rng.shuffle(shuffled)
        order.extend((round_index, arm) for arm in shuffled)
    return order


def play(order: Iterable[Tuple[int, A]], run: Callable[[int, A], R],
         go_on: Callable[[R], bool] = lambda result: True) -> List[R]:
    """Runs the order; the run for which `go_on` is false is the last (repeating a crash
    or a hang only wastes the user's time)."""
    results: List[R] = []
    for round_index, arm in order:
        result = run(round_index, arm)
        results.append(result)
        if not go_on(result):
            break
    return results


def ops_for(rate_ops_s: float, seconds: float, minimum: int = 50, maximum: int = 200_000, few: int = 3) -> int:
    """How many operations fill `seconds` at the calibrated rate. The floor of `minimum`
    may stretch a run to twice `seconds`, no further: heavy operations get `few` or more."""
    floor = min(minimum, max(few, rate_ops_s * seconds * 2))
    return int(min(max(rate_ops_s * seconds, floor), maximum))
