"""What every step of a cold-start audit shares: the audit's options, and one target's
session, which builds that target's ColdSpecs and runs them through the Runner with the
scenario's environment and servers. The audit and the lazy-import verification both use it."""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from otelaudit.coldstart.auto import auto_directory
from otelaudit.discover.instrumentors import Target
from otelaudit.model import ColdArm, ColdRun, ColdSpec, Finding
from otelaudit.plan.targets import Servers
from otelaudit.rules.lazyimport import LazyPatch
from otelaudit.run.runner import Runner
from otelaudit.scenarios.api import Scenario

Progress = Callable[[str], None]
Patches = List[Tuple[Finding, LazyPatch, str]]  # a finding, its patch, the module it patches


@dataclass(frozen=True)
class ColdStartOptions:
    targets: Tuple[str, ...] = ()
    rounds: int = 10
    first_ops: int = 3
    steady_ops: int = 30
    simulate_distributions: int = 0
    auto: bool = True
    auto_exclude: Tuple[str, ...] = ()
    ignore_rules: Tuple[str, ...] = ()
    timeout_s: float = 120.0
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 30))
    quick: bool = False
    command: str = "otelaudit coldstart"
    python: str = sys.executable


@dataclass(frozen=True)
class TargetSession:
    """Builds and runs the specs of one target's children."""

    target: Target
    options: ColdStartOptions
    servers: Servers
    runner: Runner

    @property
    def scenario(self) -> Scenario:
        assert self.target.scenario is not None, "a session is only made for a covered target"
        return self.target.scenario

    def spec(self, arm: ColdArm, round_index: int, probe: bool = False, patch_module: Optional[str] = None,
             patch_source: Optional[str] = None) -> ColdSpec:
        scenario, instrumentor = self.scenario, self.target.instrumentor
        return ColdSpec(arm=arm, round=round_index, library=scenario.library,
                        scenario_module=scenario.module, scenario_name=scenario.name,
                        instrumentor_value=instrumentor.value, instrumentor_distribution=instrumentor.distribution,
                        instrumentor_version=instrumentor.version, instrument_kwargs=dict(scenario.instrument_kwargs),
                        servers=dict(self.servers), first_ops=self.options.first_ops,
                        steady_ops=self.options.steady_ops, probe=probe, patch_module=patch_module,
                        patch_source=patch_source)

    def run(self, spec: ColdSpec, extra_env: Optional[Mapping[str, str]] = None) -> ColdRun:
        env = {**self.scenario.env, **(extra_env or {})}
        return self.runner.cold(spec, env, self.options.timeout_s)


def auto_env(options: ColdStartOptions) -> Dict[str, str]:
    """The environment that makes a child start as under opentelemetry-instrument (its
    sitecustomize first on PYTHONPATH); empty when not measuring auto-instrumentation."""
    directory = auto_directory() if options.auto else None
    if directory is None:
        return {}
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [directory, os.environ.get("PYTHONPATH")]))}
    if options.auto_exclude:
        env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = ",".join(options.auto_exclude)
    return env
