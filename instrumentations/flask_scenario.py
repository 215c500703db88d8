"""flask: WSGI requests to a small JSON API, from a thread pool as a WSGI server would.

The Flask app is built in setup (after instrumentation: the instrumentor swaps the
`Flask` class) with two routes: even operations GET `/api/items/<int:item_id>` with a
query string, odd ones POST a ~3 KB JSON order to `/api/orders`, which the view
parses. Each operation calls the WSGI app with the environ a server builds from the
shared web request mix (`otelaudit.scenarios.web`: a dozen headers, a `traceparent`
among them), on the default thread pool (concurrency 8, as a threaded
WSGI server). Expects per operation one server span and three HTTP server metric
measurements (active requests up and down, duration).
"""

from __future__ import annotations

from typing import Any

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.web import WsgiWorkload, item, order


def _build_app() -> Any:
    from flask import Flask, jsonify, request

    app = Flask("otelaudit_flask_scenario")

    @app.get("/api/items/<int:item_id>")
    def get_item(item_id: int) -> Any:
        return jsonify(item(item_id, request.args.get("fields", "id")))

    @app.post("/api/orders")
    def create_order() -> Any:
        return jsonify(order(request.get_json())), 201

    return app


class FlaskWorkload(WsgiWorkload):
    def build_app(self) -> Any:
        return _build_app()


SCENARIO = Scenario(FlaskWorkload, expects=Telemetry(spans=1, metric_measurements=3), distribution="flask",
                    supported_versions=">=2.2,<4")
