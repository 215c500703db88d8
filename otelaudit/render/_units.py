"""Durations for people: one unit per figure, chosen by magnitude (ns, µs, ms, s), shared
by an estimate and its interval, three significant digits, never scientific notation.
Values come in µs, the unit every measurement is stored in."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

# (unit, µs in one of it), smallest first
UNITS: Tuple[Tuple[str, float], ...] = (("ns", 1e-3), ("µs", 1.0), ("ms", 1e3), ("s", 1e6))


def unit_for(*values_us: float) -> Tuple[str, float]:
    """The unit in which the largest of `values_us` reads between 1 and 1000."""
    largest = max((abs(v) for v in values_us), default=0.0)
    chosen = UNITS[1]
    for unit in UNITS:
        if largest >= unit[1]:
            chosen = unit
    return chosen if largest else UNITS[1]


def number(value: float, largest: Optional[float] = None) -> str:
    """Three significant digits of the figure's largest value, no exponent."""
    scale = abs(largest if largest is not None else value)
    decimals = 0 if scale >= 100 else 1 if scale >= 10 else 2
    return f"{value:.{decimals}f}"


def _signed(text: str, value: float, signed: bool) -> str:
    if not signed:
        return text
    return ("+" if value >= 0 else "−") + text.lstrip("-")


def duration(value_us: float, signed: bool = False) -> str:
    """`12.4 ms`, `+850 µs`, `−3.10 µs`."""
    unit, size = unit_for(value_us)
    return _signed(f"{number(value_us / size)} {unit}", value_us, signed)


def with_interval(estimate_us: float, low_us: float, high_us: float, signed: bool = False) -> str:
    """`+12.4 [9.96, 15.2] ms`: the interval in the estimate's unit and digits."""
    unit, size = unit_for(estimate_us, low_us, high_us)
    largest = max(abs(estimate_us), abs(low_us), abs(high_us)) / size
    parts = [number(v / size, largest) for v in (estimate_us, low_us, high_us)]
    return f"{_signed(parts[0], estimate_us, signed)} [{parts[1]}, {parts[2]}] {unit}"


def half_width(value_us: float) -> str:
    """`±3.28 ms`."""
    return "±" + duration(abs(value_us))


def durations(values_us: Sequence[float]) -> Tuple[str, ...]:
    """Several figures that belong together (a table column's cells), in one unit."""
    unit, size = unit_for(*values_us)
    largest = max((abs(v) for v in values_us), default=0.0) / size
    return tuple(f"{number(v / size, largest)} {unit}" for v in values_us)
