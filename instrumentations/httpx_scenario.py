"""httpx: an AsyncClient calling a loopback JSON API over keep-alive connections.

Each operation sends one request through one `httpx.AsyncClient` (built in setup, after
instrumentation) to the loopback HTTP/1.1 server and reads the small JSON response:
even operations GET `/api/items` with a query string, odd ones POST a JSON body to
`/api/orders`. Requests carry the headers a service client sends (accept, user agent,
authorization, a request id), so header handling is on the hot path. `trust_env=False`
keeps proxies and netrc out: the loopback server is the only peer. Concurrency 8.
Expects one client span and one `http.client.duration` histogram measurement per
operation (the default, old HTTP semantic conventions).
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class HttpxWorkload(Workload):
    async def setup(self) -> None:
        import httpx

        limits = httpx.Limits(max_connections=self.context.concurrency, max_keepalive_connections=self.context.concurrency)
        self.client: Any = httpx.AsyncClient(
            base_url=self.context.url("http", ""), headers=HEADERS, limits=limits, trust_env=False
        )
        self.counter = itertools.count()

    async def operation(self) -> None:
        request = api_request(next(self.counter))
        response = await self.client.request(request.method, request.path, params=request.query,
                                             json=request.body, headers=request.headers)
        response.raise_for_status()
        response.json()

    async def teardown(self) -> None:
        await self.client.aclose()


SCENARIO = Scenario(HttpxWorkload, expects=Telemetry(spans=1, metric_measurements=1), distribution="httpx",
                    servers=("http",))
