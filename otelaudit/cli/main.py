"""The `otelaudit` command: a dispatcher from subcommands to the pipeline. Heavy modules
are imported inside the subcommand that needs them, so `--help` and `list` stay fast."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from otelaudit import __version__
from otelaudit.cli import coldstart as coldstart_cli

if TYPE_CHECKING:
    from otelaudit.gate.budgets import Budget
    from otelaudit.model import Report
    from otelaudit.pipeline import ScanOptions

EXIT_CODES_HELP = """exit codes:
  0 all targets measured with valid telemetry   5 target library not installed
  1 internal error                              6 instrumented arm produced no telemetry
  2 usage error                                 7 instrument() raised
  3 unknown target                              8 workload crashed
  4 no scenario covers a target                 9 workload timed out
                                               10 a --fail-on budget was exceeded
When several occur, the largest code wins. Codes 4 and 5 count only for targets named
on the command line."""


def _renderer(module: str, function: str = "render") -> "Callable[[], Callable[[Report], str]]":
    """A renderer, imported only when chosen."""
    return lambda: getattr(importlib.import_module(f"otelaudit.{module}"), function)


RENDERERS = {"markdown": _renderer("render.markdown"), "html": _renderer("render.html"),
             "json": _renderer("model.files", "dumps"),
             "text": _renderer("render.terminal"), "speedscope": _renderer("render.speedscope")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelaudit",
        description="Audit the overhead OpenTelemetry instrumentations add to Python services.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"otelaudit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan = commands.add_parser(
        "scan", help="measure instrumentation overhead (all installed instrumentors by default)",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("targets", nargs="*", metavar="TARGET",
                      help="instrumentor entry-point name (e.g. httpx) or distribution name")
    scan.add_argument("--rounds", type=_positive_int, help="interleaved rounds per scenario (default 10; 5 with --quick)")
    scan.add_argument("--quick", action="store_true", help="a smoke run of a few seconds per scenario")
    scan.add_argument("--json", metavar="PATH", help="write the JSON report here (atomically, after every scenario)")
    scan.add_argument("--markdown", metavar="PATH", help="write a markdown report, ready to paste into an upstream issue")
    scan.add_argument("--html", metavar="PATH", help="write a self-contained HTML report (chart, flame graphs)")
    scan.add_argument("--seconds-per-run", type=_positive_float, metavar="S",
                      help="timed phase of each measuring process (default 0.5; 0.1 with --quick)")
    scan.add_argument("--timeout", type=_positive_float, default=120.0, metavar="S",
                      help="kill a measuring process after this many seconds (default 120)")
    scan.add_argument("--seed", type=int, help="seed for the round order, for a reproducible plan")
    scan.add_argument("--ignore", action="append", default=[], metavar="RULE",
                      help="silence a finding rule by its id (e.g. OA107); repeatable")
    scan.add_argument("--fail-on", action="append", default=[], metavar="BUDGET",
                      help="exit 10 when a budget is exceeded: max_cpu_us_per_op=50, max_cpu_ratio=2, "
                           "max_latency_p99_us=500, max_calls_per_op:package-metadata=0, forbid_rules=OA101; "
                           "repeatable; judged on the whole 95%% interval")
    scan.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_precision_arguments(scan)
    scan.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                      help="audit N targets at once, one per core (capped at the usable cores)")
    scan.add_argument("--shard", metavar="I/N", help="scan only shard I of N (a CI matrix job); combine the "
                      "shards' JSON reports with `otelaudit merge` (implies --seed 0 unless given)")
    scan.set_defaults(handler=run_scan)

    merge = commands.add_parser("merge", help="merge the JSON reports of a sharded scan into one")
    merge.add_argument("paths", nargs="+", metavar="SHARD.json")
    merge.add_argument("--json", metavar="PATH", required=True, help="write the merged JSON report here")
    merge.add_argument("--markdown", metavar="PATH", help="also write a markdown report")
    merge.set_defaults(handler=run_merge)

    compare = commands.add_parser("compare", help="compare two versions of an instrumentation, each in its own "
                                  "cached environment: otelaudit compare DIST==A [DIST==B]")
    compare.add_argument("versions", nargs="+", metavar="DIST==VERSION",
                         help="one (against the installed version) or two requirement pins")
    compare.add_argument("--rounds", type=_positive_int, default=10, help="interleaved rounds at least (default 10)")
    compare.add_argument("--seconds-per-run", type=_positive_float, default=0.5, metavar="S")
    compare.add_argument("--timeout", type=_positive_float, default=120.0, metavar="S")
    compare.add_argument("--seed", type=int, default=0)
    compare.add_argument("--find-links", action="append", default=[], metavar="DIR",
                         help="also look for distributions here (pip --find-links); repeatable")
    compare.add_argument("--cache-dir", metavar="DIR", help="where the environments are kept "
                         "(default $OTELAUDIT_CACHE or ~/.cache/otelaudit/envs)")
    compare.add_argument("--json", metavar="PATH", help="write the comparison as JSON here")
    compare.add_argument("--quiet", action="store_true", help="no progress on stderr")
    compare.add_argument("--fail-on-regression", action="store_true",
                         help="exit 10 when B is a regression over A (the time verdict, or the instruction "
                              "count's with --deterministic): a release gate")
    add_precision_arguments(compare)
    compare.set_defaults(handler=run_compare)

    report = commands.add_parser("report", help="render a saved JSON report again")
    report.add_argument("path", metavar="RESULT.json")
    report.add_argument("--format", choices=tuple(RENDERERS), default="markdown",
                        help="markdown (an upstream issue), html (self-contained page), json, text, "
                             "speedscope (profiles for speedscope.app)")
    report.add_argument("--output", "-o", metavar="PATH", help="write here (atomically) instead of stdout")
    report.set_defaults(handler=run_report)

    listing = commands.add_parser("list", help="installed instrumentors and the scenarios that cover them")
    listing.set_defaults(handler=run_list)
    coldstart_cli.add_parser(commands, EXIT_CODES_HELP)
    return parser


def add_precision_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", metavar="TARGET", help="add rounds until the overhead's 95%% CI half-width "
                        "is this small: 2%% (of the baseline CPU per op) or 3us")
    parser.add_argument("--budget", metavar="TIME", help="... or until this much time has gone on the rounds of "
                        "a scenario (e.g. 60s, 2m); the report says which stopped them")
    parser.add_argument("--no-control", action="store_true",
                        help="skip the identical A/A arm that measures the noise floor (faster, less honest)")
    parser.add_argument("--deterministic", action="store_true", help="also count instructions per operation "
                        "(hardware counters, else Valgrind) and report them beside time")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    args.argv = arguments
    from otelaudit.errors import OtelauditError

    try:
        return int(args.handler(args))
    except OtelauditError as error:
        print(f"otelaudit: error: {error}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("otelaudit: interrupted (results written so far are kept)", file=sys.stderr)
        return 130


def run_scan(args: argparse.Namespace) -> int:
    from otelaudit.errors import exit_code_for
    from otelaudit.pipeline import scan
    from otelaudit.run.progress import ProgressPrinter
    from otelaudit.render.terminal import render, triage_lines
    from otelaudit.model.files import write_report

    budget = _budget(args.fail_on)
    options = _scan_options(args)
    progress = ProgressPrinter(enabled=not args.quiet)

    def on_result(report: "Report") -> None:
        if args.json:
            write_report(args.json, report)
        for result in (r for r in report.results if r.partial):  # triage findings, before the timed rounds
            progress.news(triage_lines(result), key=result.instrumentor)

    report = scan(options, on_progress=progress, on_result=on_result)
    progress.done()
    if args.json:
        write_report(args.json, report)
    for path, kind in ((args.markdown, "markdown"), (args.html, "html")):
        if path:
            from otelaudit.model.files import write_atomically

            write_atomically(path, RENDERERS[kind]()(report))
    print(render(report))
    for result in report.results:
        if exit_code_for([result]):  # one line per failure that decides the exit code
            assert result.failure is not None
            print(f"otelaudit: {result.instrumentor}: {result.failure.message}", file=sys.stderr)
    code = int(exit_code_for(report.results))
    return max(code, _judge_budgets(budget, report)) if budget is not None else code


def _budget(specs: Sequence[str]) -> "Optional[Budget]":
    if not specs:
        return None
    from otelaudit.gate.budgets import parse_cli
    from otelaudit.errors import UsageError

    try:
        return parse_cli(list(specs))
    except ValueError as error:
        raise UsageError(str(error)) from error


def _judge_budgets(budget: "Budget", report: "Report") -> int:
    from otelaudit.gate.budgets import check
    from otelaudit.errors import ExitCode

    exceeded = False
    for result in report.results:
        if result.status != "ok":
            continue
        for verdict in check(result, budget):
            print(f"otelaudit: budget {verdict.outcome}: {verdict.message}", file=sys.stderr)
            exceeded = exceeded or verdict.outcome == "fail"
    return int(ExitCode.BUDGET_EXCEEDED) if exceeded else 0


def _scan_options(args: argparse.Namespace) -> "ScanOptions":
    from otelaudit.pipeline import ScanOptions

    overrides: dict = {"targets": tuple(args.targets), "timeout_s": args.timeout,
                       "ignore_rules": tuple(rule.upper() for rule in args.ignore),
                 "command": " ".join(["otelaudit", *args.argv])}
    if args.rounds:
        overrides["rounds"] = args.rounds
    if args.seconds_per_run:
        overrides["seconds_per_run"] = args.seconds_per_run
    if args.seed is not None or args.shard:
        overrides["seed"] = args.seed if args.seed is not None else 0
    overrides.update(_precision_overrides(args))
    overrides["jobs"] = args.jobs
    if args.shard:
        overrides["shard"] = _parsed(args.shard, "otelaudit.plan.sharding", "parse_shard")
    return ScanOptions.quick_defaults(**overrides) if args.quick else ScanOptions(**overrides)


def _precision_overrides(args: argparse.Namespace) -> dict:
    overrides: dict = {"control_arm": not args.no_control, "deterministic": args.deterministic}
    if args.precision:
        _parsed(args.precision, "otelaudit.plan.adaptive", "parse_target")
        overrides["precision"] = args.precision
    if args.budget:
        overrides["budget_s"] = _parsed(args.budget, "otelaudit.plan.adaptive", "parse_duration")
    return overrides


def _parsed(text: str, module: str, function: str) -> object:
    import importlib

    from otelaudit.errors import UsageError

    try:
        return getattr(importlib.import_module(module), function)(text)
    except ValueError as error:
        raise UsageError(str(error)) from error


def run_merge(args: argparse.Namespace) -> int:
    from otelaudit.model import files as report_json
    from otelaudit.errors import UsageError
    from otelaudit.plan.sharding import merge

    try:
        reports = [report_json.loads(open(path, encoding="utf-8").read()) for path in args.paths]
        merged = merge(reports)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot merge: {error}") from error
    report_json.write_report(args.json, merged)
    if args.markdown:
        from otelaudit.render import markdown as render_markdown

        report_json.write_atomically(args.markdown, render_markdown.render(merged))
    print(f"merged {len(reports)} shard(s), {len(merged.results)} result(s) into {args.json}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from otelaudit.compare.versions import run_from_cli

    return run_from_cli(args, _precision_overrides(args))


def run_report(args: argparse.Namespace) -> int:
    from otelaudit.model import files as report_json
    from otelaudit.errors import UsageError

    try:
        with open(args.path, encoding="utf-8") as handle:
            report = report_json.loads(handle.read())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"cannot read a report from {args.path}: {error}") from error
    text = RENDERERS[args.format]()(report)
    if args.output:
        report_json.write_atomically(args.output, text if text.endswith("\n") else text + "\n")
    else:
        print(text)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from otelaudit.render.listing import render_listing

    print(render_listing())
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
