"""`python -m otelaudit.child.describe DIST`, run inside a version's environment: prints a
`Description` as JSON: the instrumentor DIST provides, the scenario covering it, and the
versions of every installed distribution, so the parent can plan runs in an interpreter it
cannot import from."""

from __future__ import annotations

import json
import sys
from typing import Optional

from otelaudit.discover.catalog import load_catalog
from otelaudit.discover.instrumentors import discover_instrumentors, select_targets
from otelaudit.model import Description, ScenarioDescription
from otelaudit.model.codec import to_data
from otelaudit.scenarios.api import Scenario


def describe(distribution: str) -> Description:
    from importlib import metadata

    selection = select_targets([distribution], discover_instrumentors(), load_catalog().scenarios)
    target = selection.targets[0] if selection.targets else None
    scenario = scenario_description(target.scenario) if target is not None and target.scenario else None
    packages = {d.metadata["Name"]: d.version for d in metadata.distributions() if d.metadata["Name"]}
    return Description(target.instrumentor if target else None, scenario, packages)


def scenario_description(s: Scenario) -> ScenarioDescription:
    return ScenarioDescription(
        name=s.name, module=s.module, library=s.library, concurrency=s.concurrency,
        expects=s.expects, servers=tuple(s.servers), env=dict(s.env), instrument_kwargs=dict(s.instrument_kwargs),
        library_distribution=library_distribution(s.library))


def library_distribution(module: str) -> Optional[str]:
    """The distribution that provides `module` (None for the standard library)."""
    from importlib import metadata

    top = module.split(".")[0]
    index = getattr(metadata, "packages_distributions", None)
    if index is not None:
        found = index().get(top)
        return found[0] if found else None
    for dist in metadata.distributions():  # Python 3.9 has no packages_distributions()
        provided = (dist.read_text("top_level.txt") or "").split()
        if top in provided or any(f.parts[0] in (top, f"{top}.py") for f in dist.files or ()):
            return str(dist.metadata["Name"])
    return None


if __name__ == "__main__":
    json.dump(to_data(describe(sys.argv[1])), sys.stdout)
    sys.exit(0)
