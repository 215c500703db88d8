"""`otelaudit report RESULT.json`: renders a saved report again — a scan's, a cold
start's or a comparison's — in any registered format, chosen by `--format` or by the
extension of `-o PATH`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.model import Report

DEFAULT_FORMAT = "markdown"


def add_parser(commands: Any, epilog: str) -> None:
    from otelaudit.render.registry import NAMES

    parser = commands.add_parser("report", help="render a saved JSON report again")
    parser.add_argument("path", metavar="RESULT.json")
    parser.add_argument("--format", choices=NAMES, help="markdown (an upstream issue; the default), html "
                        "(self-contained page), json, text, speedscope (profiles for speedscope.app); "
                        "without it, the extension of --output decides")
    parser.add_argument("--output", "-o", metavar="PATH", help="write here (atomically) instead of stdout")
    options.WIDE.add(parser.add_argument)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.errors import ExitCode
    from otelaudit.render.registry import choose

    if args.output:
        outputs.check_writable(args.output, "--output")
    report = load(args.path)
    renderer = choose(args.format, args.output, DEFAULT_FORMAT)
    if renderer.name == "text" and not args.output:
        outputs.show(report, wide=bool(args.wide))
    elif args.output:
        return 0 if outputs.save_or_say(args.output, report, renderer) else int(ExitCode.OUTPUT_FAILED)
    else:
        print(renderer.render(report))
    return 0


def load(path: str) -> "Report":
    """A saved report, or a usage error that says why it is not one."""
    from otelaudit.errors import UsageError
    from otelaudit.model import files

    try:
        with open(path, encoding="utf-8") as handle:
            report = files.loads(handle.read())
    except OSError as error:
        raise UsageError(f"cannot read a report from {path}: {error.strerror or error}") from error
    except ValueError as error:  # ReportFormatError, or bytes that are not UTF-8
        raise UsageError(f"cannot read a report from {path}: {error}") from error
    warning = files.newer_minor(report)
    if warning:
        print(f"otelaudit: warning: {warning}", file=sys.stderr)
    return report
