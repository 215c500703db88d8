"""django: WSGI requests to a small JSON API through Django's middleware stack.

The project (`otelaudit.scenarios.django_site`, named by `DJANGO_SETTINGS_MODULE` so the
instrumentor can add its middleware to the configured settings) has the security,
common and clickjacking middleware and two URL patterns: even operations GET
`/api/items/<int:item_id>` with a query string, odd ones POST a ~3 KB JSON order to
`/api/orders`, which the view parses. Each operation calls the WSGI handler (built in
setup, after instrumentation) with the environ a server builds from the shared web
request mix (`otelaudit.scenarios.web`), on the default thread pool (concurrency 8, as a
threaded WSGI server). Expects per operation one server span and three HTTP server
metric measurements (active requests up and down, duration).
"""

from __future__ import annotations

from typing import Any

from otelaudit import Scenario, Telemetry
from otelaudit.scenarios.web import WsgiWorkload


class DjangoWorkload(WsgiWorkload):
    def build_app(self) -> Any:
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


SCENARIO = Scenario(DjangoWorkload, expects=Telemetry(spans=1, metric_measurements=3), distribution="django",
                    supported_versions=">=4.2,<7",
                    env={"DJANGO_SETTINGS_MODULE": "otelaudit.scenarios.django_site"})
