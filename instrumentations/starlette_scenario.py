"""starlette: in-process ASGI requests to a small JSON API.

The Starlette app is built in setup (after instrumentation: the instrumentor swaps the
`Starlette` class, so only apps constructed afterwards get its middleware) with two
routes, and each operation calls the ASGI app directly, as a server would, with a
realistic HTTP/1.1 scope (host, user agent, accept, authorization and request-id
headers, client and server addresses): even operations GET `/api/items/{item_id}` with
a path parameter and a query string, odd ones POST a small JSON body to `/api/orders`,
which the handler parses. No sockets: all cost is the framework's and the middleware's.
Concurrency 8 (the handlers never block, so operations run back to back on the loop).
Expects per operation three spans (the server span plus the ASGI middleware's internal
`http send` spans for `http.response.start` and `http.response.body`; the
`http receive` span appears only for the POST's body read, so it is half a span per
operation on average: 3.5 spans) and, with the default (old) HTTP semantic
conventions, four metric measurements: `http.server.active_requests` up and down,
`http.server.duration` and `http.server.response.size` (plus `http.server.request.size`
when the request has a body: 4.5 on average).
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Dict, List

from otelaudit.model import Telemetry
from otelaudit.scenario import Scenario, Workload

COMMON_HEADERS = [
    (b"host", b"api.internal:8000"),
    (b"user-agent", b"otelaudit-scenario/1.0"),
    (b"accept", b"application/json"),
    (b"authorization", b"Bearer 0123456789abcdef"),
]


def _build_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def get_item(request: Request) -> JSONResponse:
        item_id = int(request.path_params["item_id"])
        fields = request.query_params.get("fields", "id").split(",")
        return JSONResponse({"id": item_id, "fields": fields, "price": item_id * 1.5})

    async def create_order(request: Request) -> JSONResponse:
        order = await request.json()
        return JSONResponse({"order_id": 1, "item_id": order["item_id"], "status": "accepted"}, status_code=201)

    return Starlette(
        routes=[
            Route("/api/items/{item_id:int}", get_item, methods=["GET"]),
            Route("/api/orders", create_order, methods=["POST"]),
        ]
    )


class StarletteWorkload(Workload):
    async def setup(self) -> None:
        self.app = _build_app()
        self.counter = itertools.count()

    def _scope(self, method: str, path: str, query: bytes, headers: List[Any]) -> Dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query,
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

    async def operation(self) -> None:
        n = next(self.counter)
        headers = [*COMMON_HEADERS, (b"x-request-id", f"req-{n}".encode())]
        if n % 2:
            body = json.dumps({"item_id": n % 100, "quantity": 2, "note": "gift wrap"}).encode()
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            scope = self._scope("POST", "/api/orders", b"", headers)
        else:
            body = b""
            scope = self._scope("GET", f"/api/items/{n % 100}", b"fields=id,price&currency=EUR", headers)
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0

        async def receive() -> Dict[str, Any]:
            # After the body, a real server only reports the disconnect.
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: Dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        if not 200 <= status < 300:
            raise RuntimeError(f"{scope['method']} {scope['path']} answered {status}")


SCENARIO = Scenario(
    name="starlette",
    instrumentor="starlette",
    library="starlette",
    distribution="starlette",
    workload=StarletteWorkload,
    expects=Telemetry(spans=3.5, metric_measurements=4.5),
    description=__doc__ or "",
    concurrency=8,
)
