"""The `otelaudit` command: a dispatcher from subcommands to their modules, each of
which declares its arguments and maps them onto a typed options object. Heavy modules
are imported inside the subcommand that runs, so `--help` and `list` stay fast."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional, Sequence

from otelaudit import __version__
from otelaudit.cli import app, coldstart, compare, merge, report, scan
from otelaudit.cli import list as listing

COMMANDS = (scan, app, merge, compare, report, listing, coldstart)  # in the order --help lists them

EXIT_CODES_HELP = """exit codes:
  0 all targets measured with valid telemetry   5 target library not installed
  1 internal error                              6 instrumented arm produced no telemetry
  2 usage error                                 7 instrument() raised
  3 unknown target                              8 a measuring child crashed or was killed
  4 no scenario covers a target                 9 a measuring child timed out
                                               10 a --fail-on budget was exceeded
                                               11 a report file could not be written
                                               13 scan --knobs: unknown setting name
When several occur, the largest code wins. Codes 4 and 5 count only for targets named
on the command line."""


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
    for command in COMMANDS:
        command.add_parser(commands, EXIT_CODES_HELP)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    sys.path[:] = [entry for entry in sys.path if entry]  # '' (an empty PYTHONPATH entry) is the cwd
    args = build_parser().parse_args(arguments)
    args.argv = arguments
    from otelaudit.errors import OtelauditError

    restore = _sigterm_as_ctrl_c()
    try:
        return int(args.handler(args))
    except OtelauditError as error:
        print(f"otelaudit: error: {error}", file=sys.stderr)
        return int(error.exit_code)
    except BrokenPipeError:  # `otelaudit report r.json | head`: the reader left, nothing to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("otelaudit: interrupted (results written so far are kept)", file=sys.stderr)
        return 130
    finally:
        restore()


def _sigterm_as_ctrl_c() -> "Callable[[], object]":
    """SIGTERM (a CI job cancelled) ends a command as Ctrl-C does: children killed,
    temporary directories removed, the report so far kept. Returns the undo."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals to whoever owns it
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
