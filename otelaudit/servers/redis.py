"""A throw-away redis-server for the redis scenario (`python -m otelaudit.servers.redis`):
no persistence, loopback only, on a free port; see `_native_server` for the protocol."""

from __future__ import annotations

import sys
import tempfile
from typing import Optional

from otelaudit.servers.native import free_port, missing, serve_process, which

INSTALL_HINT = "apt-get install redis-server"


def unavailable() -> Optional[str]:
    return None if which("redis-server") else f"redis-server is not on PATH ({INSTALL_HINT})"


def main() -> int:
    binary = which("redis-server")
    if binary is None:
        return missing(unavailable() or "")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="otelaudit-redis-") as directory:
        return serve_process([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", directory, "--protected-mode", "yes", "--loglevel", "warning"], port)


if __name__ == "__main__":
    sys.exit(main())
