"""Which cores measuring children run on. Every measuring child is pinned: a `--jobs`
job's to its own core, and in a one-job run all to one core. Left free to migrate, a
child lands on either vCPU of a shared VM, and their speeds drift apart by up to 2x over
seconds (a neighbour on the host): two identical runs one after the other then differed by
22-27% (IQR of the paired difference), and by 4-6% pinned to one core, 24 pairs each,
alternating, on 2 cores here. Pairs measured on one core see the same drift and cancel it."""

from __future__ import annotations

import os
from typing import List, Optional


def usable_cpus() -> List[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def measuring_core() -> Optional[int]:
    """The last usable core (the first is where the parent, the servers and the rest of the
    machine tend to run); None where pinning is not possible or there is one core."""
    cpus = usable_cpus()
    return cpus[-1] if len(cpus) > 1 and hasattr(os, "sched_setaffinity") else None
