"""A zygote for measuring children: `python -m otelaudit.child.forkserver`, run by
`otelaudit.run.forkserver`. Importing the harness (asyncio, the model, the drivers) cost
each spawned child ~0.25 s of CPU, most of a quick scan's time; the zygote imports it
once and forks one child per request. A child is still a fresh process that has run
nothing: the fork happens before any library, instrumentation or SDK is imported, so the
arms differ only in what they import afterwards, as with `python -m`.

`python -m otelaudit.child.forkserver LIBRARY` also imports the scenario's library, which
every arm imports first anyway; if that import fails the children report it, and if it
started a thread the zygote exits at once, since forking it would not be safe. What
follows `--then` (an sdk arm's instrumentation and SDK) is imported after the freeze:
those objects are the arm's own, so a child's collections must see them as a fresh
import's would, not skip them as frozen.

Requests and replies are JSON lines: a request names the child's argv, working directory,
environment and stderr file; the reply is `{"pid": N}` at once, then `{"code": C}` when it
ends (negative: killed by that signal)."""

from __future__ import annotations

import gc
import importlib
import json
import os
import random
import signal
import sys
import threading
import traceback
from typing import Any, Dict, List

import otelaudit.child.measure as measure  # the preload: what every child would import first


def serve(preload: List[str], then: List[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _import(preload)
    gc.freeze()  # the harness's objects: a child's collections would copy every page they touch
    _import(then)
    if threading.active_count() > 1:
        sys.exit(3)
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    for line in reader:
        request: Dict[str, Any] = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        _reply(writer, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        _reply(writer, {"code": os.waitstatus_to_exitcode(status)})


def _import(names: List[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - each child imports it again and reports why it fails
            pass


def _reply(writer: Any, message: Dict[str, int]) -> None:
    writer.write(json.dumps(message).encode() + b"\n")
    writer.flush()


def _child(request: Dict[str, Any]) -> None:
    """Becomes what `cd CWD && env ENV python -m otelaudit.child.measure ARGV` would be; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _redirect(os.devnull, 0, os.O_RDONLY)
        _redirect(os.devnull, 1, os.O_WRONLY)
        _redirect(request["stderr"], 2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]  # what `-m` puts first: the working directory
        random.seed()  # each child its own random state, as a spawned one has
        argv: List[str] = [measure.__file__ or "-m", *request["argv"]]
        sys.argv = argv
        code = measure.main(argv)
    except SystemExit as ended:
        code = ended.code if isinstance(ended.code, int) else 1
    except BaseException:  # reported on stderr like an uncaught exception of `python -m`
        traceback.print_exc()
    measure.leave(code)


def _redirect(path: str, fd: int, flags: int) -> None:
    opened = os.open(path, flags, 0o600)
    os.dup2(opened, fd)
    os.close(opened)


if __name__ == "__main__":
    args = sys.argv[1:]
    cut = args.index("--then") if "--then" in args else len(args)
    serve(args[:cut], args[cut + 1:])
