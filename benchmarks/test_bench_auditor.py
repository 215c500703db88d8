"""pytest-benchmark suite for the auditor's own code paths (not run by the test suite):

    pytest benchmarks/test_bench_auditor.py
"""

import random

from otelaudit.measure import stats
from otelaudit.discover.instrumentors import discover_instrumentors
from otelaudit.discover.catalog import load_catalog


def test_median_interval_of_30_rounds(benchmark):
    sample = [random.Random(1).gauss(100, 4) for _ in range(30)]
    benchmark(stats.median_interval, sample)


def test_discover_instrumentors(benchmark):
    benchmark(discover_instrumentors)


def test_load_scenario_catalog(benchmark):
    benchmark(load_catalog)


def _rounds(n, overhead):
    from otelaudit.model import RunResult

    rng = random.Random(2)
    return ([RunResult("baseline", i, ops=1000, cpu_s=rng.gauss(0.01, 0.0004)) for i in range(n)],
            [RunResult("sdk", i, ops=1000, cpu_s=rng.gauss(0.01 * (1 + overhead), 0.0004)) for i in range(n)])


def test_half_width_check_after_a_round_of_30(benchmark):
    """Adaptive rounds recompute this after every round: it must stay far below a round's cost."""
    from otelaudit.plan.adaptive import half_width

    baseline, treated = _rounds(30, 0.02)
    benchmark(half_width, treated, baseline, 0)


def test_merge_of_two_shards_of_100_results(benchmark):
    from otelaudit.discover.environment import describe_environment
    from otelaudit.model import Report, ScanSettings, ScenarioResult
    from otelaudit.plan.sharding import merge

    def shard(index):
        results = tuple(ScenarioResult(f"i{index}-{k}", "d", "1", "s", "ok") for k in range(100))
        return Report("1.0", "0", "now", "scan", describe_environment([]), ScanSettings(10, 0.5, 120, 0, False, shard=f"{index}/2"),
                      results)

    shards = [shard(1), shard(2)]
    benchmark(merge, shards)
