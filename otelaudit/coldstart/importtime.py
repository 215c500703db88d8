"""Reads `python -X importtime` output: the lines between two markers become entries with
their importer chain (importtime prints children before their parent, one indent level
deeper), and runs of two arms are aggregated and diffed module by module."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from otelaudit.model import ImportEntry, ModuleCost
from otelaudit.measure.stats import median

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")
_Node = Tuple[str, int, int, List[Any]]  # module, self µs, cumulative µs, children


def between(stderr: str, start: str, end: str) -> List[str]:
    """The lines of `stderr` after the line `start` and before the line `end`."""
    lines = stderr.splitlines()
    try:
        first = lines.index(start) + 1
    except ValueError:
        return []
    last = lines.index(end, first) if end in lines[first:] else len(lines)
    return lines[first:last]


def parse(lines: Iterable[str]) -> Tuple[ImportEntry, ...]:
    """Entries in import order (parents after children, as printed), each with its chain."""
    pending: Dict[int, List[_Node]] = {}
    for line in lines:
        match = LINE.match(line)
        if match is None:
            continue
        level = len(match.group(3)) // 2
        node: _Node = (match.group(4), int(match.group(1)), int(match.group(2)), pending.pop(level + 1, []))
        pending.setdefault(level, []).append(node)
    roots = [node for level in sorted(pending) for node in pending[level]]
    entries: List[ImportEntry] = []
    for root in roots:
        _walk(root, (), entries)
    return tuple(entries)


def _walk(node: _Node, above: Tuple[str, ...], into: List[ImportEntry]) -> None:
    module, self_us, cumulative_us, children = node
    chain = above + (module,)
    for child in children:
        _walk(child, chain, into)
    into.append(ImportEntry(module, self_us, cumulative_us, chain))


def added_modules(instrumented: Sequence[Sequence[ImportEntry]], baseline: Sequence[Sequence[ImportEntry]],
                  owner_of: Optional[Dict[str, str]] = None) -> List[ModuleCost]:
    """Modules imported in the instrumented runs but in no baseline run, with median
    self and cumulative milliseconds over the instrumented runs that imported them."""
    seen_in_baseline = {entry.module for run in baseline for entry in run}
    samples: Dict[str, List[ImportEntry]] = {}
    for run in instrumented:
        for entry in run:
            if entry.module not in seen_in_baseline:
                samples.setdefault(entry.module, []).append(entry)
    costs = []
    for module, entries in samples.items():
        chains: Dict[Tuple[str, ...], int] = {}
        for entry in entries:
            chains[entry.chain] = chains.get(entry.chain, 0) + 1
        costs.append(ModuleCost(
            module=module,
            self_ms=median([e.self_us for e in entries]) / 1000.0,
            cumulative_ms=median([e.cumulative_us for e in entries]) / 1000.0,
            chain=max(chains, key=lambda c: chains[c]),
            distribution=(owner_of or {}).get(module),
            runs=len(entries),
        ))
    return sorted(costs, key=lambda c: -c.self_ms)


def by_distribution(costs: Iterable[ModuleCost]) -> Dict[str, float]:
    """Self milliseconds summed per owning distribution (unknown owners under "?")."""
    totals: Dict[str, float] = {}
    for cost in costs:
        key = cost.distribution or "?"
        totals[key] = totals.get(key, 0.0) + cost.self_ms
    return dict(sorted(((k, round(v, 3)) for k, v in totals.items()), key=lambda kv: -kv[1]))
