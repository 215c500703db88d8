"""pytest plugin (entry point `pytest11: otelaudit`): a fixture that audits a scenario —
bundled or registered under the `otelaudit_scenarios` entry-point group — or the user's
own function under the instrumentors they run, always in fresh subprocesses, and a marker
that holds its overhead budgets:

    @pytest.mark.otelaudit(max_cpu_ratio=2.0, max_calls_per_op={"package-metadata": 0})
    def test_httpx_overhead(otelaudit):
        otelaudit.audit("httpx")
        otelaudit.audit_workload(handle_order, ["requests", "sqlite3"], setup=make_client)

Options share the `--otelaudit-` prefix: the measurement options are `otelaudit scan`'s,
declared once in otelaudit.cli.options; defaults can live in `[tool.otelaudit]` of
pyproject.toml. Inconclusive budgets warn, or fail with `--otelaudit-strict`."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest

from otelaudit.cli.options import MEASUREMENT, Option, add_all, keywords
from otelaudit.errors import UsageError, did_you_mean
from otelaudit.gate import baselines
from otelaudit.gate.budgets import KNOWN as BUDGET_NAMES
from otelaudit.gate.budgets import Budget, Verdict, check_setting
from otelaudit.gate.budgets import check as check_budget
from otelaudit.gate.budgets import subject

if TYPE_CHECKING:
    from otelaudit.plan.adaptive import PrecisionTarget

VERDICTS = pytest.StashKey[List[Verdict]]()
AUDITED = pytest.StashKey[Dict[str, Any]]()
PREFIX = "otelaudit-"
# The plugin's own options; the measurement options are `otelaudit scan`'s (cli.options).
OWN_OPTIONS = (
    Option("strict", "strict", "fail, rather than warn, when a budget is inconclusive", {"action": "store_true"}),
    Option("save", "save", "save every audited result as the next numbered run NNNN_NAME", {"metavar": "NAME"}),
    Option("compare", "compare", "fail on a CPU-overhead regression against a saved run (NAME, NNNN or a file)",
           {"metavar": "NAME"}),
    Option("threshold", "threshold", "regression threshold as a fraction of the saved overhead (default 0.10)",
           {"type": float}),
    Option("storage", "storage", "where saved runs live (default .otelaudit)", {"metavar": "DIR"}),
)
# `[tool.otelaudit]` settings and the type each must have; budget names set every test's defaults.
PYPROJECT_KEYS: Dict[str, Any] = {"rounds": int, "seconds_per_run": (int, float), "strict": bool,
                                  "threshold": (int, float), "storage": str}
MARKER = "@pytest.mark.otelaudit"


class OtelauditWarning(UserWarning):
    """A budget the measurement could neither confirm nor refute."""


@dataclass(frozen=True)
class PluginSettings:
    """The session's settings: defaults, then `[tool.otelaudit]`, then the command line."""

    storage: str
    rounds: int = 5
    seconds_per_run: float = 0.1
    timeout_s: Optional[float] = None
    precision: Optional[PrecisionTarget] = None
    budget_s: Optional[float] = None
    control_arm: bool = True
    deterministic: bool = False
    strict: bool = False
    save: Optional[str] = None
    compare: Optional[str] = None
    threshold: float = baselines.DEFAULT_THRESHOLD
    budget: Budget = field(default_factory=Budget)  # `[tool.otelaudit]`'s, under every marker's

    def scan_keywords(self) -> Dict[str, Any]:
        """What ScanOptions takes from these settings (the shared measurement options)."""
        chosen = {o.dest: getattr(self, o.dest) for o in MEASUREMENT}
        return {name: value for name, value in chosen.items() if value is not None}


SETTINGS = pytest.StashKey[PluginSettings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("otelaudit", "overhead budgets for OpenTelemetry instrumentations")
    add_all(group.addoption, (*MEASUREMENT, *OWN_OPTIONS), PREFIX)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "otelaudit(**budgets): overhead budgets checked by the otelaudit fixture")
    config.stash[VERDICTS] = []
    config.stash[AUDITED] = {}
    root = str(config.rootpath)
    given = keywords(config.getoption, (*MEASUREMENT, *OWN_OPTIONS), PREFIX)
    try:
        settings, budget = _pyproject_settings(root)
    except UsageError as error:  # a gate configured wrongly must stop the run, not pass it
        raise pytest.UsageError(f"otelaudit: {error}") from None
    config.stash[SETTINGS] = PluginSettings(**{"storage": os.path.join(root, ".otelaudit"),
                                               **settings, **given}, budget=budget)


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("otelaudit")
    if marker is not None:
        _marker_budget(item.config.stash[SETTINGS].budget, marker)


