"""Converts the frozen dataclasses of `otelaudit.model.results` to JSON-ready dicts and back,
driven by their type hints, so the child results and the report share one codec."""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
import typing
from typing import Any, Dict, Type, TypeVar

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


def from_data(cls: Type[T], data: Any) -> T:
    return typing.cast(T, _decode(cls, data))


def _hints(cls: type) -> Dict[str, Any]:
    # A module can be gone from sys.modules while its classes live on (pytester restores
    # sys.modules after an in-process run): import it again to resolve the names.
    module = sys.modules.get(cls.__module__) or importlib.import_module(cls.__module__)
    return typing.get_type_hints(cls, vars(module))


def _decode(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        if data is None and _NoneType in args:
            return None
        inner = [a for a in args if a is not _NoneType]
        return _decode(inner[0], data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        kwargs = {k: _decode(hints[k], v) for k, v in data.items() if k in known}
        return tp(**kwargs)
    if origin in (dict, typing.Dict) or tp is dict:
        value_type = args[1] if args else Any
        return {k: _decode(value_type, v) for k, v in data.items()}
    if origin in (tuple, typing.Tuple):
        item_type = args[0] if args else Any
        return tuple(_decode(item_type, v) for v in data)
    if origin in (list, typing.List):
        item_type = args[0] if args else Any
        return [_decode(item_type, v) for v in data]
    if tp is float and isinstance(data, int):
        return float(data)
    return data
