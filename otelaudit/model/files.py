"""The JSON report: a versioned, stable schema (see README), written atomically so an
interrupted scan never leaves a truncated file, and read back for re-rendering."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Optional

from otelaudit.errors import ReportFormatError
from otelaudit.model.codec import from_data, to_data
from otelaudit.model.report import SCHEMA_VERSION, Report


def dumps(report: Report) -> str:
    return json.dumps(to_data(report), indent=2, sort_keys=False, allow_nan=False, default=_finite)


def loads(text: str) -> Report:
    """A saved report, or a ReportFormatError (one line) saying why it is not one. A newer
    minor schema only adds fields (ignored here); a major one this version does not know is refused."""
    return load_data(_json(text))


def load_data(data: Any) -> Report:
    if not isinstance(data, dict):
        raise ReportFormatError(f"not an otelaudit report: the JSON is {_kind(data)}, not an object") \
            from TypeError(type(data).__name__)
    version = data.get("schema_version")
    if not isinstance(version, str) or not version:
        raise ReportFormatError("not an otelaudit report: no schema_version (a file from another tool?)") \
            from KeyError("schema_version")
    if schema_major(version) != schema_major(SCHEMA_VERSION):
        raise ReportFormatError(f"report schema {version} is not one this otelaudit reads (it reads "
                                f"{schema_major(SCHEMA_VERSION)}.x): use the otelaudit version that wrote it")
    try:
        return from_data(Report, data, checked=True)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ReportFormatError(f"not a well-formed otelaudit report: {error}") from error


def newer_minor(report: Report) -> Optional[str]:
    """A warning when the report was written with a newer minor schema than this one reads."""
    def minor(version: str) -> int:
        part = version.split(".")[1] if "." in version else "0"
        return int(part) if part.isdigit() else 0

    if minor(report.schema_version) > minor(SCHEMA_VERSION):
        return (f"report schema {report.schema_version} is newer than this otelaudit's {SCHEMA_VERSION}: "
                f"fields it does not know are left out")
    return None


def schema_major(version: str) -> str:
    return version.split(".", 1)[0]


def _json(text: str) -> Any:
    if not text.strip():
        raise ReportFormatError("not an otelaudit report: the file is empty")
    try:
        return json.loads(text)
    except ValueError as error:  # JSONDecodeError, or a number too large
        raise ReportFormatError(f"not an otelaudit report: invalid JSON ({error})") from error
    except RecursionError:
        raise ReportFormatError("not an otelaudit report: JSON nested too deeply") from None


def _kind(data: Any) -> str:
    names = {list: "a list", type(None): "null", str: "a string", bool: "a boolean", int: "a number",
             float: "a number"}
    return names.get(type(data), type(data).__name__)


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
