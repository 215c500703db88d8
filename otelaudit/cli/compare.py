"""`otelaudit compare DIST==A [DIST==B]`: its arguments, mapped onto CompareOptions with
the stop rule parsed here, once; the comparison is saved as a Report (`--json`) that
`otelaudit report` renders again. `--fail-on-regression` makes it a release gate."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.compare.audit import CompareOptions


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser("compare", help="compare two versions of an instrumentation, each in its own "
                                 "cached environment: otelaudit compare DIST==A [DIST==B]")
    parser.add_argument("versions", nargs="+", metavar="DIST==VERSION",
                        help="one (against the installed version) or two requirement pins")
    options.add_all(parser.add_argument, (options.ROUNDS, options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED))
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="also look for distributions here (pip --find-links); repeatable")
    parser.add_argument("--cache-dir", metavar="DIR", help="where the environments are kept "
                        "(default $OTELAUDIT_CACHE or ~/.cache/otelaudit/envs)")
    outputs.add(parser, json="write the comparison (a report with its comparison section) as JSON here",
                markdown="", html="")
    outputs.add_saving(parser, "compare")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 10 when B is a regression over A (the time verdict, or the instruction "
                             "count's with --deterministic): a release gate")
    options.add_all(parser.add_argument, options.PRECISION_OPTIONS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.compare.audit import compare
    from otelaudit.compare.model import regressed
    from otelaudit.errors import ExitCode
    from otelaudit.run.progress import ProgressPrinter

    outputs.check(args)
    progress = ProgressPrinter(enabled=not args.quiet)

    def note(message: str) -> None:  # building an environment takes a while: always say so
        if not args.quiet:
            print(f"otelaudit: {message}", file=sys.stderr)

    report = compare(compare_options(args), on_progress=progress, on_note=note)
    progress.done()
    outputs.show(report)
    written = outputs.write(args, report)
    comparison = report.comparison
    assert comparison is not None
    if comparison.result.failure:
        print(f"otelaudit: compare: {comparison.result.failure}", file=sys.stderr)
        return max(written, int(ExitCode.WORKLOAD_CRASHED))
    if args.fail_on_regression and regressed(comparison.result):
        print(f"otelaudit: compare: {comparison.b.requirement} is a regression over {comparison.a.requirement}",
              file=sys.stderr)
        return max(written, int(ExitCode.BUDGET_EXCEEDED))
    return written


def compare_options(args: argparse.Namespace) -> "CompareOptions":
    from otelaudit.compare.audit import CompareOptions

    chosen = options.keywords(args, (options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED, options.DETERMINISTIC))
    rule = options.stop_rule(args.rounds or CompareOptions.rule.min_rounds, args.precision, args.budget_s)
    return CompareOptions(pins=tuple(args.versions), rule=rule, find_links=tuple(args.find_links),
                          cache_dir=args.cache_dir, command=" ".join(["otelaudit", *args.argv]), **chosen)
