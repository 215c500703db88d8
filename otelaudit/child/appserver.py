"""The user's app behind a real server, inside a measuring child (app mode's `--server`): the
child binds a loopback port, starts the server on it (`otelaudit.child.serve`: uvicorn for an
ASGI app, gunicorn for a WSGI one) with the arm's telemetry, and sends the `--request` list in
turn over real HTTP connections, `concurrency` in flight. The child itself is never
instrumented: the CPU and telemetry it reports are the server's processes', read over their
control sockets around the timed phase; latency and throughput are what the client saw."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Set, Tuple

from otelaudit.child.app import SHOWN_BODY, RequestFailed, check, requests_from_environment
from otelaudit.child.guard import describe as describe_error
from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Usage, Workload

READY_S = 60.0  # a server that has not answered by then will not: its app's start-up hangs
HOST = "127.0.0.1"
SETTLE_S = 0.01  # the server ends a request's spans just after its response: let the last ones end


def server_command(kind: str, reference: str, fd: int, app_dir: str, concurrency: int) -> List[str]:
    """The server as its users start it, on the inherited socket `fd`, quiet but for warnings.
    gunicorn: one worker with a thread per request in flight (its threaded worker)."""
    if kind == "asgi":
        return ["uvicorn", "--fd", str(fd), "--app-dir", app_dir, "--log-level", "warning", reference]
    return ["gunicorn", "--bind", f"fd://{fd}", "--workers", "1", "--worker-class", "gthread",
            "--threads", str(concurrency), "--chdir", app_dir, "--log-level", "warning", reference]


def bound_socket(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(1024)
    return listener


def read_control(folder: str) -> Dict[str, Usage]:
    """Each server process's readings so far, by its control socket."""
    readings = {}
    for name in sorted(os.listdir(folder)):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(os.path.join(folder, name))
            connection.sendall(b"read\n")
            data = json.loads(connection.makefile("rb").readline())
        readings[name] = Usage(data["cpu_s"], data["loop_cpu_s"], Telemetry(*data["telemetry"]), data["peak_rss_kib"])
    return readings


class ServedAppWorkload(Workload):
    """`name` is the JSON of app, kind, the arm (sdk, instrument) and the port (0: any free one)."""

    name = ""

    async def setup(self) -> None:
        import httpx

        arm = json.loads(self.name)
        self.requests, self.turn = requests_from_environment(), itertools.count()
        self.processes: Optional[Set[str]] = None
        self.folder = tempfile.mkdtemp(prefix="control-", dir=os.getcwd())  # the runner's workdir, removed after
        self.listener = bound_socket(arm["port"])
        port = self.listener.getsockname()[1]
        command = server_command(arm["kind"], arm["app"], self.listener.fileno(), arm["app_dir"],
                                 self.context.concurrency)
        telemetry = json.dumps({key: arm[key] for key in ("sdk", "instrument")})
        self.log = tempfile.TemporaryFile()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "otelaudit.child.serve", self.folder, telemetry, *command],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log, cwd=arm["app_dir"],
            pass_fds=(self.listener.fileno(),), start_new_session=True)
        limits = httpx.Limits(max_connections=self.context.concurrency,
                              max_keepalive_connections=self.context.concurrency)
        self.client: Any = httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=READY_S)
        await self.ready()

    async def ready(self) -> None:
        """The first request answered (a warm-up one): the server and its app are up. The
        port listens from the start, so the request waits in its backlog meanwhile."""
        first = asyncio.ensure_future(self.operation())
        while not first.done() and self.server.poll() is None:
            await asyncio.wait([first], timeout=0.05)
        if not first.done() or first.exception() is not None:
            try:
                self.server.wait(timeout=0 if first.done() else 1)
            except subprocess.TimeoutExpired:
                pass
            if self.server.returncode is not None:
                first.cancel()
                raise RuntimeError(f"the server exited with code {self.server.returncode}: {self.server_said()}")
        first.result()

    def server_said(self) -> str:
        self.log.seek(0)
        lines = [ln.strip() for ln in self.log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[-1][:SHOWN_BODY] if lines else "no output"

    def usage(self) -> Optional[Usage]:
        """Summed over the server's processes, which must stay the same ones (a worker that
        restarts mid-run would take its CPU with it)."""
        time.sleep(SETTLE_S)
        readings = read_control(self.folder)
        self.processes = self.processes or set(readings)
        if set(readings) != self.processes:
            raise RuntimeError(f"the server's processes changed during the run ({len(self.processes)} -> "
                               f"{len(readings)}): a worker restarted")
        spans, metrics, logs = (sum(getattr(r.telemetry, f) for r in readings.values())
                                for f in ("spans", "metric_measurements", "log_records"))
        return Usage(sum(r.cpu_s for r in readings.values()), sum(r.loop_cpu_s for r in readings.values()),
                     Telemetry(spans, metrics, logs), sum(r.peak_rss_kib for r in readings.values()))

    async def operation(self) -> None:
        method, path, body = self.requests[next(self.turn) % len(self.requests)]
        try:
            response = await self.client.request(method, path, **({"json": body} if body is not None else {}))
        except Exception as error:
            raise RequestFailed(f"{method} {path} raised {describe_error(error)}") from error
        check(response, method, path)

    async def teardown(self) -> None:
        await self.client.aclose()
        if self.server.stdin is not None:
            self.server.stdin.close()  # the server kills its process group
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()
        self.listener.close()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def scenario_named(name: str) -> Scenario:
    """The measuring child's scenario for one served arm (child.measure asks for it)."""
    workload = type("ServedAppWorkload", (ServedAppWorkload,), {"name": name, "__module__": __name__})
    app = json.loads(name)["app"]
    return Scenario(workload, Telemetry(), name=name, library=__name__, description=f"the app {app} behind a server",
                    library_version=lambda: "user app")
