"""The terminal report fits the terminal: at 80 columns no line is wider, at 200 the
whole table shows, `--wide` forces it, what was not measured is listed with its reason,
and a report rendered again from its saved JSON reads the same as the live one."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from otelaudit.model import files
from otelaudit.render import terminal

SAMPLE = Path(__file__).resolve().parent.parent / "reports" / "default-scan.json"


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.fixture(scope="module")
def sample():
    return files.loads(SAMPLE.read_text())


def test_a_saved_scan_fits_80_columns_and_lists_what_was_not_measured(sample):
    text = terminal.render(sample, width=80)
    assert widest(text) <= 80, text
    not_measured = text.split("Not measured:", 1)[1].splitlines()[1]
    assert not_measured.startswith("  httpx2: not covered — no scenario covers")
    assert not re.search(r"\de[+-]\d", text) and "—  —" not in text  # no exponents, no row of dashes
    for result in (r for r in sample.results if r.overhead is not None):
        head = next(line for line in text.splitlines() if line.startswith(result.instrumentor + " "))
        assert terminal.verdict(result.overhead) in head and "×" in head and "[" in head


def test_at_200_columns_the_whole_table_shows_one_row_each(sample):
    text = terminal.render(sample, width=200)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("INSTRUMENTOR"))
    assert all(h in header for h in terminal.HEADERS)
    measured = [r for r in sample.results if r.overhead is not None]
    rows = [line for line in lines if line.split(" ", 1)[0] in {r.instrumentor for r in measured}]
    assert len(rows) == len(measured) and all("p99" not in row for row in rows)
    assert widest(text) <= 200


def test_wide_shows_the_table_whatever_the_width(sample):
    assert any(line.startswith("INSTRUMENTOR") for line in terminal.render(sample, width=40, wide=True).splitlines())
    assert not any(line.startswith("INSTRUMENTOR") for line in terminal.render(sample, width=80).splitlines())


def test_the_header_states_the_rounds_played_not_the_setting(sample):
    first = sample.results[0]
    assert first.precision is not None
    more = dataclasses.replace(first, precision=dataclasses.replace(first.precision, rounds=61))
    report = dataclasses.replace(sample, results=(more,) + sample.results[1:],
                                 settings=dataclasses.replace(sample.settings, rounds=5, quick=True))
    head = terminal.render(report, width=80).splitlines()[0]
    assert "10–61 interleaved rounds" in head and "quick settings" in head and " 5 " not in head


def test_precision_is_a_share_of_the_overhead_not_of_a_tiny_baseline(sample):
    text = terminal.render(sample, width=200)
    sqlite = next(line for line in text.splitlines() if line.startswith("  sqlite3: 10 rounds"))
    assert "known to ±943 ns, 5% of the +18.3 µs overhead" in sqlite  # ±58% of its 1.62 µs baseline


def run_cli(*args: str, columns: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.scan
def test_a_live_scan_fits_80_columns_and_renders_the_same_from_its_json(tmp_path):
    saved = tmp_path / "r.json"
    live = run_cli("scan", "sqlite3", "--quick", "--quiet", "--json", str(saved), columns=80)
    assert live.returncode == 0, live.stderr
    assert widest(live.stdout) <= 80, live.stdout
    again = run_cli("report", str(saved), "--format", "text", columns=80)
    assert again.returncode == 0, again.stderr
    assert again.stdout == live.stdout
    wide = run_cli("report", str(saved), "--format", "text", "--wide", columns=80)
    assert any(line.startswith("INSTRUMENTOR") for line in wide.stdout.splitlines())
    assert run_cli("report", str(saved), "--format", "text", columns=200).stdout == wide.stdout
