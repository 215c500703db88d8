"""Every output format in one registry: a name, a file extension and `render(report)`.
A renderer is chosen by name (`--format`) or by the extension of the path it is written
to (`-o report.html`), and its module is imported only when it renders, so the command
line's `--help` stays fast. Every renderer takes any Report: scan, coldstart, compare."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional, Tuple, cast

if TYPE_CHECKING:
    from otelaudit.model import Report


class UnknownFormat(ValueError):
    """No renderer has this name or serves this file extension."""


class Renderer(NamedTuple):  # immutable without importing dataclasses: `--help` lists the names
    name: str
    extensions: Tuple[str, ...]  # the first is the one files are given; the longest match wins
    module: str
    description: str
    function: str = "render"

    @property
    def extension(self) -> str:
        return self.extensions[0]

    def render(self, report: "Report") -> str:
        function = getattr(importlib.import_module(self.module), self.function)
        return cast("Callable[[Report], str]", function)(report)


RENDERERS: Tuple[Renderer, ...] = (
    Renderer("markdown", (".md", ".markdown"), "otelaudit.render.markdown", "an upstream issue"),
    Renderer("html", (".html", ".htm"), "otelaudit.render.html", "a self-contained page"),
    Renderer("json", (".json",), "otelaudit.model.files", "the saved report", function="dumps"),
    Renderer("text", (".txt",), "otelaudit.render.terminal", "the terminal report"),
    Renderer("speedscope", (".speedscope.json",), "otelaudit.render.speedscope",
             "profiles for speedscope.app"),
)
NAMES: Tuple[str, ...] = tuple(r.name for r in RENDERERS)


def by_name(name: str) -> Renderer:
    for renderer in RENDERERS:
        if renderer.name == name:
            return renderer
    raise UnknownFormat(f"unknown format {name!r} (known: {', '.join(NAMES)})")


def for_path(path: str) -> Optional[Renderer]:
    """The renderer whose extension ends `path`, the longest such extension winning."""
    lowered = path.lower()
    matches = [(len(ext), r) for r in RENDERERS for ext in r.extensions if lowered.endswith(ext)]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def choose(name: Optional[str], path: Optional[str], default: str) -> Renderer:
    """An explicit `--format` wins; then the output path's extension; then `default`."""
    if name is not None:
        return by_name(name)
    found = for_path(path) if path else None
    return found if found is not None else by_name(default)


def save(path: str, report: "Report", renderer: Renderer) -> None:
    """Writes the rendering atomically, ending in one newline like any text file."""
    from otelaudit.model.files import write_atomically

    text = renderer.render(report)
    write_atomically(path, text if text.endswith("\n") else text + "\n")
