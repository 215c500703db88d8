"""Precision benchmarks, run on this machine, each step written to benchmarks/results/:

  aa        false-positive rate of A/A comparisons (identical sides) at the default settings,
            in time mode or (`--deterministic`) from instruction counts
  planted   detection rate of a planted per-op overhead, in time mode (`--fraction 0.02`)
            or deterministic mode (`--deterministic --fraction 0.01`)

Both sides run the instrumented arm of the `fixture-ok` scenario (tests/fixtures/site);
side B sets FIXTURE_EXTRA_LOOPS=n, with n calibrated so the extra work is the requested
fraction of the operation's cost (a linear fit over two sizes of extra work).

    python benchmarks/precision_benchmarks.py aa --repeats 20
    python benchmarks/precision_benchmarks.py aa --deterministic --repeats 10
    python benchmarks/precision_benchmarks.py planted --fraction 0.02 --repeats 20 --precision 0.5% --budget 120s
    python benchmarks/precision_benchmarks.py planted --deterministic --fraction 0.01 --repeats 10
    python benchmarks/render_readme.py      # the figures section of benchmarks/README.md
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
from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
FIXTURE_SITE = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "site")
sys.path.insert(0, FIXTURE_SITE)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [FIXTURE_SITE, os.environ.get("PYTHONPATH")]))

from host_noise import host_noise  # noqa: E402
from otelaudit.measure import counting  # noqa: E402
from otelaudit.compare.abtest import ABResult, ABSettings, Side, compare_sides  # noqa: E402
from otelaudit.plan.adaptive import StopRule, parse_duration, parse_target  # noqa: E402
from otelaudit.model.codec import to_data  # noqa: E402
from otelaudit.discover.instrumentors import discover_instrumentors, select_targets  # noqa: E402
from otelaudit.pipeline import ScanOptions  # noqa: E402
from otelaudit.plan.options import PRECISION_SECONDS_PER_RUN  # noqa: E402
from otelaudit.run.scenario import ScenarioRun  # noqa: E402
from otelaudit.discover.catalog import load_catalog  # noqa: E402
from otelaudit.run.runner import SubprocessRunner  # noqa: E402
from otelaudit.run.parallel import run_all  # noqa: E402

SCENARIO = "fixture-ok"
DEFAULTS = ScanOptions()


def session() -> ScenarioRun:
    target = select_targets([SCENARIO], discover_instrumentors(), load_catalog().scenarios).targets[0]
    assert target.scenario is not None
    return ScenarioRun(target.scenario, target, DEFAULTS, SubprocessRunner(), {})


def side(label: str, extra: int) -> Side:
    run = session()
    return Side(label, lambda r, ops: run.spec("sdk", r, ops), env={"FIXTURE_EXTRA_LOOPS": str(extra)})


def conditions() -> Dict[str, Any]:
    load = os.getloadavg()
    return {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_1_5_15": [round(x, 2) for x in load], "host_noise": host_noise(),
            "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def summary(results: List[ABResult], deterministic: bool) -> Dict[str, Any]:
    verdicts = [(r.instructions.verdict if deterministic and r.instructions else
                 r.comparison.verdict if r.comparison else "failed") for r in results]
    out: Dict[str, Any] = {"repeats": len(results), "overhead_verdicts": verdicts.count("overhead"),
                           "verdicts": verdicts}
    timed = [r for r in results if r.comparison is not None]
    if timed:
        out["median_estimate_pct"] = round(statistics.median(
            100 * r.comparison.cpu_us_per_op.estimate / r.baseline_cpu_us_per_op for r in timed), 3)  # type: ignore[union-attr]
        out["median_rounds"] = statistics.median(r.precision.rounds for r in timed if r.precision)
        out["median_half_width_pct"] = round(statistics.median(r.precision.half_width_pct for r in timed if r.precision), 3)
        out["median_noise_floor_pct"] = round(statistics.median(r.noise_floor.floor_pct for r in timed if r.noise_floor), 3)
        out["stops"] = sorted({r.precision.stop for r in timed if r.precision})
    out["runs"] = [run_detail(r) for r in results]
    counted = [r.instructions for r in results if r.instructions is not None]
    if counted:
        out["median_instruction_overhead_pct"] = round(statistics.median(100 * (c.ratio - 1) for c in counted), 4)
        out["max_count_spread_pct"] = round(max(c.spread_pct for c in counted), 4)
    return out


def run_detail(r: ABResult) -> Dict[str, Any]:
    detail: Dict[str, Any] = {"failure": r.failure} if r.failure else {}
    if r.comparison is not None and r.precision is not None and r.noise_floor is not None:
        detail.update(verdict=r.comparison.verdict, rounds=r.precision.rounds, stop=r.precision.stop,
                      estimate_pct=round(100 * r.comparison.cpu_us_per_op.estimate / r.baseline_cpu_us_per_op, 3),
                      half_width_pct=round(r.precision.half_width_pct, 3), floor_pct=round(r.noise_floor.floor_pct, 3))
    if r.instructions is not None:
        detail.update(count_verdict=r.instructions.verdict, count_overhead_pct=round(100 * (r.instructions.ratio - 1), 4),
                      count_spread_pct=round(r.instructions.spread_pct, 4))
    return detail


def repeat(count: int, make: Callable[[int, Optional[int]], ABResult], jobs: int = 1) -> List[ABResult]:
    """`jobs` > 1 runs that many repeats at once, each pinned to its own core as `otelaudit scan
    --jobs` pins its jobs' children: the precision of measurements with a neighbour on the other core."""
    def one(index: int, runner: Any) -> ABResult:
        started = time.perf_counter()
        r = make(index, getattr(runner, "cpu", None))
        verdict = r.instructions.verdict if r.instructions else (r.comparison.verdict if r.comparison else r.failure)
        print(f"  {index + 1}/{count}: {verdict} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        return r

    return run_all(list(range(count)), one, jobs)


def settings(args: argparse.Namespace, seed: int, deterministic: bool = False) -> ABSettings:
    target = parse_target(args.precision) if args.precision else None
    budget = parse_duration(args.budget) if args.budget else None
    return ABSettings(StopRule(args.rounds, 200, target, budget), seconds_per_run=args.seconds_per_run,
                      seed=seed, deterministic=deterministic)


def run_aa(args: argparse.Namespace) -> Dict[str, Any]:
    a, b = side("A", BASE_LOOPS), side("A'", BASE_LOOPS)
    if args.deterministic:
        results = repeat(args.repeats, lambda i, cpu: ABResult("A", "A'", 0, instructions=counting_only(a, b, args)))
    else:
        results = repeat(args.repeats, lambda i, cpu: compare_sides(replace(a, cpu=cpu), replace(b, cpu=cpu),
                                                                    settings(args, 1000 + i)), args.jobs)
    return {"settings": vars_of(args), **summary(results, args.deterministic)}


# Both sides run the loop, so B − A is n iterations exactly. Side A's 200 iterations keep
# both in the loop's steady state: in time, a loop of ~100 iterations after a loop of one
# cost ~30 % more per iteration than the slope (5.4 against 4.1 ns, a fixed cost of leaving
# the one-iteration path), which made a "2 %" plant measure 3 %. Instructions are linear.
BASE_LOOPS = 200
WIDE_LOOPS = 4000  # about as costly as the operation itself: the slope is measured far above the noise


def calibrate_extra(fraction: float, deterministic: bool, count_ops: int) -> Dict[str, Any]:
    """n so that n more iterations of FIXTURE_EXTRA_LOOPS than side A's cost `fraction`
    of A's operation: the cost per iteration from A against A + 4000 iterations."""
    base, wide = _cost(deterministic, count_ops)
    slope = (wide - base) / WIDE_LOOPS
    extra = max(1, round(fraction * base / slope))
    return {"base_loops": BASE_LOOPS, "extra_loops": extra, "op_cost": base, "cost_per_unit": slope,
            "unit": "instructions" if deterministic else "µs CPU", "planted_fraction": slope * extra / base}


def _cost(deterministic: bool, count_ops: int) -> Tuple[float, float]:
    """(A's cost per op, A + WIDE_LOOPS's cost per op). In time, the two run interleaved in
    fresh processes, pair by pair, and the slope is the median paired difference (two
    blocks one after the other would put any drift of the machine into the slope)."""
    run = session()
    sizes = (BASE_LOOPS, BASE_LOOPS + WIDE_LOOPS)
    if deterministic:
        method = counting.available_method()
        assert method is not None, "deterministic mode needs valgrind or hardware counters"
        spec = run.spec("sdk", -1, count_ops)  # the per-op count depends a little on N: calibrate at the N measured
        base, wide = (statistics.median(counting.per_op(counting.InstructionCounter(method), spec,
                                                        {"FIXTURE_EXTRA_LOOPS": str(n)}, 600, 3)) for n in sizes)
        return base, wide
    runner, rng = SubprocessRunner(), random.Random(0)
    ops = 20_000  # ~0.3 s per run at this scenario's rate
    pairs: List[Dict[int, float]] = []
    for index in range(15):
        order = list(sizes)
        rng.shuffle(order)
        pairs.append({n: runner.run(run.spec("sdk", index, ops), {"FIXTURE_EXTRA_LOOPS": str(n)}, 120).cpu_us_per_op
                      for n in order})
    base = statistics.median(p[sizes[0]] for p in pairs)
    return base, base + statistics.median(p[sizes[1]] - p[sizes[0]] for p in pairs)


def run_planted(args: argparse.Namespace) -> Dict[str, Any]:
    plant = calibrate_extra(args.fraction, args.deterministic, args.count_ops)
    print(f"planted: {plant}", file=sys.stderr)
    a, b = side("A", BASE_LOOPS), side("B", BASE_LOOPS + plant["extra_loops"])
    if args.deterministic:
        results = repeat(args.repeats, lambda i, cpu: ABResult("A", "B", 0, instructions=counting_only(a, b, args)))
    else:
        results = repeat(args.repeats, lambda i, cpu: compare_sides(replace(a, cpu=cpu), replace(b, cpu=cpu),
                                                                    settings(args, 2000 + i)), args.jobs)
    return {"settings": vars_of(args), "plant": plant, **summary(results, args.deterministic)}


def counting_only(a: Side, b: Side, args: argparse.Namespace) -> Any:
    from otelaudit.compare.abtest import count_sides

    return count_sides(a, b, ABSettings(StopRule(1), count_ops=args.count_ops))


def vars_of(args: argparse.Namespace) -> Dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k != "handler"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    for name, handler in (("aa", run_aa), ("planted", run_planted)):
        step = steps.add_parser(name)
        step.set_defaults(handler=handler)
        step.add_argument("--repeats", type=int, default=20)
        step.add_argument("--rounds", type=int, default=DEFAULTS.rounds)
        step.add_argument("--seconds-per-run", type=float, default=None,
                          help="default: the scan's (0.3 s, or 0.1 s with --precision or --budget, as the CLI)")
        step.add_argument("--precision")
        step.add_argument("--budget")
        step.add_argument("--fraction", type=float, default=0.02)
        step.add_argument("--deterministic", action="store_true")
        step.add_argument("--count-ops", type=int, default=ABSettings.count_ops)
        step.add_argument("--jobs", type=int, default=1, help="repeats run at once, one per core (time mode)")
        step.add_argument("--output", help="results file name (default: the step's name)")
    args = parser.parse_args()
    if args.seconds_per_run is None:
        args.seconds_per_run = PRECISION_SECONDS_PER_RUN if args.precision or args.budget else DEFAULTS.seconds_per_run
    started = time.perf_counter()
    out = {"conditions": conditions(), **args.handler(args)}
    out["conditions"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out["wall_s"] = round(time.perf_counter() - started, 1)
    name = args.output or f"{'planted_' if args.step == 'planted' else 'aa_'}{'det' if args.deterministic else 'time'}"
    name = "aa" if name == "aa_time" else name
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(to_data(out), handle, indent=2)
    os.replace(path + ".tmp", path)
    print(json.dumps({k: v for k, v in out.items() if k != "verdicts"}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
