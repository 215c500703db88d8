"""`otelaudit coldstart`: its arguments, mapped onto the keywords of ColdStartOptions.
Only argparse is imported here; the measuring modules load when the command runs, so
`--help` stays fast."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Dict, List

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.coldstart.audit import ColdStartOptions
    from otelaudit.model import Report


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser(
        "coldstart", help="measure start-up cost: import, instrument(), opentelemetry-instrument, first call",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="instrumentor entry-point name or distribution name (default: all installed)")
    parser.add_argument("--rounds", type=options.positive_int,
                        help="interleaved rounds of fresh interpreters (default 10; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and operations: a smoke run")
    outputs.add(parser, json="write the JSON report here (atomically, after every target)",
                markdown="write a markdown report",
                html="write a self-contained HTML report with the cold-start chart")
    outputs.add_saving(parser, "coldstart")
    parser.add_argument("--simulate-distributions", type=int, default=0, metavar="N",
                        help="also measure with N synthetic installed distributions prepended to the path "
                             "(simulates a large environment; reported as simulated)")
    parser.add_argument("--no-auto", action="store_true", help="skip the opentelemetry-instrument start-up measurement")
    parser.add_argument("--auto-exclude", action="append", default=[], metavar="NAME",
                        help="instrumentor left out of the opentelemetry-instrument runs "
                             "(OTEL_PYTHON_DISABLED_INSTRUMENTATIONS); repeatable")
    options.add_all(parser.add_argument, (options.TIMEOUT, options.SEED))
    parser.add_argument("--ignore", action="append", default=[], metavar="RULE", help="silence a rule (e.g. OA201)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    options.WIDE.add(parser.add_argument)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.coldstart.audit import cold_start
    from otelaudit.run.progress import ProgressPrinter

    outputs.check(args)
    progress = ProgressPrinter(enabled=not args.quiet)
    report = cold_start(coldstart_options(args), on_progress=progress, on_result=outputs.on_result(args))
    progress.done()
    outputs.show(report, wide=bool(args.wide))
    code = exit_code(report, bool(args.targets))
    return max(outputs.write(args, report), code)  # last: it ends with the report's path


def coldstart_options(args: argparse.Namespace) -> "ColdStartOptions":
    from otelaudit.coldstart.audit import ColdStartOptions
    from otelaudit.errors import UsageError

    if args.simulate_distributions < 0:
        raise UsageError("--simulate-distributions must be 0 or more")
    chosen: Dict[str, Any] = options.keywords(args, (options.TIMEOUT, options.SEED))
    chosen.update({
        "targets": tuple(args.targets), "quick": args.quick,
        "simulate_distributions": args.simulate_distributions, "auto": not args.no_auto,
        "auto_exclude": tuple(args.auto_exclude), "ignore_rules": tuple(r.upper() for r in args.ignore),
        "command": " ".join(["otelaudit", *args.argv])})
    if args.quick:
        chosen.update(rounds=5, steady_ops=10)
    if args.rounds:
        chosen["rounds"] = args.rounds
    return ColdStartOptions(**chosen)


def exit_code(report: "Report", targeted: bool) -> int:
    """The largest code of the failures that count: unknown targets, and for targets
    named on the command line also no-scenario / missing-library (as `scan`)."""
    from otelaudit.errors import FAILURE_EXIT_CODES, INFORMATIONAL_UNLESS_TARGETED, ExitCode

    section = report.cold_start
    assert section is not None
    codes: List[int] = [int(ExitCode.UNKNOWN_TARGET)] if section.unknown_targets else []
    for target in section.targets:
        if target.failure is None or (target.failure.kind in INFORMATIONAL_UNLESS_TARGETED and not targeted):
            continue
        codes.append(int(FAILURE_EXIT_CODES[target.failure.kind]))
        print(f"otelaudit: {target.instrumentor}: {target.failure.message}", file=sys.stderr)
    return max(codes, default=0)