def _marker_budget(default: Budget, marker: Any) -> Budget:
    """The marker's budgets over `[tool.otelaudit]`'s; a bad one fails the test's setup."""
    if marker is None:
        return default
    if marker.args:
        pytest.fail(f"{MARKER} takes budgets as keywords, e.g. max_cpu_ratio=2, got {marker.args!r}", pytrace=False)
    return _budget({**_as_mapping(default), **marker.kwargs}, MARKER)


def _budget(values: Dict[str, Any], where: str) -> Budget:
    try:
        return Budget.from_mapping(values, where=where)
    except UsageError as error:
        refused = str(error)
    pytest.fail(f"invalid {refused}", pytrace=False)  # outside `except`: no chained exception shown


@dataclass
class Auditor:
    """What the `otelaudit` fixture hands a test."""

    settings: PluginSettings
    budget: Budget
    audited: Dict[str, Any]
    verdicts: List[Verdict] = field(default_factory=list)

    def audit(self, target: str, **budgets: Any) -> Any:
        """Measures `target` (instrumentor entry-point or distribution name) on its bundled
        or registered scenario and checks the marker's budgets, plus any given here;
        returns the ScenarioResult."""
        from otelaudit.pipeline import scan

        result = scan(self._options(target, budgets)).results[0]
        return self._finish(result, budgets)

    def audit_workload(self, workload: Any, instrumentors: Sequence[str], *, expects: Any = None,
                       concurrency: int = 8, setup: Any = None, **budgets: Any) -> Any:
        """Measures the user's own `workload` — a module-level sync or async function (or
        "module:function"), one call per operation, called with `setup()`'s return value
        when `setup` is given — under the named instrumentors (entry-point names, as in
        production; the first is the one audited), each arm in fresh subprocesses."""
        from otelaudit.discover.instrumentors import Target
        from otelaudit.pipeline import audit_target
        from otelaudit.run.runner import SubprocessRunner
        from otelaudit.scenarios.user import scenario_for, telemetry_from

        chosen = _installed_instrumentors(instrumentors)
        scenario = scenario_for(workload, chosen, expects=telemetry_from(expects), concurrency=concurrency, setup=setup)
        result = audit_target(Target(chosen[0], scenario, True), self._options(scenario.name, budgets), SubprocessRunner(),
                              lambda message: None)
        return self._finish(result, budgets)

    def _options(self, target: str, budgets: Dict[str, Any]) -> Any:
        from otelaudit.plan.options import ScanOptions

        # Instruction-count budgets need deterministic mode (instruction counts per arm).
        counts = _budget({**_as_mapping(self.budget), **budgets}, "audit()").counts_instructions
        return ScanOptions.quick_defaults(**{**self.settings.scan_keywords(), "targets": (target,),
                                             "command": f"pytest (otelaudit fixture) {target}",
                                             "deterministic": counts or self.settings.deterministic})

    def _finish(self, result: Any, budgets: Dict[str, Any]) -> Any:
        budget = _budget({**_as_mapping(self.budget), **budgets}, "audit()") if budgets else self.budget
        self.audited[subject(result)] = result
        self._judge(check_budget(result, budget) + self._regression(result))
        return result

    def check(self, result: Any, **budgets: Any) -> None:
        """Judges an already measured result against further budgets (same rules, same
        reporting), e.g. a second limit derived from the first measurement."""
        self._judge(check_budget(result, _budget(budgets, "check()")))

    def _judge(self, outcomes: List[Verdict]) -> None:
        self.verdicts.extend(outcomes)
        failed = [v.message for v in outcomes if v.outcome == "fail"]
        unsure = [v.message for v in outcomes if v.outcome == "inconclusive"]
        if unsure and self.settings.strict:
            failed += [f"inconclusive (strict): {m}" for m in unsure]
        elif unsure:
            for message in unsure:
                warnings.warn(OtelauditWarning(message))
        if failed:
            pytest.fail("otelaudit budget exceeded:\n  " + "\n  ".join(failed), pytrace=False)

    def _regression(self, result: Any) -> List[Verdict]:
        if not self.settings.compare:
            return []
        from otelaudit.discover.environment import describe_environment

        try:
            saved = baselines.load(self.settings.storage, self.settings.compare)
        except OSError as error:
            return [Verdict("regression", "fail", f"cannot read saved run {self.settings.compare!r}: {error}")]
        differences = baselines.environment_differences(saved.environment, describe_environment(saved.environment.packages))
        if differences:
            warnings.warn(OtelauditWarning("saved run differs from this machine: " + "; ".join(differences)))
        return [baselines.compare(saved.results.get(subject(result)), result, self.settings.threshold)]


