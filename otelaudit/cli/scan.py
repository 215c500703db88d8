"""`otelaudit scan`: its arguments, mapped onto the keywords of ScanOptions, and the exit
code from the results and any `--fail-on` budget."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.gate.budgets import Budget
    from otelaudit.model import Report
    from otelaudit.plan.options import ScanOptions

FAIL_ON_HELP = ("exit 10 when a budget is exceeded: max_cpu_us_per_op=50, max_cpu_ratio=2, max_latency_p99_us=500, "
                "max_calls_per_op:package-metadata=0, forbid_rules=OA101; repeatable; judged on the whole 95%% interval")


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser(
        "scan", help="measure instrumentation overhead (all installed instrumentors by default)",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="instrumentor entry-point name (e.g. httpx) or distribution name")
    parser.add_argument("--quick", action="store_true", help="triage in seconds per scenario: 5 short rounds, no A/A control arm")
    outputs.add(parser, json="write the JSON report here (atomically, after every scenario) instead of the "
                "results folder",
                markdown="write a markdown report, ready to paste into an upstream issue",
                html="write a self-contained HTML report (chart, flame graphs)")
    outputs.add_saving(parser, "scan")
    options.add_all(parser.add_argument, (options.ROUNDS, options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED,
                                          options.ARMS, options.EXPORT_PROTOCOL, options.SOAK))
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE",
                        help="silence a finding rule by its id (e.g. OA107); repeatable")
    parser.add_argument("--fail-on", action="append", default=[], metavar="BUDGET", help=FAIL_ON_HELP)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    options.WIDE.add(parser.add_argument)
    options.KNOBS.add(parser.add_argument)
    options.add_all(parser.add_argument, options.PRECISION_OPTIONS)
    parser.add_argument("--jobs", type=options.positive_int, default=None, metavar="N",
                        help="audit N targets at once, one per core (capped at the usable cores; default 2: "
                        "each scan's A/A control arm measures the noise a neighbour adds; --jobs 1 for the "
                        "quietest measurement)")
    parser.add_argument("--shard", metavar="I/N", help="scan only shard I of N (a CI matrix job); combine the "
                        "shards' JSON reports with `otelaudit merge` (implies --seed 0 unless given)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.errors import exit_code_for
    from otelaudit.pipeline import scan
    from otelaudit.render.terminal import triage_lines
    from otelaudit.run.progress import ProgressPrinter

    budget = _budget(args.fail_on)
    outputs.check(args)
    progress = ProgressPrinter(enabled=not args.quiet)
    save = outputs.on_result(args)

    def on_result(report: "Report") -> None:
        save(report)
        for result in (r for r in report.results if r.partial):  # triage findings, before the timed rounds
            progress.news(triage_lines(result), key=result.instrumentor)

    report = scan(scan_options(args), on_progress=progress, on_result=on_result)
    progress.done()
    outputs.show(report, wide=bool(args.wide))
    for result in report.results:
        if exit_code_for([result]):  # one line per failure that decides the exit code
            assert result.failure is not None
            print(f"otelaudit: {result.instrumentor}: {result.failure.message}", file=sys.stderr)
    written = outputs.write(args, report)  # last: it ends with the report's path
    code = max(int(exit_code_for(report.results)), written)
    return max(code, _judge(budget, report)) if budget is not None else code


# Two targets at once where there are two cores: a default scan of the 7 default scenarios takes
# ~2 minutes instead of ~4. An A/A benchmark run two at a time, one per core
# (`benchmarks/precision_benchmarks.py aa --jobs 2`), keeps its false positives in bound, and every
# scan's control arm turns a neighbour's noise into a wider floor, not a finding.
CLI_JOBS = 2


def scan_options(args: argparse.Namespace) -> "ScanOptions":
    from otelaudit.plan.options import PRECISION_SECONDS_PER_RUN, ScanOptions

    chosen: Dict[str, Any] = options.keywords(args, options.MEASUREMENT)
    if "precision" in chosen or "budget_s" in chosen:
        chosen.setdefault("seconds_per_run", PRECISION_SECONDS_PER_RUN)
    chosen.update(targets=tuple(args.targets), ignore_rules=_ignored(args.ignore),
                  command=" ".join(["otelaudit", *args.argv]))
    chosen["jobs"] = args.jobs if args.jobs is not None else CLI_JOBS
    if args.seed is not None or args.shard:
        chosen["seed"] = args.seed if args.seed is not None else 0  # every shard must plan alike
    if args.shard:
        chosen["shard"] = _shard(args.shard)
    chosen.update(options.keywords(args, (options.EXPORT_PROTOCOL, options.SOAK)))
    if args.arms is not None:
        chosen["arms"] = options.arms(args.arms)
        options.check_exporter(chosen["arms"], chosen.get("export_protocol", "http/protobuf"))
    if args.knobs is not None:
        from otelaudit.rules.knobs import parse_knobs

        chosen["knobs"] = parse_knobs(args.knobs)
    return ScanOptions.quick_defaults(**chosen) if args.quick else ScanOptions(**chosen)


def _ignored(rules: List[str]) -> Tuple[str, ...]:
    from otelaudit.gate.budgets import known_rule

    return tuple(known_rule("--ignore", rule) for rule in rules)


def _shard(text: str) -> Any:
    from otelaudit.errors import UsageError
    from otelaudit.plan.sharding import parse_shard

    try:
        return parse_shard(text)
    except ValueError as error:
        raise UsageError(str(error)) from error


def _budget(specs: List[str]) -> "Optional[Budget]":
    if not specs:
        return None
    from otelaudit.gate.budgets import parse_cli

    return parse_cli(specs)


def _judge(budget: "Budget", report: "Report") -> int:
    from otelaudit.errors import ExitCode
    from otelaudit.gate.budgets import check_report

    verdicts = check_report(report, budget)
    for verdict in verdicts:
        print(f"otelaudit: budget {verdict.outcome}: {verdict.message}", file=sys.stderr)
    return int(ExitCode.BUDGET_EXCEEDED) if any(v.outcome == "fail" for v in verdicts) else 0
