"""The report files a command writes (`--json`, `--markdown`, `--html`), each through
the renderer registry: every path checked before anything is measured, each file written
atomically and on its own (one that fails is reported and costs no other, nor the
terminal table), and the JSON rewritten after every result, marked incomplete until the end.
A command that saves by default (scan, coldstart) puts its JSON and HTML in a results
folder when no path is given, so one plain command leaves a report to open."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Dict, Tuple

if TYPE_CHECKING:
    from otelaudit.model import Report
    from otelaudit.render.registry import Renderer

FORMATS: Tuple[str, ...] = ("json", "markdown", "html")  # the flag of each is its renderer's name
RESULTS_DIR = "otelaudit-results"
SAVED = ("json", "html")  # what the results folder receives


def add(parser: argparse.ArgumentParser, json: str, markdown: str, html: str = "") -> None:
    """One `--NAME PATH` flag per format given a help text."""
    for name, text in zip(FORMATS, (json, markdown, html)):
        if text:
            parser.add_argument(f"--{name}", metavar="PATH", help=text)


def add_saving(parser: argparse.ArgumentParser, command: str) -> None:
    """`--results-dir` and `--no-save`: where `command` leaves its reports when no
    `--json`/`--html` path is given (files named `COMMAND-<UTC time>.json/.html`)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--results-dir", metavar="DIR", help=f"without --json/--html, save the JSON and HTML reports "
                       f"in DIR as {command}-<UTC time>.json/.html (default ./{RESULTS_DIR}; created if missing)")
    group.add_argument("--no-save", action="store_true", help="no results folder: save only the report files "
                       "whose path is given")
    parser.set_defaults(save_as=command)


def check(args: argparse.Namespace) -> None:
    """Every output path can be written, before minutes go on measuring (a usage error).
    A command that saves by default gets its results-folder paths here, once the paths
    given have passed (so a refused command leaves no empty folder behind)."""
    _check_given(args)
    if _into_results_folder(args):
        _check_given(args)


def _check_given(args: argparse.Namespace) -> None:
    from otelaudit.errors import UsageError

    given = [(f"--{name}", getattr(args, name)) for name in FORMATS if getattr(args, name, None)]
    for flag, path in given:
        check_writable(path, flag)
    paths = [os.path.realpath(path) for _, path in given]
    for (flag, path), real in zip(given, paths):
        if paths.count(real) > 1:
            raise UsageError(f"{flag} {path}: the same file is given to two outputs")


def _into_results_folder(args: argparse.Namespace) -> bool:
    """Fills in `--json`/`--html` as `DIR/COMMAND-<UTC time>.json/.html` unless a path or
    `--no-save` was given; True when it did."""
    from otelaudit.errors import UsageError

    command = getattr(args, "save_as", None)
    if not command or args.no_save:
        return False
    if any(getattr(args, name, None) for name in SAVED):
        if args.results_dir:
            raise UsageError("--results-dir names the saved files itself: give it or --json/--html paths, not both")
        return False
    folder = args.results_dir or RESULTS_DIR
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--results-dir {folder}: is a file, not a directory")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--results-dir {folder}: cannot create it ({error.strerror or error})") from None
    stem = base = os.path.join(folder, f"{command}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    taken = 1
    while any(os.path.exists(f"{stem}.{name}") for name in SAVED):  # two runs in one second
        taken += 1
        stem = f"{base}-{taken}"
    for name in SAVED:
        setattr(args, name, f"{stem}.{name}")
    args.in_results_folder = True
    return True


def check_writable(path: str, flag: str) -> None:
    """A usage error unless a file can be created (and replaced) at `path`."""
    from otelaudit.errors import UsageError

    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a directory, not a file")
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {path}: directory {directory} does not exist")
    try:  # what the atomic write will do; os.access says yes to root on a read-only mount
        fd, probe = tempfile.mkstemp(prefix=".otelaudit-", suffix=".check", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(f"{flag} {path}: cannot write in {directory} ({error.strerror or error})") from None


def write(args: argparse.Namespace, report: "Report") -> int:
    """Writes every output asked for; the exit code is OUTPUT_FAILED if any could not be."""
    from otelaudit.errors import ExitCode
    from otelaudit.render.registry import by_name

    written: Dict[str, bool] = {name: save_or_say(path, report, by_name(name))
                                for name in FORMATS for path in [getattr(args, name, None)] if path}
    if getattr(args, "in_results_folder", False):
        _announce(args, written)
    return int(ExitCode.OUTPUT_FAILED) if not all(written.values()) else 0


def _announce(args: argparse.Namespace, written: Dict[str, bool]) -> None:
    """Where the results folder's files are, the page to open on a line of its own (stderr,
    so stdout stays the terminal report that `otelaudit report --format text` repeats)."""
    if written.get("json"):
        print(f"otelaudit: JSON report (`otelaudit report` renders it again): {args.json}", file=sys.stderr)
    if written.get("html"):
        print(f"otelaudit: open the HTML report in a browser:\n{args.html}", file=sys.stderr)


def save_or_say(path: str, report: "Report", renderer: "Renderer") -> bool:
    """Saves one output; a failure is one line on stderr, and False, never an exception."""
    from otelaudit.render.registry import save

    try:
        save(path, report, renderer)
        return True
    except OSError as error:
        print(f"otelaudit: error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
    except Exception as error:  # a renderer's bug must not cost the other outputs
        print(f"otelaudit: error: cannot render {renderer.name} for {path}: {type(error).__name__}: {error}",
              file=sys.stderr)
    return False


def on_result(args: argparse.Namespace) -> "Callable[[Report], None]":
    """Rewrites `--json` with the report so far, marked incomplete; a failed rewrite is
    said once and the scan goes on (the final write tries again)."""
    if not args.json:
        return lambda report: None
    from otelaudit.render.registry import by_name

    json, said = by_name("json"), [False]

    def save_so_far(report: "Report") -> None:
        if not said[0]:
            said[0] = not save_or_say(args.json, replace(report, complete=False), json)

    return save_so_far


def show(report: "Report", wide: bool = False) -> None:
    from otelaudit.render import terminal

    print(terminal.render(report, wide=wide))
