"""Starts the loopback servers a scenario needs, each in its own process, and stops
them when the scenario is done. A server kind is a module run with `python -m` that
prints `host port` on its first line (or `missing REASON` when what it runs is not
installed) and exits when its stdin closes."""

from __future__ import annotations

import contextlib
import importlib
import shutil
import subprocess
import tempfile
import sys
from typing import Dict, Iterator, Optional, Sequence, Tuple

# Re-exported: their home is otelaudit.errors, callers catch them where servers start.
from otelaudit.errors import ServerError as ServerError, ServerMissing as ServerMissing

SERVER_MODULES: Dict[str, str] = {
    "http": "otelaudit.servers.http",
    "llm": "otelaudit.servers.llm",
    "redis": "otelaudit.servers.redis",
    "postgres": "otelaudit.servers.postgres",
    "otlp": "otelaudit.servers.otlp_sink",  # the export arm's receiver
}


# Kinds that run software from the OS, which may be missing; ours always run (and import
# asyncio, which `otelaudit list` must not).
NATIVE_KINDS = frozenset({"redis", "postgres"})


def unavailable(kind: str) -> Optional[str]:
    """Why a server kind cannot run here (with how to install it), without starting it."""
    if kind not in NATIVE_KINDS:
        return None
    module = importlib.import_module(SERVER_MODULES[kind])
    check = getattr(module, "unavailable", None)
    return check() if check is not None else None


@contextlib.contextmanager
def running_servers(kinds: Sequence[str]) -> Iterator[Dict[str, Tuple[str, int]]]:
    with contextlib.ExitStack() as stack:
        yield {kind: stack.enter_context(_running(kind)) for kind in kinds}


@contextlib.contextmanager
def _running(kind: str) -> Iterator[Tuple[str, int]]:
    module = SERVER_MODULES.get(kind)
    if module is None:
        raise ServerError(f"unknown loopback server kind {kind!r}")
    workdir = tempfile.mkdtemp(prefix="otelaudit-server-")  # never the user's cwd: its asyncio.py would be imported
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=workdir,
        )
    except OSError as error:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ServerError(f"{kind} server could not be started: {error}") from error
    try:
        assert process.stdout is not None
        first = process.stdout.readline().decode().strip()
        word, _, rest = first.partition(" ")
        if word == "missing":
            raise ServerMissing(f"{kind} server unavailable: {rest}")
        if word == "failed":
            raise ServerError(f"{kind} server failed: {rest}")
        line = first.split()
        if len(line) != 2 or not line[1].isdigit():
            raise ServerError(f"{kind} server did not start (exit code {process.poll()})")
        yield line[0], int(line[1])
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
