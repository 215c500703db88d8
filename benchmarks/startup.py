"""otelaudit's own start-up: `otelaudit --help` and `otelaudit list` against `python -c pass`,
fresh processes interleaved in a random order per round, wall and child CPU time, with the
median difference to `python -c pass` and its 95% CI.

    python benchmarks/startup.py [--rounds 30] [--json benchmarks/results/startup.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from typing import Dict, List

from otelaudit.measure import stats

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "otelaudit --help": [shutil.which("otelaudit", path=os.path.dirname(sys.executable)) or "otelaudit", "--help"],
    "otelaudit list": [shutil.which("otelaudit", path=os.path.dirname(sys.executable)) or "otelaudit", "list"],
}


def timed(command: List[str]) -> Dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_ms": wall * 1000, "cpu_ms": cpu * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    rng = random.Random(1)
    samples: Dict[str, List[Dict[str, float]]] = {name: [] for name in COMMANDS}
    for name in COMMANDS:  # warm the file cache
        timed(COMMANDS[name])
    for _ in range(args.rounds):
        order = list(COMMANDS)
        rng.shuffle(order)
        for name in order:
            samples[name].append(timed(COMMANDS[name]))
    result = {}
    for name, runs in samples.items():
        entry = {}
        for key in ("wall_ms", "cpu_ms"):
            values = [r[key] for r in runs]
            base = [r[key] for r in samples["python -c pass"]]
            entry[key] = stats.median_interval(values).__dict__
            entry[f"{key}_over_python"] = stats.paired_difference(values, base).__dict__
        result[name] = entry
        print(f"{name:18} wall {entry['wall_ms']['estimate']:6.1f} ms (+{entry['wall_ms_over_python']['estimate']:.1f} "
              f"[{entry['wall_ms_over_python']['ci_low']:.1f}, {entry['wall_ms_over_python']['ci_high']:.1f}] over "
              f"python -c pass); CPU {entry['cpu_ms']['estimate']:6.1f} ms (+{entry['cpu_ms_over_python']['estimate']:.1f})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"rounds": args.rounds, "python": sys.version.split()[0], "results": result}, handle, indent=2)


if __name__ == "__main__":
    main()
