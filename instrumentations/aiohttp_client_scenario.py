"""aiohttp-client: ClientSession calls to a loopback JSON API, long-lived and per request.

Each operation sends one request to the loopback HTTP/1.1 server (its own process) and
decodes the small JSON response, with the shared client request mix
(`otelaudit.scenarios.http`): even operations GET `/api/items` with a query string, odd
ones POST a ~3 KB JSON order to `/api/orders`, all with a dozen service-client headers.
Operations alternate in pairs (so both patterns send both requests) between the two
ways code uses aiohttp: one `aiohttp.ClientSession` built in setup and shared over
keep-alive connections (what aiohttp's docs advise), and `async with
aiohttp.ClientSession() as session` per request, which much code does: a new session,
connector and connection every time. Sessions are built after instrumentation: the
instrumentor wraps `ClientSession` construction to add its trace config, a cost paid
per session that a shared session hides. Concurrency 8. Expects one client span and one
`http.client.duration` measurement per operation.
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class AiohttpClientWorkload(Workload):
    async def setup(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self.context.concurrency)
        self.base = self.context.url("http", "")
        self.session = aiohttp.ClientSession(base_url=self.base, headers=HEADERS, connector=connector, trust_env=False)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        if n // 2 % 2:  # a session per request
            import aiohttp

            async with aiohttp.ClientSession(base_url=self.base, headers=HEADERS, trust_env=False) as session:
                await self._send(session, n)
        else:
            await self._send(self.session, n)

    @staticmethod
    async def _send(session: Any, n: int) -> None:
        request = api_request(n)
        async with session.request(request.method, request.path, params=request.query, json=request.body,
                                   headers=request.headers) as response:
            response.raise_for_status()
            await response.json()

    async def teardown(self) -> None:
        await self.session.close()


SCENARIO = Scenario(AiohttpClientWorkload, expects=Telemetry(spans=1, metric_measurements=1),
                    instrumentor="aiohttp-client", library="aiohttp", distribution="aiohttp",
                    supported_versions=">=3.9,<4", servers=("http",))
