"""Progress on stderr while a scan runs: one line rewritten in place on a terminal,
one line per scenario start elsewhere (CI logs stay short)."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressPrinter:
    def __init__(self, enabled: bool = True, stream: TextIO = sys.stderr) -> None:
        self.enabled = enabled
        self.stream = stream
        self.live = enabled and stream.isatty()
        self.width = 0

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        if self.live:
            padded = message.ljust(self.width)
            self.width = len(message)
            self.stream.write("\r" + padded)
            self.stream.flush()
        elif message.endswith("starting"):
            self.stream.write(message + "\n")
            self.stream.flush()

    def done(self) -> None:
        if self.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
