"""The auto-instrumentation breakdown child: `python -m otelaudit.child.auto RESULT.json`.

Runs what `opentelemetry-instrument`'s sitecustomize runs — `initialize()` — with timers
around the distro and configurators, and around each instrumentor's dependency check,
load (its import) and instrument(). Hooks are installed only where this version of
opentelemetry-instrumentation has the function, so older releases still report totals.
The result is an AutoBreakdown; the model is imported only after the timed start-up, which
would otherwise find typing and dataclasses already imported.
"""

import json
import os
import sys
import time

# Annotations are quoted and typing is imported only for the checker (see the docstring).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional


class State:
    """What the hooks found out so far: the entry point being checked, the distro's time."""

    def __init__(self) -> None:
        self.current: "Optional[str]" = None
        self.distro_s = 0.0
        self.distro = ""
        self.instrument_s = 0.0


def main(argv: "List[str]") -> int:
    start = time.perf_counter()
    import opentelemetry.instrumentation.auto_instrumentation as auto
    from opentelemetry.instrumentation.auto_instrumentation import _load
    from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

    import_s = time.perf_counter() - start
    rows: "Dict[str, Dict[str, Any]]" = {}
    state = State()

    def row(name: str) -> "Dict[str, Any]":
        return rows.setdefault(name, {"name": name, "dependency_check_s": 0.0, "load_s": 0.0,
                                      "instrument_s": 0.0, "outcome": "skipped"})

    def timed_distro(function: "Callable[..., Any]", record_name: bool = False) -> "Callable[..., Any]":
        def wrapper(*args: "Any", **kwargs: "Any") -> "Any":
            began = time.perf_counter()
            try:
                value = function(*args, **kwargs)
                if record_name:
                    state.distro = type(value).__name__
                    value.configure()
                    value.configure = lambda **kw: None  # configured here, inside the timer
                return value
            finally:
                state.distro_s += time.perf_counter() - began
        return wrapper

    if hasattr(auto, "_load_distro"):
        auto._load_distro = timed_distro(auto._load_distro, record_name=True)
    if hasattr(auto, "_load_configurators"):
        auto._load_configurators = timed_distro(auto._load_configurators)

    finder = getattr(_load, "_EntryPointDistFinder", None)
    if finder is not None:
        original_dist_for = finder.dist_for

        def dist_for(self: "Any", entry_point: "Any") -> "Any":
            state.current = entry_point.name
            return original_dist_for(self, entry_point)

        finder.dist_for = dist_for

    if hasattr(_load, "get_dist_dependency_conflicts"):
        original_check = _load.get_dist_dependency_conflicts

        def check(dist: "Any") -> "Any":
            began = time.perf_counter()
            conflict = original_check(dist)
            if state.current is not None:
                entry = row(state.current)
                entry["dependency_check_s"] += time.perf_counter() - began
                if conflict:
                    entry["outcome"] = "dependency conflict"
            return conflict

        _load.get_dist_dependency_conflicts = check

    original_load = BaseDistro.load_instrumentor
    original_instrument = BaseInstrumentor.instrument

    def load_instrumentor(self: "Any", entry_point: "Any", **kwargs: "Any") -> None:
        entry = row(entry_point.name)
        state.instrument_s = 0.0
        before = set(sys.modules)
        began = time.perf_counter()
        try:
            original_load(self, entry_point, **kwargs)
            entry["outcome"] = "instrumented"
        except BaseException as error:
            entry["outcome"] = f"{type(error).__name__}"
            raise
        finally:
            total = time.perf_counter() - began
            entry["instrument_s"] = state.instrument_s
            entry["load_s"] = max(total - state.instrument_s, 0.0)
            added = set(sys.modules) - before  # what this instrumentor made the process import
            entry["modules_imported"] = len(added)
            entry["packages_imported"] = tuple(sorted({name.partition(".")[0] for name in added} - {""}, key=_private_last))

    def instrument(self: "Any", **kwargs: "Any") -> "Any":
        began = time.perf_counter()
        try:
            return original_instrument(self, **kwargs)
        finally:
            state.instrument_s += time.perf_counter() - began

    BaseDistro.load_instrumentor = load_instrumentor
    BaseInstrumentor.instrument = instrument
    began = time.perf_counter()
    auto.initialize()
    initialize_s = time.perf_counter() - began
    from otelaudit.model import AutoBreakdown, AutoInstrumentorTiming
    from otelaudit.model.codec import to_data

    result = AutoBreakdown(import_s, initialize_s, state.distro_s, state.distro,
                           tuple(AutoInstrumentorTiming(**row) for row in rows.values()))
    tmp = argv[1] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(to_data(result), handle)
    os.replace(tmp, argv[1])
    return 0


def _private_last(name: str) -> "Any":
    """Third-party packages first (a library imported eagerly), then stdlib, then private."""
    return (name.startswith("_"), name in getattr(sys, "stdlib_module_names", ()), name)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
