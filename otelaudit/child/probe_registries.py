"""Process-global registries: entries added during the probe's operations and still
there at its end make every later operation (or the exit) pay for a longer list, so the
cost grows with the process's history. The probe counts the registering calls at their
sites (category "global-registration"); this module keeps only the registrations still
registered at the end: each entry checked by identity where the registering call's
frame shows it (a finalizer, a handler), else the registry's growth shared among its
registrations. Sizes and entries are read without calling user code.
"""

from __future__ import annotations

import sys
from collections import Counter
from types import FrameType
from typing import Any, Callable, Dict, Hashable, List, Optional, Set, Tuple

REGISTRATION = "global-registration"
ATEXIT, FINALIZERS, HANDLERS, FILTERS, AUDIT_HOOKS = (
    "atexit callbacks", "weakref.finalize registry", "logging handlers", "warnings filters", "audit hooks")

# (module, attribute path, registry it adds to), in the probe's catalogue form.
REGISTRATIONS: Tuple[Tuple[str, str, str], ...] = (
    ("atexit", "register", ATEXIT),
    ("weakref", "finalize.__init__", FINALIZERS),
    ("logging", "Logger.addHandler", HANDLERS),
    ("warnings", "filterwarnings", FILTERS),
    ("warnings", "simplefilter", FILTERS),
    ("sys", "addaudithook", AUDIT_HOOKS),  # never removable
)
# Removals counted where the registry's size can't tell (atexit keeps a slot per unregistered callback).
REMOVAL = "global-removal"
REMOVALS: Tuple[Tuple[str, str, str], ...] = (("atexit", "unregister", ATEXIT),)
REGISTRATION_CATALOGUE = (tuple((module, path, REGISTRATION) for module, path, _ in REGISTRATIONS)
                          + tuple((module, path, REMOVAL) for module, path, _ in REMOVALS))


def _finalizers() -> Optional[int]:
    module = sys.modules.get("weakref")
    registry = getattr(getattr(module, "finalize", None), "_registry", None)
    return len(registry) if type(registry) is dict else None


def _handlers() -> Optional[int]:
    logging: Any = sys.modules.get("logging")
    if logging is None:
        return None
    loggers = [logging.root, *dict(logging.Logger.manager.loggerDict).values()]
    return sum(_own_handlers(logger) for logger in loggers)


def _own_handlers(logger: object) -> int:
    try:  # the instance dict, not `.handlers`: a subclass's property would run its code
        handlers = object.__getattribute__(logger, "__dict__").get("handlers")
    except (AttributeError, TypeError):
        return 0
    return len(handlers) if type(handlers) is list else 0


def _filters() -> Optional[int]:
    filters = getattr(sys.modules.get("warnings"), "filters", None)
    return len(filters) if type(filters) is list else None


SIZES: Dict[str, Callable[[], Optional[int]]] = {
    FINALIZERS: _finalizers, HANDLERS: _handlers, FILTERS: _filters}


def registry_of(target_name: str) -> Optional[str]:
    """The registry a registering (or removing) function, by the probe's display name, changes."""
    return next((registry for module, path, registry in REGISTRATIONS + REMOVALS
                 if f"{module}.{path}" == target_name), None)


def sizes() -> Dict[str, Optional[int]]:
    """Each measurable registry's size now (None where it can't be read)."""
    found: Dict[str, Optional[int]] = {}
    for registry, size in SIZES.items():
        try:
            found[registry] = size()
        except Exception:  # a half-torn-down module or a hostile logger dict: unmeasured, not fatal
            found[registry] = None
    return found


def surviving_share(registry: str, calls: int, removals: int, before: Dict[str, Optional[int]],
                    after: Dict[str, Optional[int]]) -> float:
    """The share of `calls` registrations still registered at the end, in [0, 1]: the
    registry's growth over the calls, or where it can't be sized, the registrations not
    undone by a counted removal (audit hooks have none)."""
    if registry not in SIZES:
        return min(max(calls - removals, 0) / max(calls, 1), 1.0)
    old, new = before.get(registry), after.get(registry)
    if old is None or new is None:
        return 0.0
    return min(max(new - old, 0) / max(calls, 1), 1.0)


def _finalizer_ids() -> Set[int]:
    registry = getattr(getattr(sys.modules.get("weakref"), "finalize", None), "_registry", None)
    return {id(key) for key in registry} if type(registry) is dict else set()


def _holds(logger: object, handler: object) -> bool:
    try:
        handlers = object.__getattribute__(logger, "__dict__").get("handlers")
    except (AttributeError, TypeError):
        return False
    return type(handlers) is list and any(h is handler for h in handlers)


Check = Callable[[Set[int]], bool]  # given the live finalizers' ids: is this entry still registered?


def _entry_check(target_name: str, frame: FrameType) -> Optional[Check]:
    """How to tell later whether the entry this call registers is still there; the
    objects are held, so their ids can't be reused meanwhile."""
    values = frame.f_locals
    if target_name == "weakref.finalize.__init__":
        finalizer = values.get("self")
        return lambda live: id(finalizer) in live
    if target_name == "logging.Logger.addHandler":
        logger, handler = values.get("self"), values.get("hdlr")
        return lambda live: _holds(logger, handler)
    return None


class Registrations:
    """What the operations registered, settled against what is still registered."""

    def __init__(self) -> None:
        self.before: Dict[str, Optional[int]] = {}
        self.entries: List[Tuple[Hashable, Check]] = []

    def begin(self) -> None:
        self.before = sizes()

    def note(self, key: Hashable, target_name: str, frame: FrameType) -> None:
        check = _entry_check(target_name, frame)
        if check is not None:
            self.entries.append((key, check))

    def settle(self, hits: "Counter[Any]", registration_of: Callable[[Any], Optional[str]],
               removal_of: Callable[[Any], Optional[str]]) -> None:
        """Rewrites each registering site's count (keys whose `registration_of` is a
        registry) to the registrations it made that are still registered; removals
        (`removal_of`) are spent in the reckoning, not kept as counts."""
        after, live = sizes(), _finalizer_ids()
        removed: Counter[str] = Counter()
        for key in [k for k in hits if removal_of(k) is not None]:
            removed[removal_of(key) or ""] += hits.pop(key)
        checked: Counter[Hashable] = Counter()
        alive: Counter[Hashable] = Counter()
        for key, check in self.entries:
            checked[key] += 1
            alive[key] += bool(check(live))
        unchecked = {key: registration_of(key) for key in hits if key not in checked}
        made: Counter[str] = Counter()
        for key, registry in unchecked.items():
            if registry is not None:
                made[registry] += hits[key]
        for key, registry in unchecked.items():
            if registry is not None:
                share = surviving_share(registry, made[registry], removed[registry], self.before, after)
                alive[key] = round(hits[key] * share)
        for key in checked:
            alive[key] += hits[key] - checked[key]
        for key in list(alive):
            if alive[key] > 0:
                hits[key] = alive[key]
            else:
                del hits[key]
