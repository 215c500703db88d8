"""The report files a command writes (`--json`, `--markdown`, `--html`), each through
the renderer registry: every path checked before anything is measured, each file written
atomically and on its own (one that fails is reported and costs no other, nor the
terminal table), and the JSON rewritten after every result, marked incomplete until the end."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, List, Tuple

if TYPE_CHECKING:
    from otelaudit.model import Report
    from otelaudit.render.registry import Renderer

FORMATS: Tuple[str, ...] = ("json", "markdown", "html")  # the flag of each is its renderer's name


def add(parser: argparse.ArgumentParser, json: str, markdown: str, html: str = "") -> None:
    """One `--NAME PATH` flag per format given a help text."""
    for name, text in zip(FORMATS, (json, markdown, html)):
        if text:
            parser.add_argument(f"--{name}", metavar="PATH", help=text)


def check(args: argparse.Namespace) -> None:
    """Every output path can be written, before minutes go on measuring (a usage error)."""
    from otelaudit.errors import UsageError

    given = [(f"--{name}", getattr(args, name)) for name in FORMATS if getattr(args, name, None)]
    for flag, path in given:
        check_writable(path, flag)
    paths = [os.path.realpath(path) for _, path in given]
    for (flag, path), real in zip(given, paths):
        if paths.count(real) > 1:
            raise UsageError(f"{flag} {path}: the same file is given to two outputs")


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

    failed: List[bool] = [not save_or_say(path, report, by_name(name))
                          for name in FORMATS for path in [getattr(args, name, None)] if path]
    return int(ExitCode.OUTPUT_FAILED) if any(failed) else 0


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
