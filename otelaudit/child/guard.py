"""Failures of the hooks a probe installs in the measured process (profile function,
audit hook). CPython removes a profile function that raises and re-raises its error in
the workload, so one recorder tripping over a user object would lose every recorder's
evidence; instead each recorder catches its own errors here and costs one warning.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Optional


def describe(error: BaseException) -> str:
    """One line: the error and the innermost frame that raised it. Never raises and runs
    no user code (no `linecache`, which may ask a module's loader for its source)."""
    where = ""
    last: Optional[TracebackType] = error.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    if last is not None:
        where = f" (at {os.path.basename(last.tb_frame.f_code.co_filename)}:{last.tb_lineno})"
    try:
        text = str(error).strip().splitlines()
    except Exception:  # a user exception whose __str__ raises too
        text = ["<unprintable>"]
    return f"{type(error).__name__}: {text[0] if text else ''}{where}"


class RecorderFailures:
    """How often one named recorder failed and how it first did; the calls it failed on
    are skipped, so its counts can only fall short, never be invented."""

    def __init__(self, recorder: str) -> None:
        self.recorder = recorder
        self.count = 0
        self.first = ""

    def note(self, error: BaseException) -> None:
        self.count += 1
        if self.count == 1:
            self.first = describe(error)

    def warning(self) -> Optional[str]:
        if self.count == 0:
            return None
        times = "once" if self.count == 1 else f"{self.count} times"
        return f"{self.recorder} failed {times} (first: {self.first}); its evidence may be incomplete"
