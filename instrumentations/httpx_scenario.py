"""httpx: AsyncClient calls to a loopback JSON API, with a long-lived client and a client per request.

Each operation sends one request to the loopback HTTP/1.1 server and reads the small
JSON response, with the shared client request mix (`otelaudit.scenarios.http`: even
operations GET `/api/items` with a query string, odd ones POST a ~3 KB JSON order to
`/api/orders`, all with a dozen service-client headers). Operations alternate in pairs
(so both patterns send both requests) between the two ways code uses httpx: one
`httpx.AsyncClient` built in setup (after instrumentation) and shared, over keep-alive
connections; and `async with httpx.AsyncClient() as client` per request, as some code
does, which builds the client, its transport and pool, and a new connection every time.
The per-request clients share one SSL context (`verify=`), as httpx advises for many
clients: loading the CA bundle per client would take milliseconds in every arm and
drown what the instrumentation adds per client. `trust_env=False` keeps proxies and
netrc out: the loopback server is the only peer. Concurrency 8. Expects one client span
and one `http.client.duration` histogram measurement per operation (the default, old
HTTP semantic conventions).
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class HttpxWorkload(Workload):
    async def setup(self) -> None:
        import ssl

        import httpx

        limits = httpx.Limits(max_connections=self.context.concurrency, max_keepalive_connections=self.context.concurrency)
        self.base = self.context.url("http", "")
        # One CA bundle load (~0.12 s) per child instead of two: setup is not timed, but every child pays it.
        self.ssl_context = ssl.create_default_context()
        self.client: Any = httpx.AsyncClient(base_url=self.base, headers=HEADERS, limits=limits, trust_env=False,
                                             verify=self.ssl_context)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        if n // 2 % 2:  # a client per request
            import httpx

            async with httpx.AsyncClient(base_url=self.base, headers=HEADERS, verify=self.ssl_context,
                                         trust_env=False) as client:
                await self._send(client, n)
        else:
            await self._send(self.client, n)

    @staticmethod
    async def _send(client: Any, n: int) -> None:
        request = api_request(n)
        response = await client.request(request.method, request.path, params=request.query,
                                        json=request.body, headers=request.headers)
        response.raise_for_status()
        response.json()

    async def teardown(self) -> None:
        await self.client.aclose()


SCENARIO = Scenario(HttpxWorkload, expects=Telemetry(spans=1, metric_measurements=1), distribution="httpx",
                    servers=("http",))
