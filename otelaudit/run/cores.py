"""Which cores measuring children run on. Every measuring child is pinned: a `--jobs`
job's to its own core, and in a one-job run all to one core. Left free to migrate, a
child lands on either vCPU of a shared VM, and their paces drift apart by up to 2x over
seconds (a neighbour on the host): two identical runs one after the other then differed by
22-27% (IQR of the paired difference), and by 4-6% pinned to one core, 24 pairs each,
alternating, on 2 cores here. Pairs measured on one core see the same drift and cancel it.

A one-job run claims its core with an advisory lock, so that several audits on one
machine (two test workers, two scans) spread over the cores instead of all taking the
same one; when every core is claimed, it shares the last. Runs under a counting tool are
not pinned: instructions do not depend on the core, and Valgrind's thread scheduling on one
core made one counted run in a few retire ~3% more (a cyclic collection more)."""

from __future__ import annotations

import os
from typing import IO, List, Optional

# Shared by every process on the machine (not tempfile's directory, which a process may point elsewhere).
_LOCKS = os.environ.get("TMPDIR") or "/tmp"

_claimed: List[IO[str]] = []  # the lock files this process holds, open until it exits
_core: List[Optional[int]] = []


def usable_cpus() -> List[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def measuring_core() -> Optional[int]:
    """This process's core for the children of a one-job run, claimed once: the last
    unclaimed usable core (the first is where the rest of the machine tends to run); None
    where pinning is not possible or there is one core."""
    if not _core:
        _core.append(_claim())
    return _core[0]


def _claim() -> Optional[int]:
    cpus = usable_cpus()
    if len(cpus) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    try:
        import fcntl
    except ImportError:
        return cpus[-1]
    for cpu in reversed(cpus):
        try:
            handle = open(os.path.join(_LOCKS, f"otelaudit-core-{cpu}.lock"), "a")
        except OSError:
            return cpus[-1]
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _claimed.append(handle)
        return cpu
    return cpus[-1]
