"""Repeated identical work: telemetry functions called several times within one
operation with the same arguments — work a local variable would do once. Recorded in
the probe child; operations are told apart by a context variable set around each."""

from __future__ import annotations

import contextvars
import inspect
import statistics
from collections import Counter, defaultdict
from types import CodeType, FrameType
from typing import Any, Callable, Dict, List, Tuple

from otelaudit.model import Frame, RepeatedCall

OPERATION: "contextvars.ContextVar[int]" = contextvars.ContextVar("otelaudit_operation", default=-1)
_IMMUTABLE = (str, int, float, bool, bytes, type(None))
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


class RepeatRecorder:
    def __init__(self, is_telemetry: Callable[[str], bool], owner_of: Callable[[str], Any]) -> None:
        self.is_telemetry = is_telemetry
        self.owner_of = owner_of
        self.watched: Dict[CodeType, bool] = {}
        self.calls: Counter = Counter()
        self.callers: Counter = Counter()

    def observe(self, frame: FrameType) -> None:
        code = frame.f_code
        watched = self.watched.get(code)
        if watched is None:
            watched = self.watched[code] = self.is_telemetry(code.co_filename) and _is_helper(code)
        operation = OPERATION.get()
        caller = frame.f_back
        # Worker threads without the operation's context are skipped; so is recursion.
        if not watched or operation < 0 or caller is None or caller.f_code is code:
            return
        self.calls[(code, operation, _fingerprint(frame))] += 1
        self.callers[(code, caller.f_code.co_filename, caller.f_lineno, caller.f_code.co_name)] += 1

    def repeated(self, ops: int, threshold: float = 2.0) -> Tuple[RepeatedCall, ...]:
        """Functions whose typical operation repeats one identical call `threshold`+ times."""
        per_code: Dict[CodeType, Dict[int, int]] = defaultdict(dict)
        totals: Counter = Counter()
        for (code, operation, _), count in self.calls.items():
            per_code[code][operation] = max(per_code[code].get(operation, 0), count)
            totals[code] += count
        found: List[RepeatedCall] = []
        for code, by_operation in per_code.items():
            identical = statistics.median(list(by_operation.values()) + [0] * (ops - len(by_operation)))
            if identical < threshold:
                continue
            callers = sorted(((n, file, line, fn) for (c, file, line, fn), n in self.callers.items() if c is code),
                             reverse=True)
            owner = self.owner_of(code.co_filename)
            found.append(RepeatedCall(
                function=Frame(code.co_filename, code.co_firstlineno, code.co_name, owner),
                calls_per_op=totals[code] / max(ops, 1),
                identical_calls_per_op=float(identical),
                callers=tuple(Frame(file, line, fn, self.owner_of(file)) for _, file, line, fn in callers[:5]),
            ))
        return tuple(sorted(found, key=lambda r: -r.identical_calls_per_op))


def _is_helper(code: CodeType) -> bool:
    """A named function taking arguments (beyond self): comprehensions, lambdas and
    argument-less calls have nothing a caller could compute once and keep."""
    if code.co_name.startswith("<") or code.co_flags & _RESUMABLE:
        return False  # a coroutine or generator "calls" again on every resume
    count = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames[:count]
    return len([n for n in names if n not in ("self", "cls")]) > 0


class _Same:
    """Compares by identity and keeps the object alive, so a freed object's id can't be
    reused by a different one and pass for "the same argument"."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def _fingerprint(frame: FrameType) -> Tuple[Any, ...]:
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    values = frame.f_locals
    return tuple(v if isinstance(v, _IMMUTABLE) else _Same(v) for v in (values.get(n) for n in names))


class NumberedOperations:
    """Wraps a workload so each operation runs with its own index in `OPERATION`."""

    def __init__(self, workload: Any) -> None:
        self.workload = workload
        self.next_index = 0

    async def operation(self) -> None:
        token = OPERATION.set(self.next_index)
        self.next_index += 1
        try:
            await self.workload.operation()
        finally:
            OPERATION.reset(token)
