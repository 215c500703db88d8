"""Whole-scan benchmarks, run on this machine, written to benchmarks/results/:

1. wall time of a scan (`--mode quick` or `default`) of the bundled default scenarios, or
   of the planted heavy fixture (`--heavy`), per scenario, with every measuring child's
   mode and wall time, and (heavy) when the root cause was first reported and its rank;
2. `--startup`: what a measuring child costs before any operation (a child of 0
   operations), per scenario and arm, interleaved;
3. the spread of identical-arm (A/A) comparisons (`--aa-scenarios`): the baseline arm run
   twice per round, interleaved, analysed exactly like a real comparison.

    python benchmarks/scan_benchmarks.py --mode quick --label after
    python benchmarks/scan_benchmarks.py --mode default --heavy --label after
    python benchmarks/scan_benchmarks.py --startup --skip-scan
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from typing import Any, Dict, List, Mapping, Optional

from otelaudit.cli.scan import CLI_JOBS
from otelaudit.measure import stats
from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.model import ColdRun, ColdSpec, Report, RunResult, RunSpec, StartRun, StartSpec
from otelaudit.pipeline import ScanOptions, scan
from otelaudit.plan.interleave import interleave, ops_for
from otelaudit.discover.catalog import all_scenarios
from otelaudit.run import forkserver
from otelaudit.run.runner import SubprocessRunner
from otelaudit.servers.running import running_servers

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
DEFAULTS = ("sqlite3", "httpx", "requests", "urllib3", "logging", "starlette", "asyncio")
HEAVY = "planted-heavy"
HEAVY_SITE = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "site")


def _children_cpu_s() -> float:
    """CPU of the waited-for children so far: one run's delta is that child's own CPU,
    which the load of other processes changes far less than its wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class TimedRunner:
    """A SubprocessRunner that notes every child's mode, arm and wall time (spawn to exit)."""

    def __init__(self) -> None:
        self.inner = SubprocessRunner()
        self.children: List[Dict[str, Any]] = []
        self.scenario = ""

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        began, cpu = time.perf_counter(), _children_cpu_s()
        result = self.inner.run(spec, env, timeout_s)
        mode = "whatif" if spec.whatif is not None else spec.mode
        self.children.append({"scenario": spec.scenario_name, "mode": mode, "arm": spec.arm, "ops": spec.ops,
                              "wall_s": round(time.perf_counter() - began, 3), "timed_s": round(result.wall_s, 3),
                              "cpu_s": round(_children_cpu_s() - cpu, 3)})
        return result

    def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun:
        return self.inner.cold(spec, env, timeout_s)

    def start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> StartRun:
        return self.inner.start(spec, env, timeout_s)


def timed_scan(options: ScanOptions) -> Dict[str, Any]:
    """One scan through the pipeline; per scenario its wall time, stages, sizes and
    children, and when a finding was first handed over (the CLI prints it then)."""
    runner, started, cpu = TimedRunner(), time.perf_counter(), time.process_time() + _children_cpu_s()
    first: Dict[str, Dict[str, Any]] = {}

    def on_result(report: Report) -> None:
        for result in report.results:
            if result.findings and result.instrumentor not in first:
                top = result.findings[0]
                site = f"{top.call_site.file.rsplit('/', 1)[-1]}:{top.call_site.line}" if top.call_site else None
                first[result.instrumentor] = {"at_s": round(time.perf_counter() - started, 1), "rule": top.rule,
                                              "site": site, "partial": result.partial}

    # A given runner is shared and never pinned: parallel jobs keep their own (no child log).
    report = scan(options, runner=runner if options.jobs == 1 else None, on_result=on_result,
                  on_progress=lambda m: print(m, file=sys.stderr) if "starting" in m else None)
    total = round(time.perf_counter() - started, 1)
    forkserver.POOL.close()  # forked children are the zygotes' to reap: their CPU counts once the zygotes are
    cpu_total = round(time.process_time() + _children_cpu_s() - cpu, 1)  # the parent's, every child's and server's
    scenarios = {}
    for result in report.results:
        mine = [c for c in runner.children if c["scenario"] == result.scenario]
        top = result.findings[0] if result.findings else None
        scenarios[result.instrumentor] = {
            "status": result.status, "duration_s": result.duration_s,
            "stages": [{"name": s.name, "done_s": s.done_s} for s in result.stages],
            "sizing": None if result.sizing is None else {"ops": result.sizing.ops, "rounds": result.sizing.rounds,
                                                          "startup_s": result.sizing.startup_s},
            "children": len(mine), "children_by_mode": _by_mode(mine),
            "first_finding": first.get(result.instrumentor),
            "final_top": None if top is None else {"rule": top.rule, "site": None if top.call_site is None else
                                                   f"{top.call_site.file.rsplit('/', 1)[-1]}:{top.call_site.line}"},
            "warnings": list(result.warnings),
        }
    return {"total_s": total, "cpu_s": cpu_total, "scenarios": scenarios, "child_log": runner.children}


def _by_mode(children: List[Dict[str, Any]]) -> Dict[str, Dict[str, float]]:
    modes: Dict[str, Dict[str, float]] = {}
    for child in children:
        entry = modes.setdefault(child["mode"], {"count": 0, "wall_s": 0.0, "cpu_s": 0.0})
        entry["count"] += 1
        entry["wall_s"] = round(entry["wall_s"] + child["wall_s"], 2)
        entry["cpu_s"] = round(entry["cpu_s"] + child["cpu_s"], 2)
    return modes


