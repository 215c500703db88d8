"""Starts the loopback servers a scenario needs, each in its own process, and stops
them when the scenario is done. A server kind is a module run with `python -m` that
prints `host port` on its first line and exits when its stdin closes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import Dict, Iterator, Sequence, Tuple

SERVER_MODULES: Dict[str, str] = {
    "http": "otelaudit._http_server",
}


class ServerError(RuntimeError):
    pass


@contextlib.contextmanager
def running_servers(kinds: Sequence[str]) -> Iterator[Dict[str, Tuple[str, int]]]:
    with contextlib.ExitStack() as stack:
        yield {kind: stack.enter_context(_running(kind)) for kind in kinds}


@contextlib.contextmanager
def _running(kind: str) -> Iterator[Tuple[str, int]]:
    module = SERVER_MODULES.get(kind)
    if module is None:
        raise ServerError(f"unknown loopback server kind {kind!r}")
    process = subprocess.Popen(
        [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().split()
        if len(line) != 2:
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
