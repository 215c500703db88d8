"""Whether a target can be measured here, and its scenario's servers while it is. No
scenario, a missing library or a server whose software is not installed make it "not
covered"; a server that fails to start is an error. The scan and the cold start audit
their targets through these two functions, so both say the same about the same target."""

from __future__ import annotations

import importlib.util
from typing import Callable, Dict, Optional, Tuple, TypeVar

from otelaudit.discover.instrumentors import Target
from otelaudit.model import Failure, Status
from otelaudit.scenarios.api import Scenario
from otelaudit.servers.running import ServerError, ServerMissing, running_servers

T = TypeVar("T")
Servers = Dict[str, Tuple[str, int]]


def not_covered(target: Target) -> Optional[Failure]:
    """Why nothing can be measured for this target here, or None when something can."""
    instrumentor, scenario = target.instrumentor, target.scenario
    if scenario is None:
        return Failure("no-scenario", f"no scenario covers instrumentor {instrumentor.name!r}")
    if importlib.util.find_spec(scenario.library) is None:
        return Failure("missing-library", f"library {scenario.library!r} is not installed ({scenario.install_hint})")
    return None


def with_servers(scenario: Scenario, measure: Callable[[Servers], T], failed: Callable[[Status, Failure], T],
                 extra: Tuple[str, ...] = ()) -> T:
    """`measure(servers)` while the scenario's servers (and `extra` ones) run; `failed(status, why)` when they cannot."""
    try:
        with running_servers((*scenario.servers, *extra)) as servers:
            return measure(servers)
    except ServerMissing as error:
        return failed("not-covered", Failure("missing-library", str(error)))
    except ServerError as error:
        return failed("error", Failure("workload-crashed", str(error)))
