"""The deterministic probe: counts, per operation, calls into functions known to be
costly on a hot path, each with the chain of frames that reached it and the responsible
call site (the first frame outside the standard library, kept only when telemetry code
owns it). Counts do not depend on machine noise, so they are the strongest evidence.

Runs in its own child (never a timed one): `sys.setprofile` slows everything down.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any, Callable, Dict, List, Optional, Tuple

from otelaudit.model import CallCount, Frame
from otelaudit.attribute.ownership import Ownership
from otelaudit.child.guard import RecorderFailures
from otelaudit.child.probe_kinds import (FAILED_IMPORT, OPERATION_CATALOGUE, OPERATION_CATEGORIES,
                                         OPERATION_CHEAP_TO_IMPORT, FailedImports)
from otelaudit.child import probe_registries as registries
from otelaudit.child.probe_growth import GROWING_WORK, GrowthRecorder

# (module, attribute path, category). A module is imported only when it is cheap stdlib;
# the others are probed only if the process already imported them.
CATALOGUE: Tuple[Tuple[str, str, str], ...] = (
    ("importlib.metadata", "version", "package-metadata"),
    ("importlib.metadata", "distribution", "package-metadata"),
    ("importlib.metadata", "metadata", "package-metadata"),
    ("importlib.metadata", "entry_points", "package-metadata"),
    ("importlib.metadata", "distributions", "package-metadata"),
    ("importlib.metadata", "packages_distributions", "package-metadata"),
    ("importlib.metadata", "requires", "package-metadata"),
    ("importlib_metadata", "version", "package-metadata"),
    ("importlib_metadata", "distribution", "package-metadata"),
    ("importlib_metadata", "entry_points", "package-metadata"),
    ("pkg_resources", "get_distribution", "package-metadata"),
    ("pkg_resources", "require", "package-metadata"),
    ("pkg_resources", "iter_entry_points", "package-metadata"),
    ("inspect", "stack", "stack-inspection"),
    ("inspect", "getframeinfo", "stack-inspection"),
    ("inspect", "getmodule", "stack-inspection"),
    ("inspect", "getsource", "stack-inspection"),
    ("inspect", "signature", "code-introspection"),
    ("inspect", "getfullargspec", "code-introspection"),
    ("inspect", "getmembers", "code-introspection"),
    ("typing", "get_type_hints", "code-introspection"),
    ("logging", "Logger._log", "log-emission"),  # reached only when the level is enabled
    ("warnings", "warn", "log-emission"),
    ("warnings", "warn_explicit", "log-emission"),
    ("traceback", "extract_stack", "stack-inspection"),
    ("traceback", "format_stack", "stack-inspection"),
    ("traceback", "format_exc", "traceback-formatting"),
    ("traceback", "format_exception", "traceback-formatting"),
    ("traceback", "extract_tb", "traceback-formatting"),
    ("copy", "deepcopy", "deep-copy"),
    ("json", "dumps", "serialisation"),
    ("json", "loads", "serialisation"),
    ("re._compiler", "compile", "regex-compile"),  # only reached on a cache miss (3.11+)
    ("sre_compile", "compile", "regex-compile"),  # the same before 3.11
    ("logging", "getLogger", "logger-creation"),
    ("os", "_Environ.__getitem__", "environment-read"),
    ("os", "_Environ.__contains__", "environment-read"),
    ("socket", "gethostname", "host-lookup"),
    ("socket", "getfqdn", "host-lookup"),
    ("platform", "uname", "platform-lookup"),
    ("platform", "platform", "platform-lookup"),
    ("platform", "python_version", "platform-lookup"),
    ("opentelemetry.trace", "get_tracer", "tracer-creation"),
    ("opentelemetry.sdk.trace", "TracerProvider.get_tracer", "tracer-creation"),
    ("opentelemetry.metrics", "get_meter", "meter-creation"),
    ("opentelemetry.sdk.metrics", "MeterProvider.get_meter", "meter-creation"),
    ("opentelemetry.sdk.metrics", "Meter.create_counter", "instrument-creation"),
    ("opentelemetry.sdk.metrics", "Meter.create_histogram", "instrument-creation"),
    ("opentelemetry.sdk.metrics", "Meter.create_up_down_counter", "instrument-creation"),
    ("opentelemetry._logs", "get_logger", "logger-creation"),
    ("opentelemetry.sdk._logs", "LoggerProvider.get_logger", "logger-creation"),
)
CHEAP_TO_IMPORT = {"importlib.metadata", "inspect", "traceback", "copy", "json", "logging", "os", "socket",
                   "platform", "re._compiler", "typing", "warnings"}  # sre_compile: already imported by re where it exists
CHAIN_DEPTH = 24
UNWRAP_DEPTH = 16


def catalogue_entry(target_name: str) -> Optional[Tuple[str, str]]:
    """(module, attribute path) of a target by the name counts are reported under."""
    for module_name, path, _ in CATALOGUE:
        if _display(module_name, path) == target_name and module_name != "sre_compile":
            return module_name, path
    return None


def catalogue_names() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(categories, function names) counts can be reported under: what budgets check against."""
    every = tuple(entry for entry in CATALOGUE + OPERATION_CATALOGUE + registries.REGISTRATION_CATALOGUE
                  if entry[2] != registries.REMOVAL)  # removals are spent settling registrations, never reported
    return (tuple(sorted({c for _, _, c in every} | set(OPERATION_CATEGORIES) | {GROWING_WORK})),
            tuple(sorted({_display(m, p) for m, p, _ in every})))


