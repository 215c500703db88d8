"""Scenarios of the SDK itself (instrumentations/sdk_*): workloads that drive the
OpenTelemetry API directly, under no instrumentation, so what they measure is the SDK.
They bind to the SDK's own distribution (`instrumentor_distribution=SDK`), which
provides no instrumentor: no scan of everything installed picks them up, a scan or a
compare that names them does."""

from __future__ import annotations

from otelaudit.scenarios.api import Scenario, normalise

SDK = "opentelemetry-sdk"
API = "opentelemetry-api"  # the library the SDK scenarios drive
SDK_FAMILY = (SDK, API)  # they move together


def is_sdk_scenario(scenario: Scenario) -> bool:
    return normalise(scenario.instrumentor_distribution or "") in SDK_FAMILY


def sdk_version() -> str:
    from importlib import metadata

    try:
        return f"opentelemetry-sdk {metadata.version(SDK)}"
    except metadata.PackageNotFoundError:
        return "no opentelemetry-sdk"
