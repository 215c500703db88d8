"""requests: blocking Session calls to a loopback JSON API, run from a thread pool.

Each operation runs one request on the default executor (a thread pool sized to the
concurrency, as an async service would wrap a sync client) through that worker
thread's own `requests.Session` (sessions are not thread-safe, so one per thread; each
keeps its keep-alive connection) and decodes the small JSON response: even operations
GET `/api/items` with a query string, odd ones POST a JSON body to `/api/orders`.
Requests carry the headers a service client sends (accept, user agent, authorization,
a request id). `trust_env=False` keeps proxies and netrc out: the loopback server is
the only peer. Concurrency 8. Expects one client span and one `http.client.duration`
histogram measurement per operation (the default, old HTTP semantic conventions).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, List

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request


class RequestsWorkload(Workload):
    async def setup(self) -> None:
        import requests  # noqa: F401  (imported after instrument(), like the application would)

        self.base = self.context.url("http", "")
        self.local = threading.local()
        self.sessions: List[Any] = []  # every thread's session, to close them in teardown
        self.lock = threading.Lock()
        self.counter = itertools.count()

    def _session(self) -> Any:
        session = getattr(self.local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.trust_env = False
            session.headers.update(HEADERS)
            self.local.session = session
            with self.lock:
                self.sessions.append(session)
        return session

    def _call(self, n: int) -> None:
        session = self._session()
        request = api_request(n)
        response = session.request(request.method, f"{self.base}{request.path}", params=request.query,
                                   json=request.body, headers=request.headers, timeout=10)
        response.raise_for_status()
        response.json()

    async def operation(self) -> None:
        import asyncio  # here, not at module level: `otelaudit list` loads this module
        await asyncio.get_running_loop().run_in_executor(None, self._call, next(self.counter))

    async def teardown(self) -> None:
        for session in self.sessions:
            session.close()


SCENARIO = Scenario(RequestsWorkload, expects=Telemetry(spans=1, metric_measurements=1), distribution="requests",
                    servers=("http",))
