"""The authoring API for workload scenarios.

A scenario module defines one `Scenario` (metadata, importable without importing the
library it drives; only what differs from the defaults its module gives) and its
`Workload` (the async code that drives the real library), or names a workload it shares
with other scenarios. The measuring child instantiates the workload after `instrument()`
ran, so libraries whose classes are patched at construction time are instrumented.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Tuple, Type

from otelaudit.errors import ScenarioError
from otelaudit.model import Telemetry


@dataclass(frozen=True)
class WorkloadContext:
    """What a workload gets from the runner: loopback servers and its concurrency."""

    concurrency: int
    servers: Mapping[str, Tuple[str, int]] = field(default_factory=dict)

    def server(self, kind: str) -> Tuple[str, int]:
        try:
            return self.servers[kind]
        except KeyError:
            raise RuntimeError(f"scenario needs a {kind!r} loopback server but none was started") from None

    def url(self, kind: str = "http", path: str = "/") -> str:
        host, port = self.server(kind)
        return f"http://{host}:{port}{path}"


@dataclass(frozen=True)
class Usage:
    """A serving process's readings: CPU, its main (event-loop) thread's CPU, telemetry so far."""

    cpu_s: float
    loop_cpu_s: float
    telemetry: Telemetry
    peak_rss_kib: int = 0


class Workload:
    """One synthetic workload: `setup` once, `operation` many times concurrently, `teardown`.

    `sizes` (payload bytes, smallest first) and `depths` (extra frames the harness calls
    `operation` from) declare the points of the scaling run; `operation` reads `self.size`,
    which is the first size outside that run."""

    sizes: Tuple[int, ...] = ()
    depths: Tuple[int, ...] = ()

    def __init__(self, context: WorkloadContext) -> None:
        self.context = context
        self.size = self.sizes[0] if self.sizes else 0

    async def setup(self) -> None:
        """Open connections, build apps; runs after instrumentation, before timing."""

    async def operation(self) -> None:
        raise NotImplementedError

    async def teardown(self) -> None:
        """Release what setup opened."""

    def usage(self) -> Optional[Usage]:
        """What the processes serving the operations used so far, when they are not this one
        (app mode's --server); None: this process, measured as such."""
        return None


@dataclass(frozen=True)
class Scenario:
    """A workload bound to the instrumentor entry point it exercises.

    Only what differs is passed: `name` defaults to the scenario module's name without
    its `_scenario` suffix (`sqlite3_scenario` -> "sqlite3"), `instrumentor` and `library`
    to `name`, `description` to the module's docstring. `module` is where the measuring
    child finds the scenario again: the workload's module unless the scenario passes
    `module=__name__` (a workload shared with other scenarios); the catalog records the
    module it loaded each scenario from.

    `expects` is the telemetry one operation should produce under the SDK arm; a run
    that produces none is invalid, never "0% overhead". `supported_versions` is the PEP 440
    range of the library's distribution the workload is known to drive correctly.
    `instrumentor_distribution` binds the scenario to one distribution's instrumentor when
    several distributions register the same entry-point name (e.g. two `openai` ones).
    """

    workload: Type[Workload]
    expects: Telemetry
    name: str = ""
    instrumentor: str = ""
    library: str = ""
    description: str = ""
    module: str = ""
    distribution: Optional[str] = None
    concurrency: int = 8
    servers: Tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    instrument_kwargs: Mapping[str, Any] = field(default_factory=dict)
    library_version: Optional[Callable[[], str]] = None
    supported_versions: Optional[str] = None
    instrumentor_distribution: Optional[str] = None
    also_instrument: Tuple[str, ...] = ()  # further instrumentors ("module:Class") applied alongside

    def __post_init__(self) -> None:
        if not (isinstance(self.workload, type) and issubclass(self.workload, Workload)):
            raise ScenarioError(f"a scenario's workload must be a Workload subclass, not {self.workload!r}")
        module = self.module or self.workload.__module__
        name = self.name or module_stem(module)
        defaults = {"module": module, "name": name, "instrumentor": self.instrumentor or name,
                    "library": self.library or name, "description": self.description or _docstring(module)}
        for attribute, value in defaults.items():
            object.__setattr__(self, attribute, value)  # frozen: filled in once, at construction

    @property
    def key(self) -> str:
        """Its key in the catalog: the entry-point name, qualified by distribution if bound to one."""
        if self.instrumentor_distribution is None:
            return self.instrumentor
        return f"{self.instrumentor}@{normalise(self.instrumentor_distribution)}"

    @property
    def install_hint(self) -> str:
        return f"pip install {self.distribution}" if self.distribution else f"module {self.library} is unavailable"


def module_stem(module: str) -> str:
    """`pkg.sqlite3_scenario` -> "sqlite3": the suffix keeps the module from shadowing its library."""
    stem = module.rpartition(".")[2]
    return stem[: -len("_scenario")] if stem.endswith("_scenario") and stem != "_scenario" else stem


def _docstring(module: str) -> str:
    # A scenario is built while its module executes: the module is in sys.modules, its docstring set.
    return getattr(sys.modules.get(module), "__doc__", None) or ""


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def scenario_for(scenarios: Mapping[str, Scenario], name: str, distribution: str) -> Optional[Scenario]:
    """The scenario covering entry point `name` of `distribution`: a distribution-bound one first."""
    return scenarios.get(f"{name}@{normalise(distribution)}") or scenarios.get(name)


def unsupported_version(scenario: Scenario) -> Optional[str]:
    """A one-line warning when the installed library is outside the scenario's stated range."""
    if scenario.supported_versions is None or scenario.distribution is None:
        return None
    from importlib import metadata

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    try:
        installed = metadata.version(scenario.distribution)
    except metadata.PackageNotFoundError:
        return None
    if Version(installed) in SpecifierSet(scenario.supported_versions):
        return None
    return (f"{scenario.distribution} {installed} is outside the range the {scenario.name} scenario supports "
            f"({scenario.supported_versions}): its figures may not reflect the library's normal behaviour")


def library_version(scenario: Scenario) -> Optional[str]:
    """The version of the library the scenario drives, or None when it is not installed."""
    import importlib.util

    if importlib.util.find_spec(scenario.library) is None:
        return None
    if scenario.library_version is not None:
        return scenario.library_version()
    if scenario.distribution is None:
        import platform

        return f"python {platform.python_version()}"
    from importlib import metadata

    try:
        return metadata.version(scenario.distribution)
    except metadata.PackageNotFoundError:
        return None

