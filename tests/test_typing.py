"""The package type-checks under `mypy --strict` (configured in pyproject.toml), so typed
boundaries between stages stay typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_is_clean_under_mypy_strict():
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "otelaudit"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]


def test_mypy_strict_fails_on_an_untyped_function(tmp_path):
    """The gate above can fail: the same command rejects an untyped definition."""
    module = tmp_path / "untyped.py"
    module.write_text("def f(x):\n    return x\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"), str(module)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 1 and "no-untyped-def" in completed.stdout
