"""The server process of app mode's `--server`: `python -m otelaudit.child.serve CONTROL_DIR
ARM_JSON SERVER ARGS…` applies the arm's telemetry (the counting SDK, then each
instrumentation) before the server's own main runs, as `opentelemetry-instrument SERVER …`
applies it, then runs that main (uvicorn's, gunicorn's) in this process. Every process of the
server (a pre-fork server's workers too) answers on CONTROL_DIR/PID.sock with its CPU so far,
its main thread's CPU and the telemetry it produced, so the measuring child charges the
service, not itself. The server dies with its measuring child: stdin's end is the signal."""

from __future__ import annotations

import json
import os
import resource
import runpy
import signal
import socket
import sys
import threading
import time
from typing import Any, Callable, Dict, List

from otelaudit.model import Telemetry

ARM_KEYS = ("sdk", "instrument")  # ARM_JSON: {"sdk": bool, "instrument": ["module:Class", ...]}


def apply_arm(arm: Dict[str, Any]) -> Callable[[], Telemetry]:
    """The arm's SDK and instrumentations; returns what reads the telemetry counted so far."""
    if not arm["sdk"]:
        return Telemetry
    from otelaudit.child.measure import instrument, load_instrumentor
    from otelaudit.child.telemetry import TelemetryCounter, install_sdk

    classes = [load_instrumentor(value)[0] for value in arm["instrument"]]
    counter = TelemetryCounter()
    install_sdk(counter)
    for instrumentor_class in classes:
        instrument(instrumentor_class, {})
    return counter.snapshot


def answer(telemetry: Callable[[], Telemetry], main_thread: int) -> Dict[str, Any]:
    produced = telemetry()
    loop_clock = time.pthread_getcpuclockid(main_thread)
    return {"cpu_s": time.process_time(), "loop_cpu_s": time.clock_gettime(loop_clock),
            "telemetry": [produced.spans, produced.metric_measurements, produced.log_records],
            "peak_rss_kib": peak_rss_kib()}


def peak_rss_kib() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes there, KiB elsewhere


def listen(folder: str, telemetry: Callable[[], Telemetry]) -> None:
    """Answers each connection to FOLDER/PID.sock with one JSON line, on a thread that sleeps in accept()."""
    path = os.path.join(folder, f"{os.getpid()}.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    main_thread = threading.main_thread().ident or threading.get_ident()

    def serve() -> None:
        while True:
            connection, _ = server.accept()
            with connection:
                connection.recv(64)
                connection.sendall(json.dumps(answer(telemetry, main_thread)).encode() + b"\n")

    threading.Thread(target=serve, name="otelaudit-control", daemon=True).start()


def die_with_parent() -> None:
    """The measuring child holds stdin's other end: when it ends (done, killed, timed out), so does the server."""
    def wait() -> None:
        sys.stdin.buffer.read()
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=wait, name="otelaudit-parent-watch", daemon=True).start()


def main(argv: List[str]) -> None:
    folder, arm, server, args = argv[1], json.loads(argv[2]), argv[3], argv[4:]
    telemetry = apply_arm(arm)
    listen(folder, telemetry)
    # A pre-fork server's workers are forked from here: each answers for itself.
    os.register_at_fork(after_in_child=lambda: listen(folder, telemetry))
    die_with_parent()
    sys.argv = [server, *args]
    runpy.run_module(server, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
