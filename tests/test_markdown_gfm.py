"""The markdown report renders on a CommonMark renderer (GitHub's flavour: tables) as it
reads in the source: dunder names and paths survive as text, nothing turns italic, and
the reproduce block repeats every setting that changes the numbers."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from otelaudit.cli.main import build_parser
from otelaudit.model import files
from otelaudit.render import markdown
from otelaudit.render._inline import prose

SAMPLE = Path(__file__).resolve().parent.parent / "reports" / "default-scan.json"
DUNDER = re.compile(r"[\w./]*__\w+__[\w./]*")


@pytest.fixture(scope="module")
def sample():
    return files.loads(SAMPLE.read_text())


def shown_text(source: str) -> str:
    page = MarkdownIt("commonmark").enable("table").render(source)
    return html.unescape(re.sub(r"<[^>]+>", "", page)), page


def test_dunder_names_and_paths_survive_a_commonmark_renderer(sample):
    source = markdown.render(sample)
    text, page = shown_text(source)
    names = {name for r in sample.results for f in r.findings for name in DUNDER.findall(f.title + f.suggestion)}
    assert {"opentelemetry/util/http/__init__.py", "os._Environ.__getitem__"} <= names  # the sample has them: the check checks something
    for name in names:
        assert name in text, f"{name} lost its underscores"
    assert "<em>" not in page
    strong = re.findall(r"<strong>(.*?)</strong>", page)
    assert strong and not any(re.fullmatch(r"\w+", s) for s in strong)  # no `__init__` made a bold "init"


def test_prose_escapes_what_would_start_markup_and_codes_identifiers():
    text, page = shown_text(prose("call _private_name() at a/b/__init__.py:3 then *not* [a link] <b>x</b> e.g. µs/op"))
    assert "<code>_private_name()</code>" in page and "<code>a/b/__init__.py:3</code>" in page
    assert "*not* [a link] <b>x</b> e.g. µs/op" in text and "<em>" not in page and "<b>" not in page


def test_the_reproduce_block_repeats_every_setting_that_changes_the_numbers(sample):
    settings = dataclasses.replace(sample.settings, quick=True, rounds=7, seconds_per_run=0.25, precision_target="2%",
                                   budget_s=90.0, deterministic=True, control_arm=False, seed=42)
    report = dataclasses.replace(sample, settings=settings)
    ok = next(r for r in report.results if r.status == "ok")
    block = markdown.reproduction(report, ok).split("```sh\n", 1)[1].split("```", 1)[0]
    command = block.strip().splitlines()[-1].split()
    assert command[:3] == ["otelaudit", "scan", ok.instrumentor]
    args = build_parser().parse_args(command[1:])
    assert args.quick and args.rounds == 7 and args.seconds_per_run == 0.25 and args.precision.text == "2%"
    assert args.budget_s == 90.0 and args.deterministic and args.control_arm is False and args.seed == 42
    assert "otelaudit==" not in block and "pip install ." in block and "not published on PyPI" in block
