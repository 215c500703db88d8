"""What a `compare` command line asks for, checked before anything is built: `DIST==A
[DIST==B]` of one distribution, where releases come from (`--find-links`, `--index-url`)
and where environments are kept; each release is looked up on the index first, so a
version that does not exist or an unreachable index fails in a second, nothing cached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from otelaudit.compare import index
from otelaudit.errors import UsageError
from otelaudit.model import Version
from otelaudit.scenarios.sdk import SDK_FAMILY as SDK_FAMILY

Pair = Tuple[Version, Version]
INSTRUMENTATION = ("opentelemetry.instrumentation.instrumentor",)  # what every instrumentor's base class needs


@dataclass(frozen=True)
class Sources:
    """Where releases come from and where their environments are kept."""

    find_links: Tuple[str, ...] = ()
    index_url: Optional[str] = None
    cache_dir: Optional[str] = None
    rebuild: bool = False


def parse_pin(text: str) -> Tuple[str, str]:
    name, sep, version = text.partition("==")
    if not sep or not name.strip() or not version.strip() or any(c in version for c in "<>=!~*,;"):
        raise UsageError(f"expected DIST==VERSION, got {text!r}")
    return name.strip(), version.strip()


def parse_pins(pins: Sequence[str]) -> Tuple[str, Tuple[str, ...]]:
    """(the distribution, its versions): one or two of the same distribution."""
    if len(pins) not in (1, 2):
        raise UsageError("compare takes DIST==A and optionally DIST==B (or --contrib A [B])")
    parsed = [parse_pin(p) for p in pins]
    if len({index.canonical(name) for name, _ in parsed}) != 1:
        raise UsageError(f"both versions must be of the same distribution, got {parsed[0][0]} and {parsed[1][0]}")
    return parsed[0][0], tuple(version for _, version in parsed)


def checked_release(distribution: str, versions: Sequence[str], sources: Sources) -> None:
    url = index.index_url(sources.index_url)
    for version in versions:
        index.check_release(distribution, version, url, sources.find_links)
