"""`--shard I/N` and `otelaudit merge`: a scan split over N CI jobs, one report each,
merged into the report one unsharded scan would have written. Target k (in selection
order) belongs to shard k mod N + 1, so merging interleaves the shards back; targets
that name nothing installed are reported once, by shard 1."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import List, Sequence, Tuple, TypeVar

from otelaudit.model import Report, ScenarioResult

T = TypeVar("T")


def parse_shard(text: str) -> Tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"shard must be I/N with 1 ≤ I ≤ N, e.g. 1/4; got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shard_of(items: Sequence[T], shard: Tuple[int, int]) -> List[T]:
    index, count = shard
    return [item for position, item in enumerate(items) if position % count == index - 1]


def merge(reports: Sequence[Report]) -> Report:
    """One report from the shards of one scan (in any order); raises ValueError when
    they are not shards of the same scan."""
    if not reports:
        raise ValueError("nothing to merge")
    shards = sorted(reports, key=_shard_index)
    _check_compatible(shards)
    first = shards[0]
    unknown = _dedupe([r for s in shards for r in s.results if _is_unknown(r)])
    measured = [[r for r in s.results if not _is_unknown(r)] for s in shards]
    warnings = list(_dedupe_text([w for s in shards for w in s.warnings]))
    if len({tuple(sorted(s.environment.packages.items())) for s in shards}) > 1:
        warnings.append("shards ran with different installed packages: compare their environments before trusting "
                        "differences between scenarios")
    return replace(first, created=max(s.created for s in shards), results=tuple(unknown + _interleave(measured)),
                   settings=replace(first.settings, shard=None), warnings=tuple(warnings),
                   command=first.command)


def _shard_index(report: Report) -> int:
    shard = report.settings.shard
    return parse_shard(shard)[0] if shard else 1


def _check_compatible(shards: Sequence[Report]) -> None:
    counts = {parse_shard(s.settings.shard)[1] if s.settings.shard else 1 for s in shards}
    indices = [_shard_index(s) for s in shards]
    if len(counts) != 1 or sorted(indices) != list(range(1, len(shards) + 1)) or counts != {len(shards)}:
        found = ", ".join(s.settings.shard or "unsharded" for s in shards)
        raise ValueError(f"expected shards 1/N … N/N of one scan, got: {found}")
    keys = {(s.schema_version, s.settings.rounds, s.settings.seed, s.settings.seconds_per_run, s.settings.quick,
             s.settings.precision_target, s.settings.deterministic) for s in shards}
    if len(keys) != 1:
        raise ValueError("the shards were scanned with different settings or schema versions (use the same "
                         "command and --seed for every shard)")


def _interleave(columns: Sequence[Sequence[ScenarioResult]]) -> List[ScenarioResult]:
    merged: List[ScenarioResult] = []
    for row in range(max((len(c) for c in columns), default=0)):
        merged.extend(column[row] for column in columns if row < len(column))
    return merged


def _is_unknown(result: ScenarioResult) -> bool:
    return result.failure is not None and result.failure.kind == "unknown-target"


def _dedupe(results: Sequence[ScenarioResult]) -> List[ScenarioResult]:
    seen, kept = set(), []
    for result in results:
        if result.instrumentor not in seen:
            seen.add(result.instrumentor)
            kept.append(result)
    return kept


def _dedupe_text(items: Sequence[str]) -> List[str]:
    return list(dict.fromkeys(items))
