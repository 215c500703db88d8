"""Heavy operations (tens of ms each): every phase sized by time, and a real scan of the
planted heavy fixture that finds the per-chunk metadata read fast and ranks it first."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from otelaudit.plan.interleave import ops_for
from otelaudit.plan.sizing import Asked, budget_note, size_phases

DEFAULT = Asked(seconds_per_run=0.5, rounds=10, memory_ops=50, probe_ops=200, arms=4, budget_s=300.0)
QUICK = Asked(seconds_per_run=0.1, rounds=5, memory_ops=10, probe_ops=50, arms=4, budget_s=60.0)


@pytest.mark.parametrize("rate", [2_000.0, 50_000.0])
def test_fast_operations_keep_the_default_counts(rate):
    sizes = size_phases(DEFAULT, rate, startup_s=1.0)
    assert sizes.ops == ops_for(rate, 0.5) == max(int(rate * 0.5), 50)
    assert (sizes.memory_ops, sizes.probe_ops, sizes.rounds) == (50, 200, 10)


def test_a_5_ms_operation_keeps_its_timed_counts_and_a_shorter_memory_phase():
    sizes = size_phases(DEFAULT, 200.0, startup_s=1.0)
    assert (sizes.ops, sizes.probe_ops, sizes.rounds) == (100, 75, 10)  # probe: 1.5 s of counting
    assert sizes.memory_ops == int(200 * 0.5 / 3 / 3)


def test_a_100_ms_operation_gets_a_few_operations_per_phase():
    sizes = size_phases(DEFAULT, 10.0, startup_s=1.0)
    assert 3 <= sizes.ops <= 10
    # tracemalloc (~3x slower) takes at most a third of a timed phase's time
    assert sizes.memory_ops * 3.0 / 10.0 <= 0.5 / 3 + 2 * 0.3
    assert sizes.memory_ops < 50 and sizes.probe_ops < 200
    assert sizes.rounds == 10  # fits the default budget: precision is not given away


def test_a_tight_budget_cuts_rounds_never_below_a_verdict_and_says_what_it_cost():
    sizes = size_phases(replace(DEFAULT, budget_s=30.0), 10.0, startup_s=1.0)
    assert sizes.budget_cut and sizes.rounds == 5
    note = budget_note(sizes)
    assert "5 of 10 timed rounds" in note and "1.4× wider" in note


def test_the_floor_of_fifty_operations_stretches_a_run_at_most_twofold():
    assert ops_for(1_000.0, 0.5) == 500
    assert ops_for(100.0, 0.5) == 50  # 50 ops = 0.5 s... within twice 0.5 s
    assert ops_for(50.0, 0.5) == 50  # 1 s: twice
    assert ops_for(10.0, 0.5) == 10  # 100 ms ops: 1 s, not 5 s
    assert ops_for(1.0, 0.5, few=3) == 3
