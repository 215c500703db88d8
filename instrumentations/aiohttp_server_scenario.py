"""aiohttp-server: requests over loopback to an aiohttp web application.

The application is built in setup (after instrumentation: the instrumentor swaps
`aiohttp.web.Application` for one with its middleware) with two routes, and served on
127.0.0.1 by aiohttp's own server in the measured process. A hand-written keep-alive
HTTP/1.1 client (`otelaudit.scenarios.web.LoopbackClient`, one connection per worker,
concurrency 8) sends the shared web request mix: even operations GET
`/api/items/{item_id}` with a query string, odd ones POST a ~3 KB JSON order to
`/api/orders`, which the handler parses; every request carries the mix's dozen
headers, a `traceparent` among them. Expects per operation one server
span and three HTTP server metric measurements (active requests up and down, duration).
"""

from __future__ import annotations

from typing import Any

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.web import LoopbackServerWorkload, item, order


def _build_app() -> Any:
    from aiohttp import web

    async def get_item(request: web.Request) -> web.Response:
        return web.json_response(item(int(request.match_info["item_id"]), request.query.get("fields", "id")))

    async def create_order(request: web.Request) -> web.Response:
        return web.json_response(order(await request.json()), status=201)

    app = web.Application()
    app.router.add_get("/api/items/{item_id}", get_item)
    app.router.add_post("/api/orders", create_order)
    return app


class AiohttpServerWorkload(LoopbackServerWorkload):
    async def start_server(self) -> int:
        from aiohttp import web

        self.runner = web.AppRunner(_build_app(), access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return int(self.runner.addresses[0][1])

    async def stop_server(self) -> None:
        await self.runner.cleanup()


SCENARIO = Scenario(AiohttpServerWorkload, expects=Telemetry(spans=1, metric_measurements=3),
                    instrumentor="aiohttp-server", library="aiohttp", distribution="aiohttp",
                    supported_versions=">=3.9,<4")
