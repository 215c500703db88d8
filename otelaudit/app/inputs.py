"""What the user hands app mode, checked before anything runs: the app reference
("package.module:attribute"), the requests (`METHOD /path [JSON body]`) and the env file
(`KEY=VALUE` lines, as docker and python-dotenv read them). Bad input is a UsageError
whose one line says what was wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, Optional

from otelaudit.errors import UsageError, did_you_mean

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_REFERENCE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")
_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


@dataclass(frozen=True)
class AppRequest:
    """One request the app answers once per operation, in turn with the others."""

    method: str
    path: str
    body: Optional[object] = None  # sent as JSON

    @property
    def text(self) -> str:
        return f"{self.method} {self.path}" + (f" {json.dumps(self.body)}" if self.body is not None else "")


def check_reference(reference: str) -> str:
    if not _REFERENCE.fullmatch(reference):
        raise UsageError(f"an app reference looks like 'package.module:app' (as for uvicorn), got {reference!r}")
    return reference


def parse_request(text: str) -> AppRequest:
    """'GET /items/1' or 'POST /chat {"message": "hi"}'."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2:
        raise UsageError(f"--request {text!r}: expected 'METHOD /path [JSON body]', e.g. 'GET /items/1'")
    method, path = parts[0].upper(), parts[1]
    if method not in METHODS:
        raise UsageError(f"--request {text!r}: unknown method {parts[0]!r}{did_you_mean(method, METHODS)}")
    if not path.startswith("/"):
        raise UsageError(f"--request {text!r}: the path must start with '/', got {path!r}")
    body: Optional[object] = None
    if len(parts) == 3:
        try:
            body = json.loads(parts[2])
        except ValueError as error:
            raise UsageError(f"--request {text!r}: the body is not JSON ({error})") from None
    return AppRequest(method, path, body)


def read_env_file(path: str) -> Dict[str, str]:
    """KEY=VALUE per line; blank lines, `#` comments and `export ` are allowed, values may be quoted."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise UsageError(f"--env-file {path}: {error.strerror or error}") from None
    values: Dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(stripped)
        if match is None:
            raise UsageError(f"--env-file {path}:{number}: expected KEY=VALUE, got {stripped[:60]!r}")
        values[match.group(1)] = _unquoted(match.group(2))
    return values


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()
