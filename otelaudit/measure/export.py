"""The export arm's figures: its cost over the sdk arm, paired by round, and its validity,
judged at the sink. Nothing arriving, or less (or more) than the SDK sent, makes the
scenario invalid with what went missing said, never a cheap export."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from otelaudit.measure import analysis
from otelaudit.model import SELECTABLE_ARMS, Arm, Failure, RunResult, ScenarioResult, Telemetry


def present_arms(runs: Sequence[RunResult]) -> Tuple[Arm, ...]:
    """The timed arms these runs were planned with (baseline and sdk always)."""
    seen = {run.arm for run in runs}
    return tuple(arm for arm in SELECTABLE_ARMS if arm in seen or arm in ("baseline", "sdk"))


def with_export(result: ScenarioResult, by_arm: Dict[str, List[RunResult]]) -> ScenarioResult:
    """Adds export-over-sdk to a valid result, or makes it invalid when the sink disagrees."""
    runs = by_arm.get("export")
    if not runs:
        return result
    problem = delivery_problem(runs)
    if problem is not None:
        return replace(result, status="invalid", failure=problem, overhead=None, api_overhead=None)
    protocol = runs[0].delivery.protocol if runs[0].delivery else None
    return replace(result, export_overhead=analysis.compare("export", runs, by_arm["sdk"]), export_protocol=protocol)


def delivery_problem(runs: Sequence[RunResult]) -> Optional[Failure]:
    for run in runs:
        delivery = run.delivery
        if delivery is None:
            return Failure("no-telemetry", f"export arm, round {run.round + 1}: no count from the OTLP sink")
        if delivery.arrived.total == 0:
            return Failure("no-telemetry", f"export arm, round {run.round + 1}: no telemetry arrived at the OTLP "
                           f"sink over {delivery.protocol} (the SDK sent {describe(delivery.sent)})")
        if delivery.arrived != delivery.sent:
            return Failure("no-telemetry", f"export arm, round {run.round + 1}: the OTLP sink decoded "
                           f"{describe(delivery.arrived)} over {delivery.protocol}, the SDK sent {describe(delivery.sent)}")
    return None


def describe(items: Telemetry) -> str:
    return (f"{items.spans:g} spans, {items.metric_measurements:g} metric points, "
            f"{items.log_records:g} log records")
