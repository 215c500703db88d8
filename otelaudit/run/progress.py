"""Progress on stderr while a scan runs, for a person and for a CI log alike: which
scenario of how many, its phase, rounds done of planned, time spent and the estimate.
On a terminal one line is rewritten in place; elsewhere a line is printed whenever a
scenario starts and at least every HEARTBEAT_S, even while one long child runs. News
(triage findings) is printed as permanent lines as soon as it exists."""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import Callable, List, Optional, Set, TextIO

HEARTBEAT_S = 10.0


class LiveMessage(str):
    """A message whose clock part is re-read each time it is shown (heartbeats)."""

    render: Callable[[], str]


class ScenarioProgress:
    """Prefixes one scenario's messages with its place in the scan and its clock; the
    pipeline sets `estimate_s` once calibration has sized the phases."""

    def __init__(self, emit: Callable[[str], None], index: int, count: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.emit, self.index, self.count, self.clock = emit, index, count, clock
        self.started = clock()
        self.estimate_s: Optional[float] = None

    def __call__(self, message: str) -> None:
        def render() -> str:
            spent = self.clock() - self.started
            planned = f" of ~{self.estimate_s:.0f} s planned" if self.estimate_s is not None else ""
            return f"[{self.index}/{self.count}] {message} · {spent:.0f} s{planned}"

        live = LiveMessage(render())
        live.render = render
        self.emit(live)


def phase_of(message: str) -> str:
    """The scenario and phase a message is about, without its counters: a log shows a
    line when a phase begins (`timed round 1/5 …`), not one per round."""
    body = re.sub(r"^\[\d+/\d+\] ", "", message.split(" · ")[0])
    scenario, _, rest = body.partition(": ")
    match = re.match(r"[^\d(]*", rest)
    return f"{scenario}: {match.group(0) if match else rest}"


class ProgressPrinter:
    def __init__(self, enabled: bool = True, stream: TextIO = sys.stderr, heartbeat_s: float = HEARTBEAT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.stream = stream
        self.live = enabled and stream.isatty()
        self.width = 0
        self.clock = clock
        self.started = clock()
        self.heartbeat_s = heartbeat_s
        self.latest = ""
        self.printed_at = float("-inf")
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.announced: Set[str] = set()
        self.phase = ""
        if enabled:
            threading.Thread(target=self._beat, name="otelaudit-progress", daemon=True).start()

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.latest = message
            due = self.clock() - self.printed_at >= self.heartbeat_s
            phase, self.phase = self.phase, phase_of(message)
            if self.live or due or phase != self.phase:
                self._show()

    def news(self, lines: List[str], key: Optional[str] = None) -> None:
        """Permanent lines, above the live one; news under a `key` is printed once."""
        if not self.enabled or not lines or key in self.announced:
            return
        if key is not None:
            self.announced.add(key)
        with self.lock:
            self._clear()
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()
            if self.live and self.latest:
                self._show()

    def done(self) -> None:
        self.stopped.set()
        with self.lock:
            self._clear()

    def _show(self) -> None:
        spent = int(self.clock() - self.started)
        latest = self.latest.render() if isinstance(self.latest, LiveMessage) else self.latest
        line = f"otelaudit {spent // 60}:{spent % 60:02d} {latest}"
        if self.live:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.printed_at = self.clock()

    def _clear(self) -> None:
        if self.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def _beat(self) -> None:
        step = 1.0 if self.live else min(self.heartbeat_s, 1.0)
        while not self.stopped.wait(step):
            with self.lock:
                if self.latest and (self.live or self.clock() - self.printed_at >= self.heartbeat_s):
                    self._show()
