"""The what-if arm: applies a suggested fix in-process — the costly call memoised, for
calls from the finding's call site only — so the saving of a suggestion is measured,
not predicted. Runs inside a measuring child, after instrument()."""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any, Callable, Dict, Tuple

from otelaudit.model import WhatIf


def apply(whatif: WhatIf) -> int:
    """Installs the memoising stand-in; returns how many references were replaced."""
    owner, name = _owner_of(whatif)
    original = getattr(owner, name)
    stand_in = memoised_at_site(original, whatif.site_file, whatif.site_line, whatif.memoise)
    setattr(owner, name, stand_in)
    replaced = 1
    # `from module import function` bound the original elsewhere: rebind those names too.
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or module is owner:
            continue
        for key, value in list(namespace.items()):
            if value is original:
                namespace[key] = stand_in
                replaced += 1
    return replaced


def memoised_at_site(original: Callable[..., Any], site_file: str, site_line: int,
                     memoise: bool = True) -> Callable[..., Any]:
    """With `memoise=False` the stand-in costs the same but always calls through, so the
    control arm pays for the stand-in too and the comparison isolates the saving."""
    cache: Dict[Tuple[Any, ...], Any] = {}

    @functools.wraps(original)
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        if not _called_from(sys._getframe(1), site_file, site_line) or not memoise:
            return original(*args, **kwargs)
        try:
            key = (args, tuple(sorted(kwargs.items())))
            return cache[key]
        except KeyError:
            value = cache[key] = original(*args, **kwargs)
            return value
        except TypeError:  # unhashable arguments: nothing to memoise
            return original(*args, **kwargs)

    return stand_in


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


def _owner_of(whatif: WhatIf) -> Tuple[Any, str]:
    owner: Any = importlib.import_module(whatif.module)
    *path, name = whatif.attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name