def _display(module_name: str, path: str) -> str:
    return f"{module_name.replace('re._compiler', 're').replace('sre_compile', 're')}.{path}"


@dataclass(frozen=True)
class Target:
    name: str
    category: str


Chain = Tuple[Tuple[str, int, str], ...]  # (file, line, function), innermost first
Hits = Counter[Tuple[Target, Chain]]


def resolve_targets(catalogue: Tuple[Tuple[str, str, str], ...] = CATALOGUE,
                    ) -> Tuple[Dict[CodeType, Target], Dict[Any, Target]]:
    """Code objects (Python functions) and builtins to watch, from what is importable now."""
    codes: Dict[CodeType, Target] = {}
    builtins: Dict[Any, Target] = {}
    for module_name, path, category in catalogue:
        try:
            function = _lookup(module_name, path)
            if function is None:
                continue
            target = Target(_display(module_name, path), category)
            code = getattr(function, "__code__", None)
            if type(code) is CodeType:
                codes.setdefault(code, target)
            else:
                builtins.setdefault(function, target)
        except Exception:  # a module's __getattr__ or a half-built wrapper: that target can't be watched
            continue
    return codes, builtins


def _lookup(module_name: str, path: str) -> Optional[Callable[..., Any]]:
    module = sys.modules.get(module_name)
    if module is None and (module_name in CHEAP_TO_IMPORT or module_name in OPERATION_CHEAP_TO_IMPORT):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
    value: Any = module
    for part in path.split("."):
        value = getattr(value, part, None)
    for _ in range(UNWRAP_DEPTH):  # count the real function, not a decorator around it
        inner = getattr(value, "__wrapped__", None)
        if inner is None or inner is value:
            break
        value = inner
    return value if callable(value) else None


def operation_recorder(on_other_call: Optional[Callable[[FrameType], None]] = None) -> "CallRecorder":
    """The recorder of the operations window: the catalogue, the per-operation kinds and failed imports."""
    every = CATALOGUE + OPERATION_CATALOGUE + registries.REGISTRATION_CATALOGUE
    recorder = CallRecorder(*resolve_targets(every), on_other_call=on_other_call, operations=True)
    recorder.growth = GrowthRecorder(recorder.failures)
    return recorder


