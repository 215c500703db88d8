"""Repeated identical work: telemetry functions called several times within one
operation with the same arguments — work a local variable would do once. Recorded in
the probe child; operations are told apart by a context variable set around each.
Arguments are fingerprinted without running user code: by value for exact builtin
scalars, by identity for everything else (wrapt proxies, objects whose dunders raise)."""

from __future__ import annotations

import contextvars
import inspect
import statistics
from collections import Counter, defaultdict
from types import CodeType, FrameType
from typing import Any, Callable, Dict, List, Tuple

from otelaudit.child.guard import RecorderFailures
from otelaudit.model import Frame, RepeatedCall

OPERATION: "contextvars.ContextVar[int]" = contextvars.ContextVar("otelaudit_operation", default=-1)
# By id: `type(v) in (str, ...)` would call a hostile metaclass's __eq__.
_BY_VALUE = frozenset(id(t) for t in (str, int, float, bool, bytes, type(None), complex))
_SIZED = frozenset(id(t) for t in (str, bytes))
MAX_VALUE_LEN = 1024  # longer strings are kept by identity: hashing and holding them is not free
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


class RepeatRecorder:
    def __init__(self, is_telemetry: Callable[[str], bool], owner_of: Callable[[str], Any]) -> None:
        self.is_telemetry = is_telemetry
        self.owner_of = owner_of
        self.watched: Dict[CodeType, bool] = {}
        self.calls: Counter[Tuple[CodeType, int, Tuple[Any, ...]]] = Counter()
        self.callers: Counter[Tuple[CodeType, str, int, str]] = Counter()
        self.failures = RecorderFailures("repeated-call recorder")

    def observe(self, frame: FrameType) -> None:
        try:
            self._observe(frame)
        except Exception as error:  # never let one odd frame cost the call counts too
            self.failures.note(error)

    def _observe(self, frame: FrameType) -> None:
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
        totals: Counter[CodeType] = Counter()
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
        return type(other) is _Same and other.value is self.value


def _fingerprint(frame: FrameType) -> Tuple[Any, ...]:
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    values = frame.f_locals
    return tuple(_key(values.get(n)) for n in names)


def _key(value: Any) -> Any:
    """The value itself when comparing it runs no user code, else its identity. `type()`
    reads the real type, where `isinstance` asks `__class__`, which a wrapt proxy forwards
    (and an uninitialised one raises from)."""
    kind = id(type(value))
    if kind in _BY_VALUE and (kind not in _SIZED or len(value) <= MAX_VALUE_LEN):
        return value
    return _Same(value)


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
