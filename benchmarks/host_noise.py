"""How steady this machine's CPU is, apart from otelaudit: a fixed pure-Python loop timed
(process CPU) in fresh interpreters. On a shared VM the host's contention and frequency
move it by several percent between processes, and every time-mode figure with it; a
benchmark records it beside its results so a reader can tell the machine from the tool."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Dict

LOOP = ("import time\nt = time.process_time()\nx = 0\nfor i in range(1_000_000):\n    x += i\n"
        "print(time.process_time() - t)")


def host_noise(processes: int = 9) -> Dict[str, float]:
    """The loop's median CPU (ms) and its spread between processes (IQR, % of the median)."""
    seconds = [float(subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, check=True).stdout)
               for _ in range(processes)]
    q1, _, q3 = statistics.quantiles(seconds, n=4)
    middle = statistics.median(seconds)
    return {"loop_ms": round(middle * 1e3, 1), "iqr_pct": round(100 * (q3 - q1) / middle, 1),
            "range_pct": round(100 * (max(seconds) - min(seconds)) / middle, 1), "processes": processes}


if __name__ == "__main__":
    print(host_noise())
