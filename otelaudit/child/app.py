"""The user's own ASGI or WSGI app as a workload, inside a measuring child: one operation is
one request of the `--request` list (in turn), sent in-process through httpx's ASGI or WSGI
transport; a non-2xx answer or an exception fails the run with the response shown. The app
is imported in `setup`, after `instrument()` ran, as `opentelemetry-instrument` would."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import threading
from typing import Any, Dict, List, Optional, Tuple

from otelaudit.child.appref import load_app
from otelaudit.child.guard import describe as describe_error
from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Workload

REQUESTS_VARIABLE = "OTELAUDIT_APP_REQUESTS"  # [[method, path, body-or-null], ...] as JSON
APP_DIR_VARIABLE = "OTELAUDIT_APP_DIR"  # where the app is imported from and runs, as under uvicorn
BASE_URL = "http://app.otelaudit"
SHOWN_BODY = 200  # characters of a failing response shown


class RequestFailed(Exception):
    """A request answered non-2xx or raised: the run measured error pages, so it is invalid."""


def requests_from_environment() -> List[Tuple[str, str, Any]]:
    return [(method, path, body) for method, path, body in json.loads(os.environ[REQUESTS_VARIABLE])]


def check(response: Any, method: str, path: str) -> None:
    if 200 <= response.status_code < 300:
        return
    body = " ".join(response.text.split())
    shown = body[:SHOWN_BODY] + ("…" if len(body) > SHOWN_BODY else "")
    raise RequestFailed(f"{method} {path} answered {response.status_code}: {shown or '(empty body)'}")


class Lifespan:
    """The ASGI lifespan protocol, as a server runs it: startup before the first request,
    shutdown after the last (httpx's transport sends requests only)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.incoming: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self.outgoing: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self.task: Optional["asyncio.Task[Any]"] = None
        self.state: Dict[str, Any] = {}

    async def with_state(self, scope: Dict[str, Any], receive: Any, send: Any) -> None:
        """The app, given a copy of what its lifespan stored in each request's scope, as servers do."""
        if scope["type"] in ("http", "websocket"):
            scope["state"] = dict(self.state)
        await self.app(scope, receive, send)

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self.incoming.get, self.outgoing.put)
        except Exception:  # an app without lifespan support may raise on the scope: it needs none
            await self.outgoing.put({"type": "unsupported"})

    async def _step(self, event: str) -> bool:
        """False when the app does not speak the lifespan protocol."""
        await self.incoming.put({"type": f"lifespan.{event}"})
        answer = await self.outgoing.get()
        if answer["type"] == f"lifespan.{event}.failed":
            raise RequestFailed(f"the app's lifespan {event} failed: {answer.get('message', '')}")
        return bool(answer["type"] == f"lifespan.{event}.complete")

    async def start(self) -> bool:
        self.task = asyncio.ensure_future(self._run())
        return await self._step("startup")

    async def stop(self) -> None:
        await self._step("shutdown")
        if self.task is not None:
            await self.task


class AppWorkload(Workload):
    """Sends the requests in turn through an in-process transport; a sync (WSGI) app runs
    on the thread pool, like a threaded server's workers, so `concurrency` requests overlap."""

    reference = ""

    async def setup(self) -> None:
        import httpx

        app_dir = os.environ.get(APP_DIR_VARIABLE, os.getcwd())
        os.chdir(app_dir)  # the app's relative paths (settings, sqlite files) as under a server run there
        self.requests = requests_from_environment()
        self.turn = itertools.count()
        app, self.kind = load_app(self.reference, app_dir)
        self.lifespan: Optional[Lifespan] = None
        if self.kind == "asgi":
            lifespan = Lifespan(app)
            if await lifespan.start():
                self.lifespan, app = lifespan, lifespan.with_state
            self.client: Any = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        else:  # a client per worker thread: a client's cookie jar is not meant to be shared across threads
            self.clients: List[Any] = []
            self.local = threading.local()
            self.new_client = functools.partial(httpx.Client, transport=httpx.WSGITransport(app=app),
                                                base_url=BASE_URL)

    def thread_client(self) -> Any:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = self.new_client()
            self.clients.append(client)
        return client

    def send_sync(self, method: str, path: str, arguments: Dict[str, Any]) -> Any:
        return self.thread_client().request(method, path, **arguments)

    async def operation(self) -> None:
        method, path, body = self.requests[next(self.turn) % len(self.requests)]
        arguments: Dict[str, Any] = {"json": body} if body is not None else {}
        try:
            if self.kind == "asgi":
                response = await self.client.request(method, path, **arguments)
            else:
                response = await asyncio.get_running_loop().run_in_executor(
                    None, self.send_sync, method, path, arguments)
        except RequestFailed:
            raise
        except Exception as error:
            raise RequestFailed(f"{method} {path} raised {describe_error(error)}") from error
        check(response, method, path)

    async def teardown(self) -> None:
        if self.kind == "asgi":
            await self.client.aclose()
            if self.lifespan is not None:
                await self.lifespan.stop()
        else:
            for client in self.clients:
                client.close()


def scenario_named(name: str) -> Scenario:
    """The measuring child's scenario for the app reference `name` (child.measure asks for it)."""
    workload = type("AppWorkload", (AppWorkload,), {"reference": name, "__module__": __name__})
    return Scenario(workload, Telemetry(), name=name, library=__name__, description=f"the app {name}",
                    library_version=lambda: "user app")
