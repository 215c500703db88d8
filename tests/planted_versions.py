"""Builds two versions of the planted test instrumentation as wheels (by hand: a wheel is
a zip with a dist-info, so no build backend or network is needed): 1.0 reads package
metadata once at instrument() time, 2.0 on every call (the planted regression)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Dict

SITE = Path(__file__).parent / "fixtures" / "site"
HOISTED = '''        api_version = version("opentelemetry-api")

        def traced(payload):
'''
PER_CALL = '''        def traced(payload):
            api_version = version("opentelemetry-api")  # DEFECT: metadata lookup per call
'''


def sources(version: str) -> Dict[str, str]:
    files = {"otelaudit_planted/__init__.py": (SITE / "otelaudit_planted" / "__init__.py").read_text(),
             "otelaudit_planted_library.py": (SITE / "otelaudit_planted_library.py").read_text(),
             "otelaudit_planted_scenario.py": (SITE / "otelaudit_planted_scenario.py").read_text()}
    assert PER_CALL in files["otelaudit_planted/__init__.py"]
    if version == "1.0":
        files["otelaudit_planted/__init__.py"] = files["otelaudit_planted/__init__.py"].replace(PER_CALL, HOISTED)
    return files


def build_wheel(directory: Path, version: str) -> Path:
    info = f"otelaudit_planted-{version}.dist-info"
    files = sources(version)
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: otelaudit-planted\nVersion: {version}\n"
                                 "Requires-Dist: opentelemetry-api\nRequires-Dist: opentelemetry-instrumentation\n")
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: otelaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = ("[opentelemetry_instrumentor]\nplanted = otelaudit_planted:PlantedInstrumentor\n\n"
                                         "[otelaudit_scenarios]\nplanted = otelaudit_planted_scenario\n")
    record = [f"{name},sha256={_digest(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    path = directory / f"otelaudit_planted-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
