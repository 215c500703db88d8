"""pytest-benchmark suite for the auditor's own code paths (not run by the test suite):

    pytest benchmarks/test_bench_auditor.py
"""

import random

from otelaudit import stats
from otelaudit.discovery import discover_instrumentors
from otelaudit.registry import load_catalog


def test_bootstrap_of_30_rounds(benchmark):
    sample = [random.Random(1).gauss(100, 4) for _ in range(30)]
    benchmark(stats.bootstrap, sample)


def test_discover_instrumentors(benchmark):
    benchmark(discover_instrumentors)


def test_load_scenario_catalog(benchmark):
    benchmark(load_catalog)
