"""The temporary directories children run in, named after the process that made them
(`otelaudit-run-<pid>-…`). Each is removed on every exit Python sees: a return, an
exception, Ctrl-C, the SIGTERM the CLI turns into a Ctrl-C. SIGKILL cannot be caught, so
the directories of a process that is gone are removed when the next one starts."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from typing import List, Optional

STALE = re.compile(r"otelaudit-[a-z]+-(\d+)-")
_swept = threading.Event()


def workdir(kind: str) -> "tempfile.TemporaryDirectory[str]":
    """A fresh directory for one child; the first of a process sweeps the stale ones."""
    if not _swept.is_set():
        _swept.set()
        remove_stale()
    return tempfile.TemporaryDirectory(prefix=f"otelaudit-{kind}-{os.getpid()}-")


def remove_stale(root: Optional[str] = None) -> List[str]:
    """Removes this user's child directories whose process has ended; returns their paths."""
    if os.name == "nt":  # os.kill(pid, 0) would end the process there, not probe it
        return []
    root = root or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return []
    for name in names:
        match = STALE.match(name)
        path = os.path.join(root, name)
        if match and int(match.group(1)) != os.getpid() and _ours(path) and not alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _ours(path: str) -> bool:
    try:
        return os.path.isdir(path) and os.stat(path).st_uid == os.getuid()
    except OSError:
        return False
