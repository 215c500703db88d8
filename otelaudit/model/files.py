"""The JSON report: a versioned, stable schema (see README), written atomically so an
interrupted scan never leaves a truncated file, and read back for re-rendering."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from otelaudit.errors import ReportFormatError
from otelaudit.model.codec import from_data, to_data
from otelaudit.model.report import Report


def dumps(report: Report) -> str:
    return json.dumps(to_data(report), indent=2, sort_keys=False, allow_nan=False, default=_finite)


def loads(text: str) -> Report:
    try:
        return from_data(Report, json.loads(text))
    except (ValueError, KeyError, TypeError) as error:
        raise ReportFormatError(f"not an otelaudit report ({type(error).__name__}: {error})") from error


def write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".otelaudit-", suffix=".tmp", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make reports private by accident
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_report(path: str, report: Report) -> None:
    write_atomically(path, dumps(report) + "\n")


def _finite(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {value!r}")
