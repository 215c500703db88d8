"""starlette: in-process ASGI requests to a small JSON API.

The Starlette app is built in setup (after instrumentation: the instrumentor swaps the
`Starlette` class, so only apps constructed afterwards get its middleware) with two
routes, and each operation calls the ASGI app directly, as a server would, with the shared web
request mix (`otelaudit.scenarios.web`: realistic HTTP/1.1 scope and headers): even
operations GET `/api/items/{item_id}` with a path parameter and a query string, odd ones
POST a ~3 KB JSON order to `/api/orders`, which the handler parses; a dozen headers,
a `traceparent` among them. No sockets: all cost is the framework's and the middleware's.
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

from typing import Any

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.payload import with_note
from otelaudit.scenarios.web import AsgiWorkload, call_asgi, item, order, web_request


def _build_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def get_item(request: Request) -> JSONResponse:
        return JSONResponse(item(int(request.path_params["item_id"]), request.query_params.get("fields", "id")))

    async def create_order(request: Request) -> JSONResponse:
        return JSONResponse(order(await request.json()), status_code=201)

    return Starlette(
        routes=[
            Route("/api/items/{item_id:int}", get_item, methods=["GET"]),
            Route("/api/orders", create_order, methods=["POST"]),
        ]
    )


class StarletteWorkload(AsgiWorkload):
    sizes = (0, 16384)  # a note header's bytes: none in the timed rounds, 16 KB in the scaling run
    depths = (0, 64)  # extra frames above the ASGI call in the scaling run

    def build_app(self) -> Any:
        return _build_app()

    async def operation(self) -> None:
        await call_asgi(self.app, with_note(web_request(next(self.counter)), self.size))


SCENARIO = Scenario(StarletteWorkload, expects=Telemetry(spans=3.5, metric_measurements=4.5), distribution="starlette")
