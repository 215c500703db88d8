"""Which instrumentations an app runs under: by default those `opentelemetry-instrument`
would apply here (every installed `opentelemetry_instrumentor` entry point whose
instrumented library is installed, minus OTEL_PYTHON_DISABLED_INSTRUMENTATIONS from the
env file), or the `--instrument` list, each name checked with a "did you mean"."""

from __future__ import annotations

from importlib import metadata
from typing import List, Mapping, Optional, Sequence, Tuple

from otelaudit.errors import UnknownTargetError, UsageError, did_you_mean
from otelaudit.model import Instrumentor

DISABLED_VARIABLE = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"


def conflict_of(instrumentor: Instrumentor) -> Optional[str]:
    """Why opentelemetry-instrument would skip it (its library missing or the wrong version)."""
    try:
        from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts

        conflict = get_dist_dependency_conflicts(metadata.distribution(instrumentor.distribution))
    except Exception:  # an instrumentation release without the check: opentelemetry-instrument tries it
        return None
    return str(conflict) if conflict else None


def choose(names: Sequence[str], installed: Sequence[Instrumentor], env: Mapping[str, str]) -> Tuple[Instrumentor, ...]:
    if names:
        return tuple(_named(name, installed) for name in _unique(names))
    disabled = {part.strip() for part in env.get(DISABLED_VARIABLE, "").split(",") if part.strip()}
    if "*" in disabled:
        return ()
    return tuple(i for i in installed if i.name not in disabled and conflict_of(i) is None)


def _named(name: str, installed: Sequence[Instrumentor]) -> Instrumentor:
    wanted = _normalised(name)
    matches = [i for i in installed if _normalised(i.name) == wanted]
    matches = matches or [i for i in installed if _normalised(i.distribution) == wanted]
    if not matches:
        hint = did_you_mean(name, sorted({i.name for i in installed} | {i.distribution for i in installed}))
        raise UnknownTargetError(f"--instrument {name}: no installed instrumentation by that name{hint}")
    if len(matches) > 1:
        raise UsageError(f"--instrument {name}: {len(matches)} distributions register it "
                         f"({', '.join(m.distribution for m in matches)}): name one of them")
    conflict = conflict_of(matches[0])
    if conflict is not None:
        raise UsageError(f"--instrument {name}: opentelemetry-instrument would skip it here ({conflict})")
    return matches[0]


def label(instrumentor: Instrumentor, chosen: Sequence[Instrumentor]) -> str:
    """The entry-point name, with the distribution when two chosen ones share it (the two `openai`)."""
    shared = sum(i.name == instrumentor.name for i in chosen) > 1
    return f"{instrumentor.name} ({instrumentor.distribution})" if shared else instrumentor.name


def _unique(names: Sequence[str]) -> List[str]:
    parts = [part.strip() for name in names for part in name.split(",") if part.strip()]
    return list(dict.fromkeys(parts))


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
