"""requests: blocking calls to a loopback JSON API, run from a thread pool, both ways code calls.

Each operation runs one request on the default executor (a thread pool sized to the
concurrency, as an async service would wrap a sync client) and decodes the small JSON
response, with the shared client request mix (`otelaudit.scenarios.http`: even
operations GET `/api/items` with a query string, odd ones POST a ~3 KB JSON order to
`/api/orders`, all with a dozen service-client headers). Operations alternate in pairs
(so both patterns send both requests) between the two ways services call requests:
through that worker thread's own long-lived `requests.Session` (sessions are not
thread-safe, so one per thread; keep-alive connections, `trust_env=False`), and with
the module-level `requests.request` that much code uses, which builds a Session (and
its adapters and pool) per call, reads the environment (netrc, CA bundle variables)
and opens a new connection; those calls pass `no_proxy` for loopback, whatever proxies
the environment names: the server is the only peer.
Concurrency 8. Expects one client span and one `http.client.duration` histogram
measurement per operation (the default, old HTTP semantic conventions).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, List

from otelaudit import Scenario, Telemetry, Workload
from otelaudit.scenarios.http import HEADERS, api_request

LOOPBACK = {"no_proxy": "127.0.0.1,localhost"}  # whatever proxies the environment names


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
        import requests

        request = api_request(n)
        url = f"{self.base}{request.path}"
        if n // 2 % 2:  # a Session per call, as `requests.get(...)` does
            response = requests.request(request.method, url, params=request.query, json=request.body,
                                        headers={**HEADERS, **request.headers}, timeout=10, proxies=LOOPBACK)
        else:
            response = self._session().request(request.method, url, params=request.query, json=request.body,
                                               headers=request.headers, timeout=10)
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
