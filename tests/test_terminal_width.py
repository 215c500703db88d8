"""The terminal report fits the terminal: at 80 columns no line is wider (the cold-start
report too), at 200 the whole table shows, `--wide` forces it, what was not measured is
listed with its reason, and a report rendered again from the JSON a plain scan saved in
its results folder reads the same as the live one."""

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
COLD_START = SAMPLE.with_name("coldstart-bundled.json")


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
    fewest = min(r.precision.rounds for r in report.results if r.precision is not None)
    assert f"{fewest}–61 interleaved rounds" in head and "quick settings" in head and " 5 " not in head


UNIT_US = {"ns": 1e-3, "µs": 1.0, "ms": 1e3}


def test_precision_is_a_share_of_the_overhead_not_of_a_tiny_baseline(sample):
    result = next(r for r in sample.results if r.instrumentor == "sqlite3")
    baseline, overhead = result.arms["baseline"].cpu_us_per_op.estimate, result.overhead.cpu_us_per_op.estimate
    assert overhead > 4 * baseline  # the case in point: a share of the baseline would read several times larger
    text = terminal.render(sample, width=200)
    line = next(line for line in text.splitlines() if line.startswith("  sqlite3: ") and "known to" in line)
    found = re.search(r"known to ±([\d.]+) (ns|µs|ms), (\d+)% of the \+([\d.]+) (µs|ms) overhead", line)
    assert found, line
    width = float(found.group(1)) * UNIT_US[found.group(2)]
    assert float(found.group(4)) * UNIT_US[found.group(5)] == pytest.approx(overhead, rel=0.01)
    assert int(found.group(3)) == pytest.approx(100 * width / overhead, abs=1)


@pytest.fixture(scope="module")
def cold_start():
    return files.loads(COLD_START.read_text())


def test_a_saved_cold_start_fits_80_columns_and_lists_what_was_not_measured(cold_start):
    text = terminal.render(cold_start, width=80)
    assert widest(text) <= 80, text
    lines = text.splitlines()
    assert lines[lines.index("Not measured:") + 1] == "  httpx2: not covered — no scenario covers instrumentor 'httpx2'"
    assert "—  —" not in text and not re.search(r"\de[+-]\d", text)
    measured = [t for t in cold_start.cold_start.targets if t.import_ms is not None]
    heads = [line for line in lines if line.split(" ", 1)[0] in {t.instrumentor for t in measured}
             and " ok  import " in line]
    assert len(heads) == len(measured)  # a block per target, its import cost on its first line
    assert all(re.search(r"import [+−][\d.]+ \[[-\d.]+, [-\d.]+\] m?s", head) for head in heads), heads


def test_a_wide_cold_start_is_one_table_row_per_measured_target(cold_start):
    text = terminal.render(cold_start, width=400)
    header = next(line for line in text.splitlines() if line.startswith("INSTRUMENTOR"))
    assert "IMPORT OVER LIBRARY" in header and "+AUTO" in header
    assert not any(line.startswith("httpx2 ") for line in text.splitlines())  # listed as not measured instead
    assert terminal.render(cold_start, width=40, wide=True).count("INSTRUMENTOR") == 3  # its table and both auto ones


def run_cli(*args: str, columns: int, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "otelaudit", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


@pytest.mark.scan
def test_a_live_scan_fits_80_columns_and_renders_the_same_from_its_saved_json(tmp_path):
    live = run_cli("scan", "sqlite3", "--quick", "--quiet", "--results-dir", "results", columns=80, cwd=tmp_path)
    assert live.returncode == 0, live.stderr
    assert widest(live.stdout) <= 80, live.stdout
    page = tmp_path / live.stderr.strip().splitlines()[-1]  # the run ends with the report to open
    saved = page.with_suffix(".json")
    assert page.parent == tmp_path / "results" and page.read_text().count('class="flame-graph"') == 1
    again = run_cli("report", str(saved), "--format", "text", columns=80, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == live.stdout
    wide = run_cli("report", str(saved), "--format", "text", "--wide", columns=80, cwd=tmp_path)
    assert any(line.startswith("INSTRUMENTOR") for line in wide.stdout.splitlines())
    # Wider than the longest line: a finding title and a scenario's notes pass 200 characters.
    assert run_cli("report", str(saved), "--format", "text", columns=1000, cwd=tmp_path).stdout == wide.stdout