class CallRecorder:
    """A profile function that records each outermost call into a watched target. In the
    operations window (`operations`) it also records each import that finds no module, as
    a call at its site, keeps only the registrations into process-global registries still
    registered at the end, and skips what module bodies do: a module imported for the
    first time mid-run builds its classes once, not per operation."""

    def __init__(self, codes: Dict[CodeType, Target], builtins: Dict[Any, Target],
                 on_other_call: Optional[Callable[[FrameType], None]] = None, operations: bool = False) -> None:
        self.codes = codes
        self.builtins = builtins
        self.on_other_call = on_other_call
        self.hits: Hits = Counter()
        self.failures = RecorderFailures("call-count recorder")
        self.operations = operations
        self.imports = FailedImports(self._failed_import) if operations else None
        self.registrations = registries.Registrations()
        self.growth: Optional[GrowthRecorder] = None

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        try:
            self._observe(frame, event, arg)
        except Exception as error:  # raising here would remove the hook and land in the workload
            self.failures.note(error)

    def _observe(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            target = self.codes.get(frame.f_code)
            if target is not None and frame.f_back is not None:
                key = self._record(target, frame.f_back)
                if key is not None and self.operations and target.category == registries.REGISTRATION:
                    self.registrations.note(key, target.name, frame)
            elif target is None:
                if self.growth is not None:
                    self.growth.observe(frame)
                if self.on_other_call is not None:
                    self.on_other_call(frame)
        elif event == "c_call":
            try:
                target = self.builtins.get(arg)  # a builtin hashes and compares its self by identity
            except TypeError:  # an unhashable callable (older interpreters hashed the bound self)
                return
            if target is not None:
                self._record(target, frame)

    def _record(self, target: Target, caller: FrameType) -> Optional[Tuple[Target, Chain]]:
        if self.operations and caller.f_code.co_name == "<module>":
            return None
        chain: List[Tuple[str, int, str]] = []
        frame: Optional[FrameType] = caller
        while frame is not None and len(chain) < CHAIN_DEPTH:
            if frame.f_code in self.codes:
                return None  # nested inside another watched call: the outer one is what costs
            chain.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        key = (target, tuple(chain))
        self.hits[key] += 1
        return key

    def _failed_import(self, module_name: str, importer: FrameType) -> None:
        try:
            self._record(Target(f"import {module_name}", FAILED_IMPORT), importer)
        except Exception as error:
            self.failures.note(error)

    def install(self) -> None:
        if self.operations:
            self.registrations.begin()
        if self.imports is not None:
            self.imports.install()
        threading.setprofile(self)
        sys.setprofile(self)

    def remove(self) -> None:
        sys.setprofile(None)
        threading.setprofile(None)
        if self.imports is not None:
            self.imports.remove()
        if self.operations:
            try:
                self.registrations.settle(self.hits, _registry_of_key, _removal_of_key)
                self._add_growing_work()
            except Exception as error:
                self.failures.note(error)

    def _add_growing_work(self) -> None:
        """Growth as a count over the operations: attribution divides by them, which
        leaves the extra calls per operation per operation."""
        if self.growth is not None:
            for code, slope, chain in self.growth.growing():
                self.hits[(Target(self.growth.name(code), GROWING_WORK), chain)] += max(round(slope * self.growth.ops), 1)


def _registry_of_key(key: Tuple[Target, Chain]) -> Optional[str]:
    return registries.registry_of(key[0].name) if key[0].category == registries.REGISTRATION else None


def _removal_of_key(key: Tuple[Target, Chain]) -> Optional[str]:
    return registries.registry_of(key[0].name) if key[0].category == registries.REMOVAL else None


def attribute(hits: Hits, ops: int, ownership: Ownership) -> Tuple[CallCount, ...]:
    """Calls per operation by (target, call site), keeping those telemetry code made."""
    grouped: Dict[Tuple[str, Frame], List[Any]] = {}
    for (target, chain), count in hits.items():
        site_index = next((i for i, (file, _, _) in enumerate(chain) if not ownership.is_stdlib(file)), None)
        if site_index is None:
            continue
        owner = ownership.owner(chain[site_index][0])
        if owner is None or not owner.telemetry:
            continue  # the library's or the workload's own work, paid in every arm
        frames = tuple(Frame(f, line, fn, ownership.owner_name(f)) for f, line, fn in chain)
        site = frames[site_index]
        entry = grouped.setdefault((target.name, site), [target, 0, frames, 0, owner])
        entry[1] += count
        if count > entry[3]:  # the most frequent chain represents the site
            entry[2], entry[3] = frames, count
    counts = [
        CallCount(target=name, category=target.category, calls_per_op=total / max(ops, 1), call_site=site,
                  distribution=owner.distribution, version=owner.version, chain=frames)
        for (name, site), (target, total, frames, _, owner) in grouped.items()
    ]
    return tuple(sorted(counts, key=lambda c: (-c.calls_per_op, c.target)))

