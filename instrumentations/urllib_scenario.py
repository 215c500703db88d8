"""urllib: `urllib.request` calls to a loopback JSON API, run from a thread pool.

Each operation opens one request with `urllib.request.urlopen` (through an opener with
no proxy handler: the loopback server, in its own process, is the only peer) on the
default executor (concurrency 8, as an async service wraps a blocking client) and
decodes the small JSON response, with the shared client request mix
(`otelaudit.scenarios.http`): even operations GET `/api/items` with a query string, odd
ones POST a ~3 KB JSON order to `/api/orders`, all with a dozen service-client
headers. urllib opens a new connection per request, as it does in
production. Expects per operation one client span and three metric measurements
(`http.client.duration`, `http.client.request.size`, `http.client.response.size`).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class UrllibWorkload(Workload):
    async def setup(self) -> None:
        import urllib.request

        self.opener: Any = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.base = self.context.url("http", "")
        self.counter = itertools.count()

    def _call(self, n: int) -> None:
        import urllib.parse
        import urllib.request

        request = api_request(n)
        url = f"{self.base}{request.path}"
        if request.query:
            url += "?" + urllib.parse.urlencode(request.query)
        headers = {**HEADERS, **request.headers}
        data = None
        if request.body is not None:
            data = json.dumps(request.body).encode()
            headers["Content-Type"] = "application/json"
        with self.opener.open(urllib.request.Request(url, data=data, headers=headers, method=request.method),
                              timeout=10) as response:
            json.loads(response.read())

    async def operation(self) -> None:
        import asyncio  # here, not at import: `otelaudit list` imports this module

        await asyncio.get_running_loop().run_in_executor(None, self._call, next(self.counter))


SCENARIO = Scenario(UrllibWorkload, expects=Telemetry(spans=1, metric_measurements=3), library="urllib.request",
                    servers=("http",))
