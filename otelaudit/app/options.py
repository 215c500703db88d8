"""What `otelaudit app` is asked to do: the app, its requests, where it lives and its
settings, the instrumentations named, and the measurement settings. The CLI builds one;
the stages below never see argparse."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Literal, Mapping, Optional, Tuple

from otelaudit.app.inputs import AppRequest
from otelaudit.plan.adaptive import DEFAULT_MAX_ROUNDS, PrecisionTarget, StopRule


@dataclass(frozen=True)
class AppFacts:
    """What checking the reference found out: the app's kind and the distribution of its framework."""

    kind: Literal["asgi", "wsgi"]
    framework: Optional[str] = None


@dataclass(frozen=True)
class AppOptions:
    reference: str  # "package.module:app"
    requests: Tuple[AppRequest, ...]
    app_dir: str  # imported from here and run here, as uvicorn's --app-dir
    env: Mapping[str, str] = field(default_factory=dict)  # the --env-file settings
    instrument: Tuple[str, ...] = ()  # none: what opentelemetry-instrument would apply
    concurrency: int = 8
    rounds: int = 10
    seconds_per_run: float = 0.5
    calibrate_s: float = 0.3
    memory_ops: int = 20
    profile_pairs: int = 2  # sampled baseline/all-on pairs for hotspots and the flame graph; 0: none
    timeout_s: float = 120.0
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1 << 30))
    quick: bool = False
    precision: Optional[PrecisionTarget] = None
    budget_s: Optional[float] = None
    command: str = "otelaudit app"
    server: bool = False  # behind uvicorn (ASGI) or gunicorn (WSGI) in a process of its own
    port: int = 0  # the server's loopback port; 0: a free one per run
    kind: Optional[Literal["asgi", "wsgi"]] = None  # found when the reference is checked: it picks the server

    def stop_rule(self) -> StopRule:
        return StopRule(self.rounds, max(DEFAULT_MAX_ROUNDS, self.rounds), self.precision, self.budget_s)

    @classmethod
    def quick_defaults(cls, **overrides: Any) -> "AppOptions":
        values: Dict[str, Any] = dict(rounds=5, seconds_per_run=0.1, calibrate_s=0.1, memory_ops=5, profile_pairs=1,
                                      quick=True)
        values.update(overrides)
        return cls(**values)

    def checked(self, facts: AppFacts) -> "AppOptions":
        """With the app's kind; with --server, no tracemalloc phase nor sampled profiles,
        which would watch the measuring child (the client), not the server."""
        if not self.server:
            return replace(self, kind=facts.kind)
        return replace(self, kind=facts.kind, memory_ops=0, profile_pairs=0)
