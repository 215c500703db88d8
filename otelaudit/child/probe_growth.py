"""Work that grows with the process's history: functions called more times in each
operation than in the ones before (a list that gains an entry per operation and is
walked per operation: hooks, handlers, per-span registrations), found by counting
every Python call per numbered operation in the probe child. Only the outermost
growing function of a call chain is reported, with the chain that reached it, so the
probe charges it to the telemetry call site above.
"""

from __future__ import annotations

import statistics
from types import CodeType, FrameType
from typing import Dict, List, Optional, Sequence, Tuple, TypeVar

from otelaudit.child.guard import RecorderFailures
from otelaudit.child.repeats import OPERATION

GROWING_WORK = "growing-work"
Chain = Tuple[Tuple[str, int, str], ...]
CHAIN_DEPTH = 24
MIN_OPS = 12  # four quarters of at least three operations each
# Extra calls per operation, per operation run: below this, growth is too slow to tell
# from a cache that fills or a timer that fires more often.
MIN_SLOPE = 0.2
T = TypeVar("T")


class GrowthRecorder:
    """Counts calls per (function, operation); keeps one chain per function, taken when
    its count in an operation first beats every earlier operation's."""

    def __init__(self, failures: RecorderFailures) -> None:
        self.series: Dict[CodeType, List[int]] = {}  # calls in operation i at [i]
        self.highest: Dict[CodeType, int] = {}
        self.chains: Dict[CodeType, Tuple[Chain, Tuple[CodeType, ...]]] = {}
        self.modules: Dict[CodeType, str] = {}
        self.ops = 0
        self.failures = failures

    def observe(self, frame: FrameType) -> None:
        """Called for every Python call in the window: kept to one frame and few lookups."""
        try:
            operation = OPERATION.get()
            if operation < 0:
                return  # worker threads without the operation's context, and work between operations
            code = frame.f_code
            series = self.series.get(code)
            if series is None:
                series = self.series[code] = [0] * (operation + 1)
            elif len(series) <= operation:
                series.extend([0] * (operation + 1 - len(series)))
            if operation >= self.ops:
                self.ops = operation + 1
            count = series[operation] = series[operation] + 1
            if count > self.highest.get(code, 0):
                self._new_high(code, count, frame)
        except Exception as error:  # never let one odd frame cost the other recorders' evidence
            self.failures.note(error)

    def _new_high(self, code: CodeType, count: int, frame: FrameType) -> None:
        self.highest[code] = count
        self.chains[code] = _chain(frame.f_back)
        module = frame.f_globals.get("__name__")
        self.modules[code] = module if type(module) is str else ""

    def name(self, code: CodeType) -> str:
        """module.Qualified.name of a function, for titles and budgets."""
        qualified = getattr(code, "co_qualname", code.co_name)  # 3.11+
        module = self.modules.get(code, "")
        return f"{module}.{qualified}" if module else str(qualified)

    def growing(self) -> List[Tuple[CodeType, float, Chain]]:
        """(function, extra calls per operation per operation, chain above it) for the
        outermost functions whose calls per operation rise through the run."""
        if self.ops < MIN_OPS:
            return []
        slopes: Dict[CodeType, float] = {}
        for code, series in self.series.items():
            slope = _slope(series + [0] * (self.ops - len(series)))
            if slope is not None and code in self.chains:
                slopes[code] = slope
        found = []
        for code, slope in slopes.items():
            chain, above = self.chains[code]
            if not any(caller in slopes for caller in above):
                found.append((code, slope, chain))
        return sorted(found, key=lambda item: -item[1])


def _slope(series: List[int]) -> Optional[float]:
    """Extra calls per operation per operation between the first and last quarters, when
    the quarters' medians rise one after another and every late operation makes more
    calls than any early one (a step, such as work that starts mid-run, is not growth)."""
    quarter, parts = quarters(series)
    medians = [statistics.median(part) for part in parts]
    if min(parts[-1]) <= max(parts[0]) or any(a >= b for a, b in zip(medians, medians[1:])):
        return None
    slope = (medians[-1] - medians[0]) / (len(series) - quarter)
    return slope if slope >= MIN_SLOPE else None


def quarters(series: Sequence[T]) -> Tuple[int, List[Sequence[T]]]:
    """The early-versus-late split every history slope uses (call counts here, the soak's
    CPU in measure.scaling): the first three quarters and the last, and their length."""
    quarter = len(series) // 4
    return quarter, [series[i * quarter:(i + 1) * quarter] for i in range(3)] + [series[-quarter:]]


def _chain(frame: Optional[FrameType]) -> Tuple[Chain, Tuple[CodeType, ...]]:
    chain: List[Tuple[str, int, str]] = []
    codes: List[CodeType] = []
    while frame is not None and len(chain) < CHAIN_DEPTH:
        chain.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        codes.append(frame.f_code)
        frame = frame.f_back
    return tuple(chain), tuple(codes)
