"""urllib3: a shared PoolManager calling a loopback JSON API from a thread pool.

Each operation runs one request on the default executor (a thread pool sized to the
concurrency) through one `urllib3.PoolManager` shared by all threads (it is
thread-safe; its pool keeps one keep-alive connection per thread) and decodes the small
JSON response: even operations GET `/api/items` with a query string (`fields=`), odd
ones POST a ~3 KB JSON order (`json=`) to `/api/orders`. Requests carry the dozen
headers of the shared client mix (`otelaudit.scenarios.http`). One PoolManager shared
by the whole service is how urllib3 is used (requests does the same inside a Session):
there is no per-request object to build. urllib3 never reads
proxy settings from the environment: the loopback server is the only peer.
Concurrency 8. Expects one client span per operation and, with the default (old) HTTP
semantic conventions, three histogram measurements: `http.client.duration`,
`http.client.request.size` and `http.client.response.size`.
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request
from otelaudit.scenarios.payload import note_headers


class Urllib3Workload(Workload):
    sizes = (0, 16384)  # a note header's bytes: none in the timed rounds, 16 KB in the scaling run

    async def setup(self) -> None:
        import urllib3

        size = self.context.concurrency
        self.pool: Any = urllib3.PoolManager(num_pools=2, maxsize=size, block=True, retries=False)
        self.base = self.context.url("http", "")
        self.counter = itertools.count()

    def _call(self, n: int) -> None:
        request = api_request(n)
        response = self.pool.request(request.method, f"{self.base}{request.path}", fields=request.query,
                                     json=request.body, timeout=10.0,
                                     headers={**HEADERS, **request.headers, **note_headers(self.size)})
        if response.status != 200:
            raise RuntimeError(f"loopback server answered {response.status}")
        response.json()

    async def operation(self) -> None:
        import asyncio  # here, not at module level: `otelaudit list` loads this module
        await asyncio.get_running_loop().run_in_executor(None, self._call, next(self.counter))

    async def teardown(self) -> None:
        self.pool.clear()


SCENARIO = Scenario(Urllib3Workload, expects=Telemetry(spans=1, metric_measurements=3), distribution="urllib3",
                    servers=("http",))
