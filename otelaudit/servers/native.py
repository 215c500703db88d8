"""Runs a real database server binary (redis-server, PostgreSQL) for a scan on a free
loopback port, behind the protocol of `servers.py`: print `host port` once it accepts
connections, or `missing <one-line reason and install hint>` when it cannot run; stop
the server when stdin closes. Its data lives in a temporary directory removed after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from typing import Callable, Optional, Sequence

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def missing(reason: str) -> int:
    print(f"missing {reason}", flush=True)
    return 5


def serve_process(command: Sequence[str], port: int, ready: Callable[[int], bool] = accepts,
                  timeout_s: float = 30.0, preexec: Optional[Callable[[], None]] = None) -> int:
    """Starts `command`, announces the port once `ready`, stops it when stdin closes."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, preexec_fn=preexec)
    try:
        deadline = time.monotonic() + timeout_s
        while not ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                error = (process.stderr.read() if process.poll() is not None and process.stderr else b"").decode()
                last = (error.strip().splitlines() or ["no output"])[-1]
                print(f"failed {os.path.basename(command[0])} did not start: {last}", flush=True)
                return 1
            time.sleep(0.05)
        print(f"{HOST} {port}", flush=True)
        sys.stdin.read()  # returns when the parent closes stdin
        return 0
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def which(name: str, extra_dirs: Sequence[str] = ()) -> Optional[str]:
    found = shutil.which(name)
    return found or (shutil.which(name, path=os.pathsep.join(extra_dirs)) if extra_dirs else None)
