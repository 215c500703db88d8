"""Whole-scan benchmarks, run on this machine, written to benchmarks/results/:

1. wall time of a default scan, per bundled scenario;
2. the spread of identical-arm (A/A) comparisons: the baseline arm run twice per round,
   interleaved, analysed exactly like a real comparison. Its false "overhead" verdicts
   estimate the false-positive rate; its interval widths are the noise floor.

    python benchmarks/scan_benchmarks.py [--aa-repeats 10] [--rounds 10] [--skip-scan]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from typing import Dict, List

from otelaudit.measure import stats
from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.pipeline import ScanOptions, scan
from otelaudit.model import RunSpec
from otelaudit.plan.interleave import ops_for
from otelaudit.discover.catalog import all_scenarios
from otelaudit.run.runner import SubprocessRunner
from otelaudit.servers.running import running_servers

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def default_scan_timings(rounds: int) -> Dict[str, float]:
    report = scan(ScanOptions(rounds=rounds), on_progress=lambda m: print(m, file=sys.stderr) if "starting" in m else None)
    return {r.instrumentor: r.duration_s for r in report.results if r.status == "ok"}


def aa_comparison(name: str, rounds: int, seed: int, seconds: float = 0.5) -> Dict[str, float]:
    """One A/A comparison: two baseline runs per round, in random order."""
    target = select_targets([name], discover_instrumentors(), all_scenarios()).targets[0]
    scenario, runner = target.scenario, SubprocessRunner()
    assert scenario is not None
    with running_servers(scenario.servers) as servers:
        def spec(round_index: int, ops: int, mode: str = "measure") -> RunSpec:
            return RunSpec(scenario.workload.__module__, scenario.name, "baseline", round_index, ops,
                           max(ops // 10, 16), scenario.concurrency, servers=servers, mode=mode,  # type: ignore[arg-type]
                           calibrate_s=0.3, memory_ops=5)

        rate = runner.run(spec(-1, 0, "calibrate"), dict(scenario.env), 120).throughput
        ops = ops_for(rate, seconds)
        a: List[float] = []
        b: List[float] = []
        rng = random.Random(seed)
        for round_index in range(rounds):
            pair = [a, b]
            rng.shuffle(pair)
            for side in pair:
                side.append(runner.run(spec(round_index, ops), dict(scenario.env), 120).cpu_us_per_op)
    diff = stats.paired_difference(b, a)
    level = stats.median(a)
    return {"estimate_pct": 100 * diff.estimate / level, "ci_low_pct": 100 * diff.ci_low / level,
            "ci_high_pct": 100 * diff.ci_high / level, "verdict": stats.verdict(diff, level, rounds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aa-repeats", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--aa-scenarios", nargs="*", default=["sqlite3", "httpx"])
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--output", default="scan_benchmarks.json", help="results file name in benchmarks/results")
    args = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    out: Dict[str, object] = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                              "rounds": args.rounds, "load_average_before": os.getloadavg(),
                              "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if not args.skip_scan:
        started = time.perf_counter()
        out["default_scan_seconds_per_scenario"] = default_scan_timings(args.rounds)
        out["default_scan_total_seconds"] = round(time.perf_counter() - started, 1)
    aa: Dict[str, object] = {}
    for name in args.aa_scenarios:
        runs = [aa_comparison(name, args.rounds, seed) for seed in range(args.aa_repeats)]
        widths = [r["ci_high_pct"] - r["ci_low_pct"] for r in runs]
        aa[name] = {
            "repeats": len(runs),
            "false_overhead_verdicts": sum(r["verdict"] == "overhead" for r in runs),
            "median_abs_estimate_pct": round(statistics.median(abs(r["estimate_pct"]) for r in runs), 3),
            "median_ci_width_pct": round(statistics.median(widths), 3),
            "runs": runs,
        }
        print(f"A/A {name}: {aa[name]['false_overhead_verdicts']}/{len(runs)} false 'overhead' verdicts, "
              f"median |estimate| {aa[name]['median_abs_estimate_pct']}%, median CI width {aa[name]['median_ci_width_pct']}%")
    out["aa"] = aa
    out["load_average_after"] = os.getloadavg()
    path = os.path.join(RESULTS, args.output)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(out, handle, indent=2)
    print(json.dumps({k: v for k, v in out.items() if k != "aa"}, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
