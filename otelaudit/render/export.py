"""The export arm's figure in words, shared by the terminal, markdown and HTML reports:
what serialising and sending with the real OTLP exporters costs on top of the sdk arm,
with its interval, and that the sink received every item the SDK sent."""

from __future__ import annotations

from typing import List, Optional, Sequence

from otelaudit.model import ScenarioResult
from otelaudit.render._text import ratio_ci, with_ci


def sentence(result: ScenarioResult) -> Optional[str]:
    export = result.export_overhead
    if export is None:
        return None
    return (f"Export over the sdk arm ({result.export_protocol or 'OTLP'} exporters to a loopback sink): "
            f"{with_ci(export.cpu_us_per_op)} CPU per operation ({ratio_ci(export.cpu_ratio)} the sdk arm's), "
            f"p99 latency {with_ci(export.latency_p99_us)}, {export.rounds} paired rounds; the sink decoded "
            "every span, metric point and log record the SDK sent.")


def terminal_lines(results: Sequence[ScenarioResult]) -> List[str]:
    rows = [(result.instrumentor, result.export_overhead, result.export_protocol) for result in results]
    shown = [f"  {name}: {with_ci(export.cpu_us_per_op)} CPU/op ({ratio_ci(export.cpu_ratio)}), "
             f"p99 {with_ci(export.latency_p99_us)}, {protocol}"
             for name, export, protocol in rows if export is not None]
    if not shown:
        return []
    return ["", "Export arm over the sdk arm (real OTLP exporters to a loopback sink; all sent telemetry arrived):",
            *shown]
