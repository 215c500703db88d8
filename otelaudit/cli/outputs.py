"""The report files a command writes (`--json`, `--markdown`, `--html`), each through
the renderer registry, and the JSON rewritten after every result so an interrupted run
keeps what it measured."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Callable, Tuple

if TYPE_CHECKING:
    from otelaudit.model import Report

FORMATS: Tuple[str, ...] = ("json", "markdown", "html")  # the flag of each is its renderer's name


def add(parser: argparse.ArgumentParser, json: str, markdown: str, html: str = "") -> None:
    """One `--NAME PATH` flag per format given a help text."""
    for name, text in zip(FORMATS, (json, markdown, html)):
        if text:
            parser.add_argument(f"--{name}", metavar="PATH", help=text)


def write(args: argparse.Namespace, report: "Report") -> None:
    from otelaudit.render.registry import by_name, save

    for name in FORMATS:
        path = getattr(args, name, None)
        if path:
            save(path, report, by_name(name))


def on_result(args: argparse.Namespace) -> "Callable[[Report], None]":
    """Rewrites `--json` with the report so far, if one was asked for."""
    if not args.json:
        return lambda report: None
    from otelaudit.render.registry import by_name, save

    json = by_name("json")
    return lambda report: save(args.json, report, json)


def show(report: "Report", wide: bool = False) -> None:
    from otelaudit.render import terminal

    print(terminal.render(report, wide=wide))
