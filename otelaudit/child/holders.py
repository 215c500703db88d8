"""The containers that hold memory growing with every operation, found and named without
running user code: builtin containers (exact types only, so `len()` is the C one) that
gained entries between two checkpoints, the allocation sites of their entries, and an
attribute path ("dict at pkg.mod.Class._runs") climbed through the collector's referrers.
Objects are compared by identity, types are read with `type()`, attributes through the
base types' own descriptors: no `repr`, `==`, `isinstance` or `getattr` on user objects."""

from __future__ import annotations

import collections
import gc
import linecache
import re
import sys
import tracemalloc
import types
from typing import Any, Callable, Counter, Dict, List, Optional, Tuple

Site = Tuple[str, int]


def _is_container(obj: Any) -> bool:
    """By identity, neither hashing a type (its metaclass's __hash__) nor, under
    tracemalloc, allocating an int per object as `id()` does (a second per 100k objects)."""
    kind = type(obj)
    return (kind is dict or kind is list or kind is set or kind is collections.deque
            or kind is collections.OrderedDict or kind is collections.defaultdict)


MAX_CONTAINERS = 5
MAX_ENTRIES = 100  # entries sampled per container (the newest), and up to MAX_NESTED of theirs
MAX_NESTED = 20
MAX_CLIMB = 4  # attribute steps from a container up to a module or class
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
_QUALNAME = type.__dict__["__qualname__"]
_MODULE = type.__dict__["__module__"]
_NAMESPACE = type.__dict__["__dict__"]
_MRO = type.__dict__["__mro__"]
_MODULE_DICT: Any = vars(types.ModuleType)["__dict__"]


def _candidates() -> List[Any]:
    """Every object the collector tracks, and the containers modules and classes hold that
    it does not (a dict of strings is untracked until it holds a container)."""
    found = gc.get_objects()
    namespaces = [dict.values(m.__dict__) for m in list(sys.modules.values()) if type(m) is types.ModuleType]
    for values in namespaces:
        for value in list(values):
            if _is_container(value) and not gc.is_tracked(value):
                found.append(value)
    return found


def container_sizes() -> Dict[int, int]:
    """Entries of every live builtin container, by id (taken before tracemalloc starts)."""
    return {id(o): len(o) for o in _candidates() if _is_container(o)}


def grown_containers(before: Dict[int, int], min_growth: int) -> List[Tuple[int, Any]]:
    """(entries gained, container) for old containers that gained `min_growth` or more; an
    object tracemalloc saw allocated is new, whatever id it reuses."""
    found = []
    for obj in _candidates():
        if _is_container(obj) and len(obj) >= min_growth:  # before id(): under tracemalloc it allocates
            was = before.get(id(obj))
            if was is not None and len(obj) - was >= min_growth and tracemalloc.get_object_traceback(obj) is None:
                found.append((len(obj) - was, obj))
    found.sort(key=lambda pair: -pair[0])
    return found[:MAX_CONTAINERS]


def entry_sites(container: Any, site_of: Callable[[Any], Optional[Site]]) -> Tuple[Counter[Site], Counter[Site]]:
    """Allocation sites of the newest entries (a dict's values, other containers' items),
    and of what refers to them or they refer to: a dict's keys, one level down."""
    direct: Counter[Site] = collections.Counter()
    nested: Counter[Site] = collections.Counter()
    keys: List[Any] = []
    if issubclass(type(container), dict):  # keys count with what the entries hold: the value is the entry
        entries, keys = list(dict.values(container))[-MAX_ENTRIES:], list(dict.keys(container))[-MAX_ENTRIES:]
    else:
        entries = gc.get_referents(container)[-MAX_ENTRIES:]
    for key in keys:
        site = site_of(key)
        if site is not None:
            nested[site] += 1
    for entry in entries:
        site = site_of(entry)
        if site is not None:
            direct[site] += 1
        for inner in gc.get_referents(entry)[:MAX_NESTED]:
            site = site_of(inner)
            if site is not None:
                nested[site] += 1
    return direct, nested


def describe(container: Any) -> str:
    kind = _QUALNAME.__get__(type(container))
    path = _path(container)
    return f"{kind} at {path}" if path else f"{kind} (no module or class attribute leads to it)"


def _path(obj: Any) -> Optional[str]:
    names: List[str] = []
    current = obj
    for _ in range(MAX_CLIMB):
        step = _step(current)
        if step is None:
            break
        name, owner, root = step
        names.insert(0, name)
        if root is not None:
            return ".".join([root] + names)
        current = owner
    if not names:
        return None
    # An instance no module or class attribute leads to (held by a C-level wrapper): named by its class.
    kind = type(current)
    return ".".join([f"<{_MODULE.__get__(kind)}.{_QUALNAME.__get__(kind)} object>"] + names)


def _step(obj: Any) -> Optional[Tuple[str, Any, Optional[str]]]:
    """(attribute name, the object that has it, its dotted name if a module or class)."""
    instance_step = None
    for referrer in gc.get_referrers(obj):
        if type(referrer) is dict:
            key = _key_for(referrer, obj)
            if key is None:
                continue
            for owner in gc.get_referrers(referrer):
                root = _namespace_name(owner, referrer)
                if root is not None:
                    return key, owner, root
                if instance_step is None and _instance_dict(owner) is referrer:
                    instance_step = (key, owner, None)
        elif instance_step is None and type(referrer) is not types.FrameType:
            namespace = _instance_dict(referrer)  # inline attribute values refer from the instance itself
            key = _key_for(namespace, obj) if namespace is not None else None
            if key is not None:
                instance_step = (key, referrer, None)
    return instance_step


def _key_for(namespace: Dict[Any, Any], value: Any) -> Optional[str]:
    for key, held in dict.items(namespace):
        if held is value and type(key) is str:
            return key
    return None


def _namespace_name(owner: Any, namespace: Dict[Any, Any]) -> Optional[str]:
    if issubclass(type(owner), types.ModuleType):
        name = dict.get(namespace, "__name__")
        module_dict = _MODULE_DICT.__get__(owner)
        return name if module_dict is namespace and type(name) is str else None
    if issubclass(type(owner), type) and any(r is namespace for r in gc.get_referents(owner)):
        module, qualname = _MODULE.__get__(owner), _QUALNAME.__get__(owner)
        return f"{module}.{qualname}" if type(module) is str else str(qualname)
    return None


def _instance_dict(obj: Any) -> Optional[Dict[Any, Any]]:
    """An instance's attribute dict through the base types' `__dict__` descriptor, or None."""
    kind = type(obj)
    if issubclass(kind, (type, types.ModuleType)):
        return None
    for klass in _MRO.__get__(kind):
        descriptor = _NAMESPACE.__get__(klass).get("__dict__")
        if type(descriptor) is types.GetSetDescriptorType:
            found = descriptor.__get__(obj)
            return found if type(found) is dict else None
    return None


def enclosing_function(file: str, line: int) -> str:
    """The `def` a source line is in, read from the source; "<module>" at the top level."""
    indent = len(linecache.getline(file, line)) - len(linecache.getline(file, line).lstrip())
    for number in range(line, max(line - 400, 0), -1):
        match = _DEF.match(linecache.getline(file, number))
        if match and (len(match.group(1)) < indent or number == line):
            return match.group(2)
    return "<module>"
