"""A user's own workload as a scenario: a sync or async callable in their code (one call =
one operation), run under the instrumentors they use in production. It becomes an
ordinary `Scenario`, so every stage of a scan applies to it; the measuring child rebuilds
it from the callable's reference ("package.module:function") with `scenario_named`.

A sync callable runs on the event loop's thread pool (like a sync handler in an async
service), so `concurrency` calls overlap; an async one runs as that many tasks."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from otelaudit.model import Instrumentor, Telemetry
from otelaudit.scenarios.api import Scenario, Workload

SETUP_VARIABLE = "OTELAUDIT_WORKLOAD_SETUP"  # how the child learns the optional setup callable
SOME_TELEMETRY = Telemetry()  # no count stated: valid when any telemetry is produced

Target = Union[str, Callable[..., Any]]


def reference_of(target: Target) -> str:
    """"module:qualname" for a module-level function (or a reference string, checked)."""
    if isinstance(target, str):
        module, _, name = target.partition(":")
        if not module or not name:
            raise ValueError(f"a workload reference looks like 'package.module:function', got {target!r}")
        return target
    owner, qualname = getattr(target, "__module__", None), getattr(target, "__qualname__", "")
    if not owner or "<" in qualname:
        raise ValueError(f"{target!r} is not importable by name: define it at module level")
    return f"{owner}:{qualname}"


def resolve(reference: str) -> Callable[..., Any]:
    module_name, _, name = reference.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in name.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise TypeError(f"{reference} is not callable")
    function: Callable[..., Any] = value
    return function


def import_root(module_name: str) -> Optional[str]:
    """The sys.path entry the module is imported from, so a child process finds it too
    (test modules live in folders pytest put on sys.path, not in site-packages)."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not os.path.isabs(spec.origin):
        return None
    root = os.path.dirname(spec.origin)
    for _ in range(module_name.count(".") + (os.path.basename(spec.origin) == "__init__.py")):
        root = os.path.dirname(root)
    return root


def scenario_for(target: Target, instrumentors: Sequence[Instrumentor], *, expects: Optional[Telemetry] = None,
                 concurrency: int = 8, setup: Optional[Target] = None) -> Scenario:
    """The scenario a scan runs for a user workload; the first instrumentor is the one
    audited (findings attribute to its package), the others are applied alongside."""
    if not instrumentors:
        raise ValueError("name at least one instrumentor the workload runs under in production")
    reference = reference_of(target)
    module_name = reference.partition(":")[0]
    env = {SETUP_VARIABLE: reference_of(setup)} if setup is not None else {}
    root = import_root(module_name)
    if root is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    primary = instrumentors[0]
    return Scenario(
        name=reference, instrumentor=primary.name, library=module_name, workload=workload_class(reference),
        expects=expects or SOME_TELEMETRY, description=f"the user's workload {reference}",
        concurrency=concurrency, env=env, also_instrument=tuple(i.value for i in instrumentors[1:]),
        library_version=lambda: "user code",
    )


def scenario_named(name: str) -> Scenario:
    """The child's side: the scenario behind a reference (only its workload is used there)."""
    return Scenario(workload_class(name), SOME_TELEMETRY, name=name, library=name.partition(":")[0],
                    description=name, library_version=lambda: "user code")


def workload_class(reference: str) -> "type[CallableWorkload]":
    """A workload class bound to one callable (the child instantiates it with a context only)."""
    return type("CallableWorkload", (CallableWorkload,), {"reference": reference, "__module__": __name__})


class CallableWorkload(Workload):
    """Calls the user's function once per operation, with the state its setup returned."""

    reference = ""

    async def setup(self) -> None:
        self.function = resolve(self.reference)
        self.is_async = inspect.iscoroutinefunction(self.function)
        setup_reference = os.environ.get(SETUP_VARIABLE)
        self.state = await _maybe_await(resolve(setup_reference)()) if setup_reference else None
        self.arguments = () if setup_reference is None else (self.state,)

    async def operation(self) -> None:
        if self.is_async:
            await self.function(*self.arguments)
        else:
            await asyncio.get_running_loop().run_in_executor(None, self.function, *self.arguments)

    async def teardown(self) -> None:
        for name in ("aclose", "close"):
            closer = getattr(self.state, name, None)
            if callable(closer):
                await _maybe_await(closer())
                return


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def telemetry_from(expects: Union[None, Telemetry, Mapping[str, float]]) -> Optional[Telemetry]:
    """Accepts `Telemetry` or a mapping such as {"spans": 2, "metric_measurements": 1}."""
    if expects is None or isinstance(expects, Telemetry):
        return expects
    unknown = set(expects) - {"spans", "metric_measurements", "log_records"}
    if unknown:
        raise ValueError(f"unknown telemetry kind(s) {sorted(unknown)}: use spans, metric_measurements, log_records")
    return Telemetry(**{k: float(v) for k, v in expects.items()})
