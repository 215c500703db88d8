"""`otelaudit app REF --request 'GET /path' …`: its arguments, mapped onto AppOptions,
and the exit code from the results (a failed request, no telemetry at all, or an
instrumentation named with --instrument that added none)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Dict

from otelaudit.cli import options, outputs

if TYPE_CHECKING:
    from otelaudit.app.options import AppOptions

REQUEST_HELP = ("a request the app answers once per operation, in turn with the others: 'GET /items/1' or "
                "'POST /chat {\"message\": \"hi\"}' (a JSON body); repeatable; a non-2xx answer makes the run invalid")


def add_parser(commands: Any, epilog: str) -> None:
    parser = commands.add_parser(
        "app", help="measure what OpenTelemetry costs in your own ASGI/WSGI app, and each instrumentation's share",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("reference", metavar="MODULE:APP", help="the app, as for uvicorn: myservice.main:app")
    parser.add_argument("--request", action="append", default=[], metavar="'METHOD /path [JSON]'",
                        help=REQUEST_HELP)
    parser.add_argument("--concurrency", type=options.positive_int, default=8, metavar="N",
                        help="requests in flight at once (default 8); p99 latency is at this concurrency")
    parser.add_argument("--env-file", metavar="PATH", help="the app's settings, KEY=VALUE lines (LLM base URLs "
                        "are pointed at a loopback fake API whatever it says)")
    parser.add_argument("--instrument", action="append", default=[], metavar="A,B",
                        help="apply these instrumentations (entry-point or distribution names) instead of all "
                             "that opentelemetry-instrument would apply here")
    parser.add_argument("--app-dir", default=".", metavar="DIR",
                        help="import the app from this folder and run it there (default: the current one)")
    parser.add_argument("--server", action="store_true",
                        help="serve the app with uvicorn (ASGI) or gunicorn (WSGI) on loopback and measure that "
                             "server's CPU, with latency and throughput over real HTTP connections")
    parser.add_argument("--port", type=options.positive_int, default=0, metavar="N",
                        help="with --server: the loopback port it listens on (default: a free one per run)")
    parser.add_argument("--profiles", type=int, dest="profile_pairs", metavar="N",
                        help="sampled profile pairs (none, all on) for hotspots and the flame graph (default 2; "
                             "1 with --quick; 0: none)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer, shorter rounds")
    outputs.add(parser, json="write the JSON report here", markdown="write a markdown report",
                html="write a self-contained HTML report")
    options.add_all(parser.add_argument, (options.ROUNDS, options.SECONDS_PER_RUN, options.TIMEOUT, options.SEED,
                                          options.PRECISION, options.BUDGET))
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    options.WIDE.add(parser.add_argument)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from otelaudit.app.audit import audit_app
    from otelaudit.errors import exit_code_for
    from otelaudit.run.progress import ProgressPrinter

    chosen = app_options(args)
    outputs.check(args)
    progress = ProgressPrinter(enabled=not args.quiet)
    report = audit_app(chosen, on_progress=progress)
    progress.done()
    outputs.show(report, wide=bool(args.wide))
    written = outputs.write(args, report)
    deciding = [r for r in report.results if r.instrumentor == "all" or r.targeted]
    for result in deciding:
        if exit_code_for([result]) and result.failure is not None:
            print(f"otelaudit: {result.instrumentor}: {result.failure.message}", file=sys.stderr)
    return max(int(exit_code_for(deciding)), written)


def app_options(args: argparse.Namespace) -> "AppOptions":
    from otelaudit.app.inputs import check_reference, parse_request, read_env_file
    from otelaudit.app.options import AppOptions
    from otelaudit.errors import UsageError

    if not args.request:
        raise UsageError("name at least one request the app answers, e.g. --request 'GET /items/1'")
    if args.port and not args.server:
        raise UsageError("--port is the server's port: it goes with --server")
    if args.port > 65535:
        raise UsageError(f"--port {args.port}: a port is at most 65535")
    if not os.path.isdir(args.app_dir):
        raise UsageError(f"--app-dir {args.app_dir}: no such directory")
    chosen: Dict[str, Any] = options.keywords(args, (options.ROUNDS, options.SECONDS_PER_RUN, options.TIMEOUT,
                                                     options.SEED, options.PRECISION, options.BUDGET))
    chosen.update(reference=check_reference(args.reference), requests=tuple(parse_request(r) for r in args.request),
                  app_dir=os.path.abspath(args.app_dir), env=read_env_file(args.env_file) if args.env_file else {},
                  instrument=tuple(args.instrument), concurrency=args.concurrency, server=args.server,
                  port=args.port,
                  command=shlex.join(["otelaudit", *args.argv]))
    if args.profile_pairs is not None:
        chosen["profile_pairs"] = max(args.profile_pairs, 0)
    return AppOptions.quick_defaults(**chosen) if args.quick else AppOptions(**chosen)
