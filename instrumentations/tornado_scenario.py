"""tornado: requests over loopback to a Tornado web application.

The application is built in setup (after instrumentation: the instrumentor wraps
`RequestHandler` methods and the application) with two handlers, and served on
127.0.0.1 by Tornado's HTTP server on the measured process's asyncio loop. A
hand-written keep-alive HTTP/1.1 client (`otelaudit.scenarios.web.LoopbackClient`, one
connection per worker, concurrency 8) sends the shared web request mix: even operations
GET `/api/items/(\\d+)` with a query string, odd ones POST a ~3 KB JSON order to
`/api/orders`, which the handler parses; every request carries the mix's dozen
headers, a `traceparent` among them. Expects per operation one server
span and five HTTP server metric measurements (active requests up and down, duration,
request size and response size).
"""

from __future__ import annotations

import json
from typing import Any

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.web import LoopbackServerWorkload, item, order


def _build_app() -> Any:
    import tornado.web

    class ItemHandler(tornado.web.RequestHandler):
        def get(self, item_id: str) -> None:
            self.write(item(int(item_id), self.get_query_argument("fields", "id")))

    class OrderHandler(tornado.web.RequestHandler):
        def post(self) -> None:
            self.set_status(201)
            self.write(order(json.loads(self.request.body)))

    return tornado.web.Application([(r"/api/items/(\d+)", ItemHandler), (r"/api/orders", OrderHandler)])


class TornadoWorkload(LoopbackServerWorkload):
    async def start_server(self) -> int:
        import tornado.httpserver
        import tornado.netutil

        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.server = tornado.httpserver.HTTPServer(_build_app(), xheaders=True)
        self.server.add_sockets(sockets)
        return int(sockets[0].getsockname()[1])

    async def stop_server(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()


SCENARIO = Scenario(TornadoWorkload, expects=Telemetry(spans=1, metric_measurements=5), distribution="tornado",
                    supported_versions=">=6.2,<7")
