"""`otelaudit list`: installed instrumentors and the scenarios that cover them. It reads
metadata only, so it stays as fast as `--help`."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser("list", help="installed instrumentors and the scenarios that cover them")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.render.listing import render_listing

    print(render_listing())
    return 0
