"""Describes the machine and the package versions a scan ran with, so a reader can
reproduce it and a later comparison can warn when they differ."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Dict, Iterable

from otelaudit.model import Environment

CORE_DISTRIBUTIONS = ("otelaudit", "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-instrumentation")


def package_versions(names: Iterable[str]) -> Dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe_environment(extra_distributions: Iterable[str] = ()) -> Environment:
    names = list(dict.fromkeys(list(CORE_DISTRIBUTIONS) + list(extra_distributions)))
    return Environment(
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=platform.platform(),
        machine=platform.machine(),
        cpu_count=os.cpu_count() or 1,
        packages=package_versions(names),
    )
