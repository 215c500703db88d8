"""`otelaudit merge SHARD.json ... --json OUT.json`: one report from the shards of one
scan (otelaudit.plan.sharding refuses shards of different scans)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from otelaudit.cli import outputs


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser("merge", help="merge the JSON reports of a sharded scan into one")
    parser.add_argument("paths", nargs="+", metavar="SHARD.json")
    parser.add_argument("--json", metavar="PATH", required=True, help="write the merged JSON report here")
    outputs.add(parser, json="", markdown="also write a markdown report")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.errors import UsageError
    from otelaudit.model import files
    from otelaudit.plan.sharding import merge

    outputs.check(args)
    try:
        reports = [files.loads(Path(path).read_text(encoding="utf-8")) for path in args.paths]
        merged = merge(reports)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot merge: {error}") from error
    written = outputs.write(args, merged)
    print(f"merged {len(reports)} shard(s), {len(merged.results)} result(s) into {args.json}")
    return written
