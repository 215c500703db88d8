"""The `otelaudit coldstart` subcommand: its arguments and its handler. Only argparse is
imported here; the measuring modules load when the command runs, so `--help` stays fast."""

from __future__ import annotations

import argparse
import sys
from typing import Any, List


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser(
        "coldstart", help="measure start-up cost: import, instrument(), opentelemetry-instrument, first call",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="instrumentor entry-point name or distribution name (default: all installed)")
    parser.add_argument("--rounds", type=_positive_int, help="interleaved rounds of fresh interpreters (default 10; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and operations: a smoke run")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here (atomically, after every target)")
    parser.add_argument("--markdown", metavar="PATH", help="write a markdown report")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report with the cold-start chart")
    parser.add_argument("--simulate-distributions", type=int, default=0, metavar="N",
                        help="also measure with N synthetic installed distributions prepended to the path "
                             "(simulates a large environment; reported as simulated)")
    parser.add_argument("--no-auto", action="store_true", help="skip the opentelemetry-instrument start-up measurement")
    parser.add_argument("--auto-exclude", action="append", default=[], metavar="NAME",
                        help="instrumentor left out of the opentelemetry-instrument runs "
                             "(OTEL_PYTHON_DISABLED_INSTRUMENTATIONS); repeatable")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S", help="kill a child after S seconds")
    parser.add_argument("--seed", type=int, help="seed for the round order")
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE", help="silence a rule (e.g. OA201)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.coldstart.audit import ColdStartOptions, cold_start
    from otelaudit.errors import UsageError
    from otelaudit.run.progress import ProgressPrinter
    from otelaudit.render.terminal import render
    from otelaudit.model.files import write_atomically, write_report

    if args.simulate_distributions < 0:
        raise UsageError("--simulate-distributions must be 0 or more")
    overrides: dict = {"targets": tuple(args.targets), "timeout_s": args.timeout, "quick": args.quick,
                       "simulate_distributions": args.simulate_distributions, "auto": not args.no_auto,
                       "auto_exclude": tuple(args.auto_exclude), "ignore_rules": tuple(r.upper() for r in args.ignore),
                       "command": " ".join(["otelaudit", *args.argv])}
    if args.quick:
        overrides.update(rounds=5, steady_ops=10)
    if args.rounds:
        overrides["rounds"] = args.rounds
    if args.seed is not None:
        overrides["seed"] = args.seed
    progress = ProgressPrinter(enabled=not args.quiet)
    on_result = (lambda report: write_report(args.json, report)) if args.json else (lambda report: None)
    report = cold_start(ColdStartOptions(**overrides), on_progress=progress, on_result=on_result)
    progress.done()
    if args.json:
        write_report(args.json, report)
    if args.markdown:
        from otelaudit.render import markdown as render_markdown

        write_atomically(args.markdown, render_markdown.render(report))
    if args.html:
        from otelaudit.render import html as render_html

        write_atomically(args.html, render_html.render(report))
    print(render(report))
    return exit_code(report, bool(args.targets))


def exit_code(report: Any, targeted: bool) -> int:
    """The largest code of the failures that count: unknown targets, and for targets
    named on the command line also no-scenario / missing-library (as `scan`)."""
    from otelaudit.errors import FAILURE_EXIT_CODES, INFORMATIONAL_UNLESS_TARGETED, ExitCode

    section = report.cold_start
    codes: List[int] = [int(ExitCode.UNKNOWN_TARGET)] if section.unknown_targets else []
    for target in section.targets:
        if target.failure is None or (target.failure.kind in INFORMATIONAL_UNLESS_TARGETED and not targeted):
            continue
        codes.append(int(FAILURE_EXIT_CODES[target.failure.kind]))
        print(f"otelaudit: {target.instrumentor}: {target.failure.message}", file=sys.stderr)
    return max(codes, default=0)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value
