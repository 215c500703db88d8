"""`otelaudit compare DIST==A [DIST==B]` (an instrumentation, or opentelemetry-sdk/-api
with `--scenario`) or `--contrib A [B]`: its arguments, mapped onto CompareOptions with the stop rule parsed
here, once; the comparison is saved as a Report (`--json`) that `otelaudit report`
renders again. `--fail-on-regression` makes it a release gate."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.compare.audit import CompareOptions

QUICK_ROUNDS, QUICK_SECONDS_PER_RUN = 5, 0.1


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser("compare", help="compare two releases of an instrumentation, or of the SDK and "
                                 "API, each in its own cached environment: otelaudit compare DIST==A [DIST==B]")
    parser.add_argument("versions", nargs="*", metavar="DIST==VERSION",
                        help="one (against the installed version) or two requirement pins of an instrumentation, "
                             "opentelemetry-sdk or opentelemetry-api (api and sdk move together)")
    parser.add_argument("--scenario", action="append", default=[], metavar="NAME", dest="scenarios",
                        help="SDK/API releases: compare this scenario; repeatable (default: the bundled default "
                             "scenarios that install under both releases)")
    parser.add_argument("--contrib", nargs="+", default=[], metavar="LINE",
                        help="compare contrib release lines (e.g. 0.55b0 0.66b1): opentelemetry-instrumentation and "
                             "every installed contrib instrumentation with a scenario move together")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 rounds of 0.1 s runs")
    options.add_all(parser.add_argument, (options.ROUNDS, options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED))
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="also look for distributions here (pip --find-links); repeatable")
    parser.add_argument("--index-url", metavar="URL", help="the package index (default $PIP_INDEX_URL or PyPI)")
    parser.add_argument("--cache-dir", metavar="DIR", help="where the environments are kept "
                        "(default $OTELAUDIT_CACHE or ~/.cache/otelaudit/envs)")
    parser.add_argument("--rebuild", action="store_true", help="build the environments anew, not from the cache")
    outputs.add(parser, json="write the comparison (a report with its comparison section) as JSON here",
                markdown="", html="")
    outputs.add_saving(parser, "compare")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 10 when B is a regression over A on any scenario (the time verdict, or the "
                             "instruction count's with --deterministic): a release gate")
    options.add_all(parser.add_argument, options.PRECISION_OPTIONS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.compare.audit import compare
    from otelaudit.compare.model import regressed, silent
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
    assert report.comparison is not None
    every = (report.comparison, *report.comparison.further)
    failed = [c for c in every if c.result.failure]
    for c in failed:
        print(f"otelaudit: compare: {c.a.scenario.name}: {c.result.failure}", file=sys.stderr)
    if failed:
        return max(written, int(ExitCode.WORKLOAD_CRASHED))
    invalid = [c for c in every if silent(c.a, c.b)]
    for c in invalid:
        print(f"otelaudit: compare: {c.a.scenario.name}: {', '.join(silent(c.a, c.b))} produced no telemetry: "
              "invalid, no overhead figure", file=sys.stderr)
    if invalid:
        return max(written, int(ExitCode.NO_TELEMETRY))
    worse = [c for c in every if regressed(c.result)]
    if args.fail_on_regression and worse:
        names = ", ".join(c.a.scenario.name for c in worse)
        print(f"otelaudit: compare: {worse[0].b.requirement} is a regression over {worse[0].a.requirement} "
              f"({names})", file=sys.stderr)
        return max(written, int(ExitCode.BUDGET_EXCEEDED))
    return written


def compare_options(args: argparse.Namespace) -> "CompareOptions":
    from otelaudit.compare.audit import CompareOptions
    from otelaudit.plan.options import PRECISION_SECONDS_PER_RUN

    chosen = options.keywords(args, (options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED, options.DETERMINISTIC))
    if args.quick:
        chosen.setdefault("seconds_per_run", QUICK_SECONDS_PER_RUN)
    if args.precision or args.budget_s:
        chosen.setdefault("seconds_per_run", PRECISION_SECONDS_PER_RUN)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else CompareOptions.rule.min_rounds)
    rule = options.stop_rule(rounds, args.precision, args.budget_s)
    return CompareOptions(pins=tuple(args.versions), rule=rule, find_links=tuple(args.find_links),
                          cache_dir=args.cache_dir, command=" ".join(["otelaudit", *args.argv]),
                          scenarios=tuple(args.scenarios), index_url=args.index_url, rebuild=args.rebuild,
                          quick=args.quick, contrib=tuple(args.contrib), **chosen)
