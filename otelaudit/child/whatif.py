"""The what-if arm: applies a suggested fix in-process — the costly call memoised, for
calls from the finding's call site only — so the saving of a suggestion is measured,
not predicted. Arguments are keyed as the probe fingerprints them (child.repeats: by
value for exact builtin scalars, else by identity), so no user code runs to key a call.
A failed import or lookup is kept as its outcome, as "try the import once" and "read the
setting once" do (an unset environment variable is the usual case: `environ.get` is
`__getitem__` raising KeyError). Runs inside a
measuring child, after instrument(); the tally tells the parent whether anything repeated."""

from __future__ import annotations

import functools
import importlib
import sys
from types import FunctionType, MethodType, ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from otelaudit.child.probe import CATALOGUE
from otelaudit.child.repeats import _key as value_key
from otelaudit.model import WhatIf, WhatIfCounts

MAX_CACHED = 4096  # distinct argument keys kept; past that a call runs through (never-repeating arguments)
_MISSING = object()


class Tally:
    """Calls from the site the stand-in saw; read once, after the workload."""

    def __init__(self, missing: Optional[str] = None) -> None:
        self.calls = self.hits = self.none_results = 0
        self.missing = missing

    def counts(self) -> WhatIfCounts:
        return WhatIfCounts(self.calls, self.hits, self.none_results, self.missing)


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def apply(whatif: WhatIf) -> Tally:
    """Installs the stand-in in place of every reference to the callee; a callee with no
    reference to replace (a nested function, a property) is a finding no what-if applies to."""
    try:
        original = _callee(whatif)
    except LookupError as error:
        return Tally(missing=str(error))
    tally = Tally()
    stand_in = memoised_at_site(original, whatif.site_file, whatif.site_line, whatif.memoise, tally,
                                by_code=_introspects_code(whatif))
    replaced = 0
    for namespace, key, value in list(_references(original)):
        namespace[key] = stand_in
        replaced += 1
    for cls, key, value in list(_class_references(original)):
        setattr(cls, key, _like(value, stand_in))
        replaced += 1
    return tally if replaced else Tally(missing=f"no reference to {whatif.attribute}() a stand-in could replace")


def memoised_at_site(original: Callable[..., Any], site_file: str, site_line: int, memoise: bool = True,
                     tally: Optional[Tally] = None, by_code: bool = False) -> Callable[..., Any]:
    """With `memoise=False` the stand-in does the same work (the key, the lookup) but keeps
    nothing, so the control arm pays for the stand-in too and the comparison isolates the saving.
    `by_code`: the callee introspects code (a signature), so a bound method is keyed by its
    function: a new handler object per request binds the same method, with the same answer."""
    cache: Dict[Tuple[Any, ...], Any] = {}
    seen = tally if tally is not None else Tally()

    @functools.wraps(original)
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        if not _called_from(sys._getframe(1), site_file, site_line):
            return original(*args, **kwargs)
        seen.calls += 1
        key = call_key(args, kwargs, by_code)
        kept = cache.get(key, _MISSING)
        if kept is not _MISSING:
            seen.hits += 1
            if type(kept) is _Raised:
                raise kept.error.with_traceback(None)
            return kept
        keep = memoise and len(cache) < MAX_CACHED
        try:
            value = original(*args, **kwargs)
        except (ImportError, LookupError) as error:  # an absent module, key or setting: the outcome to keep
            if keep:
                cache[key] = _Raised(error)
            raise
        if value is None:  # work done for its effect: skipping it would not be the same program
            seen.none_results += 1
        elif keep:
            cache[key] = value
        return value

    return stand_in


def call_key(args: Tuple[Any, ...], kwargs: Dict[str, Any], by_code: bool = False) -> Tuple[Any, ...]:
    return (tuple(_argument_key(a, by_code) for a in args)
            + tuple((k, _argument_key(kwargs[k], by_code)) for k in sorted(kwargs)))


