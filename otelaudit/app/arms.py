"""The arms of an app audit and the run spec of each: no instrumentation, all on, the SDK
with no instrumentation (what the SDK and the libraries' native telemetry cost), and all on
but one for each instrumentation (leave-one-out: what removing it would save, measured in
the user's service). Every arm runs the same app and requests in `otelaudit.child.app`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Dict, Literal, Optional, Tuple

from otelaudit.app.options import AppOptions
from otelaudit.app.select import label
from otelaudit.model import Instrumentor, RunMode, RunSpec

CHILD_SCENARIO_MODULE = "otelaudit.child.app"
SERVED_SCENARIO_MODULE = "otelaudit.child.appserver"  # --server
DUMMY_KEYS = {"OPENAI_API_KEY": "sk-otelaudit-dummy", "ANTHROPIC_API_KEY": "sk-ant-otelaudit-dummy"}


Role = Literal["baseline", "all", "sdk-only", "without"]


@dataclass(frozen=True)
class AppArm:
    label: str
    role: Role
    applied: Tuple[Instrumentor, ...] = ()  # in the order opentelemetry-instrument would apply them
    left_out: Optional[Instrumentor] = None

    @property
    def sdk(self) -> bool:
        return self.role != "baseline"


BASELINE = AppArm("baseline", "baseline")
SDK_ONLY = AppArm("sdk only", "sdk-only")


def arms_for(chosen: Tuple[Instrumentor, ...]) -> Tuple[AppArm, ...]:
    """Baseline and all on first; leave-one-out arms only for two or more (with one, all on
    but it is the SDK alone)."""
    arms = (BASELINE, AppArm("all", "all", chosen), SDK_ONLY)
    if len(chosen) < 2:
        return arms
    return arms + tuple(AppArm(f"without {label(i, chosen)}", "without", tuple(o for o in chosen if o != i), i)
                        for i in chosen)


def spec(options: AppOptions, arm: AppArm, round_index: int, ops: int, mode: RunMode = "measure") -> RunSpec:
    if options.server:
        return served_spec(options, arm, round_index, ops, mode)
    first: Optional[Instrumentor] = arm.applied[0] if arm.applied else None
    return RunSpec(
        scenario_module=CHILD_SCENARIO_MODULE, scenario_name=options.reference,
        arm="sdk" if arm.sdk else "baseline", round=round_index, ops=ops,
        warmup_ops=_warmup(options, ops), concurrency=options.concurrency,
        instrumentor_value=first.value if first else None,
        instrumentor_distribution=first.distribution if first else None,
        instrumentor_version=first.version if first else None,
        also_instrument=tuple(i.value for i in arm.applied[1:]),
        mode=mode, calibrate_s=options.calibrate_s, memory_ops=options.memory_ops,
    )


def served_spec(options: AppOptions, arm: AppArm, round_index: int, ops: int, mode: RunMode) -> RunSpec:
    """--server: the measuring child is the client, uninstrumented in every arm (a "baseline"
    spec); the arm's telemetry travels in the scenario's name to the server it starts."""
    served = {"app": options.reference, "kind": options.kind, "app_dir": options.app_dir, "port": options.port,
              "sdk": arm.sdk, "instrument": [i.value for i in arm.applied]}
    return RunSpec(scenario_module=SERVED_SCENARIO_MODULE, scenario_name=json.dumps(served), arm="baseline",
                   round=round_index, ops=ops, warmup_ops=_warmup(options, ops), concurrency=options.concurrency,
                   mode=mode, calibrate_s=options.calibrate_s, memory_ops=0)


def _warmup(options: AppOptions, ops: int) -> int:
    return max(ops // 10, options.concurrency * 2)


def child_env(options: AppOptions, llm: Tuple[str, int]) -> Dict[str, str]:
    """The app's own settings, with its LLM clients pointed at the loopback fake API (a
    dummy key unless the env file has one: the fake API accepts any)."""
    from otelaudit.child.app import APP_DIR_VARIABLE, REQUESTS_VARIABLE

    host, port = llm
    env = {**DUMMY_KEYS, **options.env}
    env.update(OPENAI_BASE_URL=f"http://{host}:{port}/v1", ANTHROPIC_BASE_URL=f"http://{host}:{port}")
    env[REQUESTS_VARIABLE] = json.dumps([[r.method, r.path, r.body] for r in options.requests])
    env[APP_DIR_VARIABLE] = options.app_dir
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [options.app_dir, os.environ.get("PYTHONPATH")]))
    return env
