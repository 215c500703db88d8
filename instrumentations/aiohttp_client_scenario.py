"""aiohttp-client: a ClientSession calling a loopback JSON API over keep-alive connections.

Each operation sends one request through one `aiohttp.ClientSession` (built in setup,
after instrumentation: the instrumentor wraps `ClientSession` construction to add its
trace config) to the loopback HTTP/1.1 server (its own process) and decodes the small
JSON response, with the shared client request mix (`otelaudit.scenarios.http`): even
operations GET `/api/items` with a query string, odd ones POST a JSON body to
`/api/orders`, all with accept, user agent, authorization and request-id headers.
Concurrency 8. Expects one client span and one `http.client.duration` measurement per
operation.
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class AiohttpClientWorkload(Workload):
    async def setup(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self.context.concurrency)
        self.session = aiohttp.ClientSession(base_url=self.context.url("http", ""), headers=HEADERS,
                                             connector=connector, trust_env=False)
        self.counter = itertools.count()

    async def operation(self) -> None:
        request = api_request(next(self.counter))
        async with self.session.request(request.method, request.path, params=request.query, json=request.body,
                                        headers=request.headers) as response:
            response.raise_for_status()
            await response.json()

    async def teardown(self) -> None:
        await self.session.close()


SCENARIO = Scenario(AiohttpClientWorkload, expects=Telemetry(spans=1, metric_measurements=1),
                    instrumentor="aiohttp-client", library="aiohttp", distribution="aiohttp",
                    supported_versions=">=3.9,<4", servers=("http",))
