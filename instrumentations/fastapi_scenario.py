"""fastapi: in-process ASGI requests to a small JSON API with a validated body.

The FastAPI app is built in setup (after instrumentation: the instrumentor swaps the
`FastAPI` class) with two routes: even operations GET `/api/items/{item_id}` (a typed
path parameter and a query parameter), odd ones POST the mix's ~3 KB JSON order,
validated by a pydantic model with its 18 nested lines, to `/api/orders`. Each
operation calls the ASGI app directly, as a server would, with the shared web request
mix (`otelaudit.scenarios.web`: a dozen headers, a `traceparent` among them). No
sockets: all cost is the framework's and the middleware's. Concurrency 8. Expects per operation, like
starlette's, the server span plus the ASGI `http send` spans (and `http receive` for
the POST body: 3.5 on average) and 4.5 HTTP server metric measurements.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures' annotations,
# and `Order` is local to `_build_app` (the library is imported only in the child).
from typing import Any, Dict, List

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.web import AsgiWorkload, item, order


def _build_app() -> Any:
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Line(BaseModel):
        sku: str
        name: str
        quantity: int
        unit_price: float

    class Order(BaseModel):
        item_id: int
        quantity: int
        note: str = ""
        currency: str = "EUR"
        lines: List[Line] = []

    app = FastAPI()

    @app.get("/api/items/{item_id}")
    async def get_item(item_id: int, fields: str = "id") -> Dict[str, Any]:
        return item(item_id, fields)

    @app.post("/api/orders", status_code=201)
    async def create_order(body: Order) -> Dict[str, Any]:
        return order(body.model_dump() if hasattr(body, "model_dump") else body.dict())

    return app


class FastapiWorkload(AsgiWorkload):
    def build_app(self) -> Any:
        return _build_app()


SCENARIO = Scenario(FastapiWorkload, expects=Telemetry(spans=3.5, metric_measurements=4.5), distribution="fastapi",
                    supported_versions=">=0.100,<1")
