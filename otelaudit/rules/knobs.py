"""Configuration knobs users can change today without an upstream patch (OA3xx): one
entry per knob, saying how to apply it in a measuring child (environment variables or
`instrument()` keywords), the exact setting a user applies, and how to tell whether it
applies to an instrumentation — from the names its source mentions and the telemetry
its sdk arm produced, never from its package name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Literal, Mapping, Optional, Tuple

from otelaudit.model import Telemetry

Signal = Literal["spans", "metric_measurements", "log_records"]


@dataclass(frozen=True)
class Knob:
    """`env`/`kwargs` turn the knob in the child. `costly` says which arm is dearer: False
    for a feature on by default (the knob turns it off: the saving is plain − knob), True
    for one off by default (the knob turns it on: its cost is what leaving it off saves)."""

    name: str
    rule: str
    title: str
    setting: str  # what the user applies to get the saving
    env: Mapping[str, str] = field(default_factory=dict)
    kwargs: Mapping[str, object] = field(default_factory=dict)
    costly: bool = False
    mentions: Tuple[str, ...] = ()  # the instrumentation's source names one of these
    produces: Optional[Signal] = None  # ... and its sdk arm produced this telemetry

    def applies(self, source_names: FrozenSet[str], per_op: Optional[Telemetry]) -> bool:
        if self.mentions and not source_names.intersection(self.mentions):
            return False
        return self.produces is None or (per_op is not None and getattr(per_op, self.produces) > 0)


SERVER_HEADERS = ("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST",
                  "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE")
CLIENT_HEADERS = ("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST",
                  "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE")

KNOBS: Tuple[Knob, ...] = (
    Knob("sampler", "OA301", "keeping one trace in ten (a parent-based ratio sampler at 0.1)",
         "OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1",
         env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
         produces="spans"),
    Knob("exclude-spans", "OA302", "no spans for the ASGI send and receive events",
         'instrument(exclude_spans=["send", "receive"])', kwargs={"exclude_spans": ["send", "receive"]},
         mentions=("exclude_spans",), produces="spans"),
    Knob("metrics-off", "OA303", "no metrics (traces and logs kept)",
         "OTEL_METRICS_EXPORTER=none (opentelemetry-instrument; in code: configure no MeterProvider readers)",
         env={"OTEL_METRICS_EXPORTER": "none"}, produces="metric_measurements"),
    Knob("header-capture", "OA304", "capturing every HTTP request and response header as span attributes",
         "leave OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* unset, or list only the headers you need",
         env={name: ".*" for name in SERVER_HEADERS + CLIENT_HEADERS}, costly=True,
         mentions=SERVER_HEADERS + CLIENT_HEADERS, produces="spans"),
    # Turned on by keyword, not OTEL_PYTHON_LOG_CORRELATION: that also runs logging.basicConfig(), whose
    # stderr handler (where the root logger has none) would be measured as the correlation's cost.
    Knob("log-correlation", "OA305", "trace context injected into every log record (log correlation)",
         "leave OTEL_PYTHON_LOG_CORRELATION unset or false (instrument(set_logging_format=False, "
         "inject_trace_context=False), the default) where logs need no trace ids",
         kwargs={"inject_trace_context": True}, costly=True, mentions=("inject_trace_context",)),
)

KNOB_NAMES: Tuple[str, ...] = tuple(k.name for k in KNOBS)
KNOB_RULES: Dict[str, str] = {k.rule: f"setting `{k.name}`: the measured saving of {k.title}" for k in KNOBS}


def knob_named(name: str) -> Knob:
    return next(k for k in KNOBS if k.name == name)


def names_in(source: str) -> FrozenSet[str]:
    """The knobs' markers that `source` mentions."""
    markers = {marker for knob in KNOBS for marker in knob.mentions}
    return frozenset(m for m in markers if m in source)


def parse_knobs(text: str) -> Tuple[str, ...]:
    """`--knobs` (all) or `--knobs sampler,metrics-off`: the names, each known."""
    from otelaudit.errors import UnknownKnobError, did_you_mean

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names or names == ("all",):
        return KNOB_NAMES
    for name in names:
        if name not in KNOB_NAMES:
            raise UnknownKnobError(f"--knobs: no setting named {name!r}{did_you_mean(name, KNOB_NAMES)}; "
                                   f"known: {', '.join(KNOB_NAMES)}")
    return names
