"""Finds the app a reference names, inside a child: `python -m otelaudit.child.appref REF
APP_DIR ENV_JSON` imports it (with the env file's settings) and prints `{"kind":
"asgi"|"wsgi", "framework": DIST}` (with `--server`, and `"missing_server": NAME` when the
server for its kind does not import) or `{"error": "one line"}`, which the parent shows as is;
the measuring child's workload (otelaudit.child.app) loads the app the same way."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import sys
from typing import Any, Dict, Literal, Optional, Tuple

from otelaudit.errors import did_you_mean

AppKind = Literal["asgi", "wsgi"]
SERVERS: Dict[AppKind, str] = {"asgi": "uvicorn", "wsgi": "gunicorn"}  # --server: what serves each kind


class AppError(Exception):
    """The reference does not name an app: one line for the user."""


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


def framework_of(app: Any) -> Optional[str]:
    """The distribution the app object's class comes from (fastapi, flask …): library code
    even when it depends on the OTel API to trace natively, as the baseline runs it too."""
    from importlib import metadata

    top = type(app).__module__.split(".")[0]
    index = getattr(metadata, "packages_distributions", None)  # Python 3.10+
    found = index().get(top) if index is not None else None
    return found[0] if found else None


def describe(reference: str, app_dir: str, server: bool = False) -> Dict[str, Optional[str]]:
    """With `server`, also whether the server for the app's kind imports here (its name if not)."""
    try:
        app, kind = load_app(reference, app_dir)
        importlib.import_module("httpx")
    except AppError as error:
        return {"error": str(error)}
    except ImportError:
        return {"error": "app mode sends the requests through httpx's in-process transports: pip install httpx"}
    found: Dict[str, Optional[str]] = {"kind": kind, "framework": framework_of(app)}
    if server:
        try:
            importlib.import_module(SERVERS[kind])
        except ImportError:
            found["missing_server"] = SERVERS[kind]
    return found


if __name__ == "__main__":
    os.environ.update(json.loads(sys.argv[3]))
    os.chdir(sys.argv[2])
    print(json.dumps(describe(sys.argv[1], sys.argv[2], "--server" in sys.argv[4:])))
    sys.stdout.flush()
    os._exit(0)  # the app's threads and atexit hooks have nothing to add
