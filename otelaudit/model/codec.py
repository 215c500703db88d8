"""Converts the frozen dataclasses of `otelaudit.model.results` to JSON-ready dicts and back,
driven by their type hints, so the child results and the report share one codec."""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
import typing
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

T = TypeVar("T")

_NoneType = type(None)


def to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no infinity; a ratio against a zero baseline is undefined
    return value


def from_data(cls: Type[T], data: Any, checked: bool = False) -> T:
    """`checked`: every value's type is checked against its hint, for data from outside
    (a saved report); a mismatch is a ValueError naming the field's path."""
    return typing.cast(T, _decode(cls, data, "" if checked else None))


def _hints(cls: type) -> Dict[str, Any]:
    # A module can be gone from sys.modules while its classes live on (pytester restores
    # sys.modules after an in-process run): import it again to resolve the names.
    module = sys.modules.get(cls.__module__) or importlib.import_module(cls.__module__)
    return typing.get_type_hints(cls, vars(module))


def _decode(tp: Any, data: Any, path: Optional[str] = None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        if data is None and _NoneType in args:
            return None
        inner = [a for a in args if a is not _NoneType]
        return _decode(inner[0], data, path)
    if path is not None:
        _check(tp, origin, args, data, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        kwargs = {k: _decode(hints[k], v, _at(path, k)) for k, v in data.items() if k in known}
        return tp(**kwargs)
    if origin in (dict, typing.Dict) or tp is dict:
        value_type = args[1] if args else Any
        return {k: _decode(value_type, v, _at(path, k)) for k, v in data.items()}
    if origin in (tuple, typing.Tuple):
        item_type = args[0] if args else Any
        return tuple(_decode(item_type, v, _at(path, f"[{n}]")) for n, v in enumerate(data))
    if origin in (list, typing.List):
        item_type = args[0] if args else Any
        return [_decode(item_type, v, _at(path, f"[{n}]")) for n, v in enumerate(data)]
    if tp is float and isinstance(data, int):
        return float(data)
    return data


def _at(path: Optional[str], key: str) -> Optional[str]:
    if path is None:
        return None
    return f"{path}{key}" if key.startswith("[") or not path else f"{path}.{key}"


_LEAVES: Dict[Any, Tuple[type, ...]] = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}


def _check(tp: Any, origin: Any, args: Tuple[Any, ...], data: Any, path: str) -> None:
    """Raises ValueError when `data` cannot be a `tp`: the shape a decoder relies on."""
    where = path or "the report"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {_kind(data)}")
        missing = [f.name for f in dataclasses.fields(tp) if f.init and f.name not in data
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
    elif origin in (dict, typing.Dict) or tp is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {_kind(data)}")
    elif origin in (tuple, typing.Tuple, list, typing.List):
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list, got {_kind(data)}")
    elif origin is typing.Literal:
        if data not in args:
            raise ValueError(f"{where}: expected one of {', '.join(map(repr, args))}, got {data!r}"[:200])
    elif tp is float and data is None:
        return  # to_data writes a non-finite float as null
    elif tp in _LEAVES and (isinstance(data, bool) != (tp is bool) or not isinstance(data, _LEAVES[tp])):
        raise ValueError(f"{where}: expected {tp.__name__}, got {_kind(data)}")


def _kind(data: Any) -> str:
    return "null" if data is None else f"{type(data).__name__} {data!r}"[:60]