def startup_costs(names: List[str], repeats: int) -> Dict[str, Dict[str, Dict[str, float]]]:
    """Median wall and CPU of a measuring child that runs no operation, per scenario and
    arm, the arms interleaved: what every child pays before its first operation."""
    out: Dict[str, Dict[str, Dict[str, float]]] = {}
    runner, options = SubprocessRunner(), ScanOptions.quick_defaults()
    from otelaudit.run.scenario import ScenarioRun

    for name in names:
        target = select_targets([name], discover_instrumentors(), all_scenarios()).targets[0]
        assert target.scenario is not None
        with running_servers(target.scenario.servers) as servers:
            session = ScenarioRun(target.scenario, target, options, runner, servers)
            walls: Dict[str, List[float]] = {"baseline": [], "sdk": []}
            cpus: Dict[str, List[float]] = {"baseline": [], "sdk": []}
            for round_index, arm in interleave(repeats, random.Random(0), ["baseline", "sdk"]):
                spec = replace(session.spec(arm, round_index, 0), warmup_ops=0, memory_ops=0)  # type: ignore[arg-type]
                began, cpu = time.perf_counter(), _children_cpu_s()
                session.run(spec)
                walls[arm].append(time.perf_counter() - began)
                cpus[arm].append(_children_cpu_s() - cpu)
        out[name] = {arm: {"wall_s": round(statistics.median(walls[arm]), 3),
                           "cpu_s": round(statistics.median(cpus[arm]), 3)} for arm in walls}
        print(f"start-up {name}: {out[name]}", file=sys.stderr)
    return out


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


def _load_sampler(samples: List[float], stop: threading.Event) -> None:
    while not stop.wait(5.0):
        samples.append(os.getloadavg()[0])


def _commit() -> Optional[str]:
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("quick", "default"), default="default")
    parser.add_argument("--heavy", action="store_true", help=f"scan the planted heavy fixture ({HEAVY}) instead")
    parser.add_argument("--targets", nargs="*", default=list(DEFAULTS))
    parser.add_argument("--label", default="after", help="before/after: kept side by side in the results file")
    parser.add_argument("--rounds", type=int, default=None, help="default: the mode's own (10, or 5 with quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=CLI_JOBS, help=f"default: the CLI's ({CLI_JOBS})")
    parser.add_argument("--startup", action="store_true", help="also time children of 0 operations")
    parser.add_argument("--startup-repeats", type=int, default=10)
    parser.add_argument("--startup-scenarios", nargs="*", default=["sqlite3", "httpx"])
    parser.add_argument("--aa-repeats", type=int, default=10)
    parser.add_argument("--aa-scenarios", nargs="*", default=[])
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if args.heavy:  # the fixture's distributions, for this process's discovery and the children alike
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [HEAVY_SITE, os.environ.get("PYTHONPATH")]))
        sys.path.insert(0, HEAVY_SITE)
    targets = [HEAVY] if args.heavy else args.targets
    conditions: Dict[str, Any] = {"machine": platform.platform(), "cpus": os.cpu_count(),
                                  "python": platform.python_version(), "commit": _commit(),
                                  "load_average_before": [round(x, 2) for x in os.getloadavg()],
                                  "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    samples: List[float] = []
    stop = threading.Event()
    threading.Thread(target=_load_sampler, args=(samples, stop), daemon=True).start()
    if not args.skip_scan:
        overrides: Dict[str, Any] = {"targets": tuple(targets), "seed": args.seed}
        if args.rounds:
            overrides["rounds"] = args.rounds
        overrides["jobs"] = args.jobs
        options = ScanOptions.quick_defaults(**overrides) if args.mode == "quick" else ScanOptions(**overrides)
        measured = timed_scan(options)
        stop.set()
        conditions["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        conditions["load_1min_median_during"] = round(statistics.median(samples), 2) if samples else None
        name = f"scan_time_{'heavy_' if args.heavy else ''}{args.mode}"
        _store(name, args.label, {"conditions": conditions, "targets": targets, "rounds": options.rounds,
                                  "jobs": options.jobs,
                                  "command": " ".join(["python benchmarks/scan_benchmarks.py", *sys.argv[1:]]),
                                  **measured})
        print(f"{name} [{args.label}]: {measured['total_s']} s ({measured['cpu_s']} s CPU) "
              + ", ".join(f"{k} {v['duration_s']:.1f} s/{v['children']} children" for k, v in measured["scenarios"].items()))
    if args.startup:
        _store("child_startup", args.label, {"conditions": conditions, "repeats": args.startup_repeats,
                                             "median": startup_costs(list(args.startup_scenarios), args.startup_repeats)})
    if args.aa_scenarios:
        _store("scan_aa", args.label, {"conditions": conditions, "aa": aa_section(args)})
    return 0


def aa_section(args: argparse.Namespace) -> Dict[str, Any]:
    aa: Dict[str, Any] = {}
    for name in args.aa_scenarios:
        runs = [aa_comparison(name, args.rounds or 10, seed) for seed in range(args.aa_repeats)]
        widths = [r["ci_high_pct"] - r["ci_low_pct"] for r in runs]
        aa[name] = {"repeats": len(runs), "false_overhead_verdicts": sum(r["verdict"] == "overhead" for r in runs),
                    "median_abs_estimate_pct": round(statistics.median(abs(r["estimate_pct"]) for r in runs), 3),
                    "median_ci_width_pct": round(statistics.median(widths), 3), "runs": runs}
    return aa


def _store(name: str, label: str, data: Dict[str, Any]) -> None:
    """results/NAME.json holds one entry per label (before, after …), so a re-run of one
    label never loses the other."""
    path = os.path.join(RESULTS, f"{name}.json")
    existing: Dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            existing = json.load(handle)
    existing[label] = data
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(existing, handle, indent=1)
    os.replace(path + ".tmp", path)
    print(f"written to {path} [{label}]", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
