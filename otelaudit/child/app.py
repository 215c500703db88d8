"""The user's own ASGI or WSGI app as a workload, inside a measuring child: one operation is
one request of the `--request` list (in turn), sent in-process through httpx's ASGI or WSGI
transport; a non-2xx answer or an exception fails the run with the response shown. The app
is imported in `setup`, after `instrument()` ran, as `opentelemetry-instrument` would.

`python -m otelaudit.child.app REF APP_DIR ENV_JSON` checks a reference without measuring:
it prints `{"kind": "asgi"|"wsgi", "framework": DIST}` or `{"error": "one line"}` (what
the parent shows)."""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import itertools
import json
import os
import pkgutil
import sys
from typing import Any, Dict, List, Literal, Optional, Tuple

from otelaudit.child.guard import describe as describe_error
from otelaudit.errors import did_you_mean
from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Workload

REQUESTS_VARIABLE = "OTELAUDIT_APP_REQUESTS"  # [[method, path, body-or-null], ...] as JSON
APP_DIR_VARIABLE = "OTELAUDIT_APP_DIR"  # where the app is imported from and runs, as under uvicorn
BASE_URL = "http://app.otelaudit"
SHOWN_BODY = 200  # characters of a failing response shown

AppKind = Literal["asgi", "wsgi"]


class AppError(Exception):
    """The reference does not name an app: one line for the user."""


class RequestFailed(Exception):
    """A request answered non-2xx or raised: the run measured error pages, so it is invalid."""


def load_app(reference: str, app_dir: str) -> Tuple[Any, AppKind]:
    """The app object behind "package.module:attribute" and whether it is ASGI or WSGI."""
    module_name, _, attribute = reference.partition(":")
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    module = _import(module_name, app_dir)
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            names = [n for n in dir(value) if not n.startswith("_")]
            raise AppError(f"{module_name} has no attribute {attribute!r}{did_you_mean(part, names)}")
        value = getattr(value, part)
    kind = kind_of(value)
    if kind is None:
        raise AppError(f"{reference} ({type(value).__name__}) is neither an ASGI app (async (scope, receive, send)) "
                       "nor a WSGI app ((environ, start_response))")
    return value, kind


def _import(module_name: str, app_dir: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or module_name
        if module_name != missing and not module_name.startswith(missing + "."):
            raise AppError(f"importing {module_name} failed: {error}") from error
        parent, _, leaf = missing.rpartition(".")
        where = [app_dir] if not parent else list(getattr(sys.modules.get(parent), "__path__", []))
        known = [m.name for m in pkgutil.iter_modules(where)]
        raise AppError(f"no module named {missing!r} in {app_dir}{did_you_mean(leaf, known)}") from error
    except Exception as error:
        raise AppError(f"importing {module_name} raised {type(error).__name__}: {error}") from error


def kind_of(value: Any) -> Optional[AppKind]:
    """ASGI: a coroutine function of (scope, receive, send); WSGI: a callable of (environ, start_response)."""
    if inspect.isclass(value) or not callable(value):
        return None
    call = value if inspect.isroutine(value) else getattr(type(value), "__call__", None)
    try:
        positional = [p for p in inspect.signature(value).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return None
    if len(positional) == 3:
        return "asgi"
    if len(positional) == 2 and not inspect.iscoroutinefunction(call):
        return "wsgi"
    return None


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
        else:
            self.client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE_URL)

    async def operation(self) -> None:
        method, path, body = self.requests[next(self.turn) % len(self.requests)]
        arguments: Dict[str, Any] = {"json": body} if body is not None else {}
        try:
            if self.kind == "asgi":
                response = await self.client.request(method, path, **arguments)
            else:
                send = functools.partial(self.client.request, method, path, **arguments)
                response = await asyncio.get_running_loop().run_in_executor(None, send)
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
            self.client.close()


def scenario_named(name: str) -> Scenario:
    """The measuring child's scenario for the app reference `name` (child.measure asks for it)."""
    workload = type("AppWorkload", (AppWorkload,), {"reference": name, "__module__": __name__})
    return Scenario(workload, Telemetry(), name=name, library=__name__, description=f"the app {name}",
                    library_version=lambda: "user app")


def framework_of(app: Any) -> Optional[str]:
    """The distribution the app object's class comes from (fastapi, flask …): library code
    even when it depends on the OTel API to trace natively, as the baseline runs it too."""
    from importlib import metadata

    top = type(app).__module__.split(".")[0]
    index = getattr(metadata, "packages_distributions", None)  # Python 3.10+
    found = index().get(top) if index is not None else None
    return found[0] if found else None


def describe(reference: str, app_dir: str) -> Dict[str, Optional[str]]:
    try:
        app, kind = load_app(reference, app_dir)
    except AppError as error:
        return {"error": str(error)}
    return {"kind": kind, "framework": framework_of(app)}


if __name__ == "__main__":
    os.environ.update(json.loads(sys.argv[3]))
    os.chdir(sys.argv[2])
    print(json.dumps(describe(sys.argv[1], sys.argv[2])))
    sys.stdout.flush()
    os._exit(0)  # the app's threads and atexit hooks have nothing to add