def _argument_key(value: Any, by_code: bool = False) -> Any:
    """A function made again from the same code with nothing of its own (a class body, a
    callback without a closure) behaves the same each time: keyed by its code. With
    `by_code`, a bound method stands for its function."""
    if by_code and type(value) is MethodType:
        return ("<method>", _argument_key(value.__func__))
    if type(value) is FunctionType and value.__closure__ is None and value.__defaults__ is None \
            and not value.__kwdefaults__:
        return ("<function>", value.__code__)
    return value_key(value)


def _introspects_code(whatif: WhatIf) -> bool:
    """Whether the memoised callee is a catalogued code introspection (by its category)."""
    return any((module, path, category) == (whatif.module, whatif.attribute, "code-introspection")
               for module, path, category in CATALOGUE)


def _called_from(frame: Any, site_file: str, site_line: int, depth: int = 6) -> bool:
    """Whether the call site is among the nearest callers (stdlib frames such as
    Mapping.get may stand between it and the memoised function)."""
    for _ in range(depth):
        if frame is None:
            return False
        if frame.f_code.co_filename == site_file:
            return bool(frame.f_lineno == site_line)
        frame = frame.f_back
    return False


def _callee(whatif: WhatIf) -> Any:
    if whatif.callee_file is None:
        owner: Any = importlib.import_module(whatif.module)
        *path, name = whatif.attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        if issubclass(type(owner), type) and name in vars(owner):  # a method as defined, not bound
            return _function_of(vars(owner)[name]) or vars(owner)[name]
        return getattr(owner, name)
    found = {id(f): f for f in _functions_in(whatif.callee_file)
             if f.__code__.co_name == whatif.attribute and _contains(f.__code__, whatif.callee_line)}
    if len(found) != 1:
        how = "is not a module-level function or a method" if not found else f"names {len(found)} functions"
        raise LookupError(f"{whatif.attribute}() {how}: no reference a stand-in could replace")
    return next(iter(found.values()))


def _contains(code: Any, line: int) -> bool:
    return any(start is not None and start <= line < end for start, end, _ in _lines(code))


def _lines(code: Any) -> List[Tuple[Optional[int], int, Optional[int]]]:
    if hasattr(code, "co_lines"):  # 3.10+
        return [(lo, hi, n) for lo, hi, n in code.co_lines()]
    import dis

    starts = [n for _, n in dis.findlinestarts(code)]
    return [(n, n + 1, n) for n in starts]


def _namespaces() -> Iterator[Dict[str, Any]]:
    for module in list(sys.modules.values()):
        if isinstance(module, ModuleType):  # a real module: vars() runs no user code
            namespace = vars(module)
            if isinstance(namespace, dict):
                yield namespace


def _classes() -> Iterator[type]:
    seen = set()
    for namespace in _namespaces():
        for value in list(namespace.values()):
            # type() reads the real type: no proxy is asked
            if issubclass(type(value), type) and id(value) not in seen:
                seen.add(id(value))
                yield value


def _functions_in(file: str) -> Iterator[FunctionType]:
    """Plain functions, static and class methods whose code is in `file`."""
    homes: List[Dict[str, Any]] = list(_namespaces()) + [dict(vars(c)) for c in _classes()]
    for home in homes:
        for value in list(home.values()):
            function = _function_of(value)
            if function is not None and function.__code__.co_filename == file:
                yield function


def _function_of(value: Any) -> Optional[FunctionType]:
    if type(value) in (staticmethod, classmethod):
        value = value.__func__
    return value if type(value) is FunctionType else None


def _like(value: Any, stand_in: Callable[..., Any]) -> Any:
    """The stand-in wrapped as the original was (a staticmethod stays one)."""
    kind = type(value)
    return kind(stand_in) if kind in (staticmethod, classmethod) else stand_in


def _references(original: Any) -> Iterator[Tuple[Dict[str, Any], str, Any]]:
    # `from module import function` bound the original elsewhere: every module-level name.
    for namespace in _namespaces():
        for key, value in list(namespace.items()):
            if value is original:
                yield namespace, key, value


def _class_references(original: Any) -> Iterator[Tuple[type, str, Any]]:
    for cls in _classes():
        for key, value in list(vars(cls).items()):
            if value is original or _function_of(value) is original:
                yield cls, key, value
