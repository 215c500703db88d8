"""The request mix the web-server scenarios share, and the ways to deliver it: straight to
an ASGI or WSGI app (no sockets: all cost is the framework's and the instrumentation's)
or over loopback keep-alive connections to a server running in the measured process.

Even requests GET `/api/items/{id}` with a query string; odd ones POST the client mix's
JSON order of about 3 KB (`otelaudit.scenarios.http.order_body`) to `/api/orders`. All
carry the dozen headers a service behind a proxy receives (14 with a body's type and
length): host, a browser's user agent, accept, encodings, languages, a JWT-sized bearer
token, a session cookie, forwarded-for, -proto and real IP, a request id and a W3C
`traceparent` from the instrumented gateway (new per request, so server
instrumentations extract a remote parent as in production). Every
app answers the GET with `{"id", "fields", "price"}` and the POST with 201
`{"order_id", "item_id", "status"}`."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
import itertools
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from otelaudit.scenarios.api import Workload
from otelaudit.scenarios.http import TOKEN, order_body

if TYPE_CHECKING:  # asyncio is imported where it runs: `otelaudit list` imports this module
    import asyncio

COMMON_HEADERS: Tuple[Tuple[str, str], ...] = (
    ("host", "api.internal:8000"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"),
    ("accept", "application/json, text/plain, */*"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-GB,en;q=0.9,fr;q=0.8"),
    ("authorization", f"Bearer {TOKEN}"),
    ("cookie", "session=4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99; csrftoken=Zx81kQ0pLm3nB7vC5xY2; theme=dark"),
    ("x-forwarded-for", "203.0.113.7, 10.0.0.12"),
    ("x-forwarded-proto", "https"),
    ("x-real-ip", "203.0.113.7"),
)


@dataclass(frozen=True)
class WebRequest:
    method: str
    path: str
    query: str
    headers: Tuple[Tuple[str, str], ...]
    body: bytes


def web_request(n: int) -> WebRequest:
    parent = f"00-4bf92f3577b34da6a3ce929d{n % 2**32:08x}-00f067aa{n % 2**32:08x}-01"  # a new trace per request
    headers = COMMON_HEADERS + (("x-request-id", f"req-{n}"), ("traceparent", parent))
    if n % 2:
        body = json.dumps(order_body(n)).encode()
        headers += (("content-type", "application/json"), ("content-length", str(len(body))))
        return WebRequest("POST", "/api/orders", "", headers, body)
    return WebRequest("GET", f"/api/items/{n % 100}", "fields=id,price&currency=EUR", headers, b"")


def item(item_id: int, fields: str) -> Dict[str, Any]:
    return {"id": item_id, "fields": fields.split(","), "price": item_id * 1.5}


def order(payload: Dict[str, Any]) -> Dict[str, Any]:
    return {"order_id": 1, "item_id": payload["item_id"], "status": "accepted"}


def check(request: WebRequest, status: int) -> None:
    if not 200 <= status < 300:
        raise RuntimeError(f"{request.method} {request.path} answered {status}")


async def call_asgi(app: Any, request: WebRequest) -> None:
    """One request through an ASGI app, as an ASGI server would deliver it."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": request.method, "scheme": "http", "path": request.path, "raw_path": request.path.encode(),
        "root_path": "", "query_string": request.query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in request.headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }
    messages = [{"type": "http.request", "body": request.body, "more_body": False}]
    status = 0

    async def receive() -> Dict[str, Any]:
        # After the body, a real server only reports the disconnect.
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    check(request, status)


def call_wsgi(app: Any, request: WebRequest) -> None:
    """One request through a WSGI app, with the environ a WSGI server builds."""
    environ: Dict[str, Any] = {
        "REQUEST_METHOD": request.method, "SCRIPT_NAME": "", "PATH_INFO": request.path,
        "QUERY_STRING": request.query, "SERVER_NAME": "api.internal", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for name, value in request.headers:
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    status: List[str] = []

    def start_response(status_line: str, headers: Any, exc_info: Any = None) -> Any:
        status.append(status_line)
        return lambda data: None

    result = app(environ, start_response)
    try:
        for _ in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    check(request, int(status[0].split()[0]) if status else 0)


class LoopbackClient:
    """Keep-alive HTTP/1.1 connections to a loopback server, one per concurrent worker,
    written by hand so the client's own cost in the measured process stays small."""

    def __init__(self, host: str, port: int, connections: int) -> None:
        self.address = (host, port)
        self.size = connections
        import asyncio

        self.idle: "asyncio.Queue[Tuple[asyncio.StreamReader, asyncio.StreamWriter]]" = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            import asyncio

            await self.idle.put(await asyncio.open_connection(*self.address))

    async def send(self, request: WebRequest) -> None:
        reader, writer = await self.idle.get()
        try:
            target = f"{request.path}?{request.query}" if request.query else request.path
            head = "".join(f"{k}: {v}\r\n" for k, v in request.headers)
            writer.write(f"{request.method} {target} HTTP/1.1\r\n{head}\r\n".encode() + request.body)
            status = await self._response(reader)
        finally:
            self.idle.put_nowait((reader, writer))
        check(request, status)

    @staticmethod
    async def _response(reader: "asyncio.StreamReader") -> int:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        length: Optional[int] = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("response without content-length")
        await reader.readexactly(length)
        return int(head[0].split()[1])

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


class AppWorkload(Workload):
    """Builds the scenario's app in setup (after instrumentation: instrumentors swap the
    framework's classes, so only apps built afterwards are traced) and numbers requests."""

    def build_app(self) -> Any:
        raise NotImplementedError

    async def setup(self) -> None:
        self.app = self.build_app()
        self.counter = itertools.count()


class AsgiWorkload(AppWorkload):
    """Each operation: the next request of the mix, straight into the ASGI app."""

    async def operation(self) -> None:
        await call_asgi(self.app, web_request(next(self.counter)))


class WsgiWorkload(AppWorkload):
    """Each operation: the next request into the WSGI app on the default thread pool, as a
    threaded WSGI server runs it."""

    async def operation(self) -> None:
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, call_wsgi, self.app, web_request(next(self.counter)))


class LoopbackServerWorkload(Workload):
    """Serves the scenario's app on loopback in the measured process (`start_server`
    returns its port) and sends the mix through a `LoopbackClient`."""

    async def start_server(self) -> int:
        raise NotImplementedError

    async def stop_server(self) -> None:
        raise NotImplementedError

    async def setup(self) -> None:
        port = await self.start_server()
        self.client = LoopbackClient("127.0.0.1", port, self.context.concurrency)
        await self.client.open()
        self.counter = itertools.count()

    async def operation(self) -> None:
        await self.client.send(web_request(next(self.counter)))

    async def teardown(self) -> None:
        await self.client.close()
        await self.stop_server()