@pytest.fixture
def otelaudit(request: pytest.FixtureRequest) -> Iterator[Auditor]:
    settings = request.config.stash[SETTINGS]
    budget = _marker_budget(settings.budget, request.node.get_closest_marker("otelaudit"))
    auditor = Auditor(settings, budget, request.config.stash[AUDITED])
    yield auditor
    request.config.stash[VERDICTS].extend(auditor.verdicts)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    settings, audited = config.stash.get(SETTINGS, None), config.stash.get(AUDITED, {})
    if settings is not None and settings.save and audited:
        path = baselines.save(settings.storage, settings.save, audited)
        terminalreporter.write_line(f"otelaudit: saved {len(audited)} audited result(s) to {path}")
    verdicts = config.stash.get(VERDICTS, [])
    if not verdicts:
        return
    terminalreporter.section("otelaudit budgets")
    for verdict in verdicts:
        terminalreporter.write_line(f"{verdict.outcome.upper():>12}  {verdict.message}")


def _installed_instrumentors(names: Sequence[str]) -> List[Any]:
    """The installed instrumentors by entry-point (or distribution) name, in the given order."""
    from otelaudit.discover.instrumentors import discover_instrumentors

    installed = discover_instrumentors()
    chosen = []
    for name in names:
        found = next((i for i in installed if name in (i.name, i.distribution)), None)
        if found is None:
            pytest.fail(f"otelaudit: no installed instrumentor named {name!r} "
                        f"(installed: {', '.join(sorted(i.name for i in installed)) or 'none'})", pytrace=False)
        chosen.append(found)
    if not chosen:
        pytest.fail("otelaudit: audit_workload needs the instrumentors the workload runs under", pytrace=False)
    return chosen


def _as_mapping(budget: Budget) -> Dict[str, Any]:
    return {**budget.limits, "max_calls_per_op": budget.max_calls_per_op, "forbid_rules": budget.forbid_rules}


def _pyproject_settings(rootdir: str) -> Tuple[Dict[str, Any], Budget]:
    """`[tool.otelaudit]`: settings and default budgets, each name and type checked."""
    path = os.path.join(rootdir, "pyproject.toml")
    if not os.path.exists(path):
        return {}, Budget()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on older Pythons
        import tomli as tomllib
    with open(path, "rb") as handle:
        table = tomllib.load(handle).get("tool", {}).get("otelaudit", {})
    where, known = "[tool.otelaudit]", (*PYPROJECT_KEYS, *BUDGET_NAMES)
    values = {str(key).replace("-", "_"): value for key, value in table.items()}
    for key, value in values.items():
        if key not in known:
            raise UsageError(f"{where}: unknown key {key!r}{did_you_mean(key, known)}; known: {', '.join(known)}")
        wanted = PYPROJECT_KEYS.get(key)
        if wanted is not None and (not isinstance(value, wanted) or (wanted is int and isinstance(value, bool))):
            raise UsageError(f"{where}: {key} must be {_type_name(wanted)}, got {value!r}")
        check_setting(where, key, value)
    budget = Budget.from_mapping({k: v for k, v in values.items() if k in BUDGET_NAMES}, where=where)
    return {k: v for k, v in values.items() if k in PYPROJECT_KEYS}, budget


def _type_name(wanted: Any) -> str:
    return {int: "an integer", bool: "true or false", str: "a string"}.get(wanted, "a number")
