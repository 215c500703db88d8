"""A simulated large environment: a temporary directory of N synthetic `*.dist-info`
folders (metadata, a RECORD and an entry point in an unrelated group each), prepended to
a child's PYTHONPATH so package-metadata scans see N more installed distributions."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Dict, Iterator

PREFIX = "otelaudit_simulated_dist"


def write_distributions(directory: str, count: int) -> None:
    for index in range(count):
        name = f"{PREFIX}_{index:05d}"
        info = os.path.join(directory, f"{name}-1.0.dist-info")
        os.makedirs(info, exist_ok=True)
        files = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 1.0\n"
                        "Summary: synthetic distribution simulating a large environment (otelaudit)\n"
                        "Requires-Dist: otelaudit-simulated-dependency>=1; extra == 'never'\n",
            "entry_points.txt": f"[otelaudit_simulated]\n{name} = {name}:main\n",
            "RECORD": f"{name}-1.0.dist-info/METADATA,,\n{name}-1.0.dist-info/RECORD,,\n",
        }
        for filename, text in files.items():
            with open(os.path.join(info, filename), "w", encoding="utf-8") as handle:
                handle.write(text)


@contextlib.contextmanager
def simulated_environment(count: int) -> Iterator[Dict[str, str]]:
    """Yields the environment additions (PYTHONPATH) that put `count` more distributions
    in front of a child's path; nothing when `count` is 0."""
    if count <= 0:
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="otelaudit-simulated-env-") as directory:
        write_distributions(directory, count)
        existing = os.environ.get("PYTHONPATH")
        yield {"PYTHONPATH": os.pathsep.join(filter(None, [directory, existing]))}
