"""The package type-checks (configuration in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_mypy_passes_on_the_package():
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
