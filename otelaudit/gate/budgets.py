"""Overhead budgets: limits on a scenario's measured overhead, judged against the whole
confidence interval — `fail` only when it lies wholly past the limit, `pass` when wholly
within, `inconclusive` in between — and call-count budgets, which are deterministic and
cannot flake. Used by the pytest plugin and `scan --fail-on`; each outcome explains itself."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple

from otelaudit.errors import UsageError, did_you_mean
from otelaudit.model import Estimate, Report, ScenarioResult

Outcome = Literal["pass", "fail", "inconclusive"]

# Budget name → where its estimate lives on the sdk-vs-baseline comparison.
INTERVAL_BUDGETS = {
    "max_cpu_us_per_op": ("cpu_us_per_op", "CPU overhead", "µs/op"),
    "max_cpu_ratio": ("cpu_ratio", "CPU ratio sdk/baseline", "×"),
    "max_latency_p99_us": ("latency_p99_us", "p99 latency overhead", "µs"),
}
# Deterministic budgets on instruction counts (scan in deterministic mode): pass or fail.
COUNT_BUDGETS = {
    "max_instructions_per_op": "instructions per operation added by the SDK arm",
    "max_instruction_ratio": "instruction ratio sdk/baseline",
}


@dataclass(frozen=True)
class Budget:
    limits: Dict[str, float] = field(default_factory=dict)
    max_calls_per_op: Dict[str, float] = field(default_factory=dict)  # category or target → calls/op
    forbid_rules: Tuple[str, ...] = ()

    @property
    def counts_instructions(self) -> bool:
        return any(name in COUNT_BUDGETS for name in self.limits)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "budget") -> "Budget":
        """A budget from the marker's keywords, `[tool.otelaudit]` or `--fail-on`, every
        name, type and limit checked: a typo that matched nothing would pass every gate."""
        for name in values:
            if name not in KNOWN:
                raise UsageError(f"{where}: unknown budget {name!r}{did_you_mean(str(name), KNOWN)}; "
                                 f"known: {', '.join(KNOWN)}")
        return cls(
            limits={k: _limit(where, k, v, zero=False) for k, v in values.items() if k in LIMITS},
            max_calls_per_op=_calls_limits(where, values.get("max_calls_per_op", {})),
            forbid_rules=_rules(where, values.get("forbid_rules", ())),
        )


KNOWN: Tuple[str, ...] = (*INTERVAL_BUDGETS, *COUNT_BUDGETS, "max_calls_per_op", "forbid_rules")
LIMITS = frozenset(INTERVAL_BUDGETS) | frozenset(COUNT_BUDGETS)


# `[tool.otelaudit]` settings that are numbers, and whether zero is allowed (threshold 0:
# no regression at all); rounds are counted from one.
SETTING_RANGES = {"seconds_per_run": False, "threshold": True}


def check_setting(where: str, name: str, value: Any) -> None:
    """A `[tool.otelaudit]` setting in range: a zero, negative or NaN one would run a
    scan that measures nothing, or a gate that passes or fails everything."""
    if name == "rounds" and isinstance(value, int) and value < 1:
        raise UsageError(f"{where}: rounds must be at least 1, got {value!r}")
    if name in SETTING_RANGES:
        _limit(where, name, value, zero=SETTING_RANGES[name])


def _limit(where: str, name: str, value: Any, zero: bool) -> float:
    """A finite number, positive (or zero, for a call count: none allowed at all)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{where}: {name} must be a number, got {type(value).__name__} {value!r}")
    limit = float(value)
    if not math.isfinite(limit) or limit < 0 or (limit == 0 and not zero):
        least = "zero or more" if zero else "a positive number"
        raise UsageError(f"{where}: {name} must be {least}, got {value!r}")
    return limit


def _calls_limits(where: str, values: Any) -> Dict[str, float]:
    if not isinstance(values, Mapping):
        raise UsageError(f"{where}: max_calls_per_op must map a category or function to a limit, "
                         f'e.g. {{"package-metadata": 0}}, got {type(values).__name__} {values!r}')
    from otelaudit.child.probe import catalogue_names

    categories, functions = catalogue_names()
    for key in values:
        if key not in categories and key not in functions:
            raise UsageError(f"{where}: max_calls_per_op: unknown category or function {key!r}"
                             f"{did_you_mean(str(key), categories + functions)}; categories: {', '.join(categories)}")
    return {key: _limit(where, f"max_calls_per_op[{key}]", limit, zero=True) for key, limit in values.items()}


def _rules(where: str, values: Any) -> Tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
        raise UsageError(f"{where}: forbid_rules must be a list of rule ids, e.g. [\"OA102\"], "
                         f"got {type(values).__name__} {values!r}")
    return tuple(known_rule(where, rule) for rule in values)


def known_rule(where: str, rule: Any) -> str:
    """A rule id from the registry (case-insensitive), or a usage error naming the closest."""
    from otelaudit.rules.registry import rule_ids

    ids = tuple(rule_ids())
    wanted = rule.upper() if isinstance(rule, str) else rule
    if wanted not in ids:
        digits = f"{wanted[:2]}{wanted[2:].replace('O', '0')}" if isinstance(wanted, str) else ""
        hint = did_you_mean(digits if digits in ids else str(wanted), ids)  # OA1O2: a letter O for a zero
        raise UsageError(f"{where}: unknown rule {rule!r}{hint}; known: {', '.join(ids)}")
    return str(wanted)


@dataclass(frozen=True)
class Verdict:
    budget: str
    outcome: Outcome
    message: str


def subject(result: ScenarioResult) -> str:
    """What a verdict is about: the instrumentor, or a user workload with its instrumentor."""
    if result.scenario and ":" in result.scenario:
        return f"{result.scenario} under {result.instrumentor}"
    return result.instrumentor


def check(result: ScenarioResult, budget: Budget) -> List[Verdict]:
    if result.status != "ok" or result.overhead is None:
        why = result.failure.message if result.failure else result.status
        return [Verdict("measurement", "fail", f"{subject(result)}: no valid measurement ({why})")]
    verdicts = [_interval(name, limit, getattr(result.overhead, INTERVAL_BUDGETS[name][0]), result)
                for name, limit in budget.limits.items() if name in INTERVAL_BUDGETS]
    verdicts += [_count(name, limit, result) for name, limit in budget.limits.items() if name in COUNT_BUDGETS]
    verdicts += [_calls(key, limit, result) for key, limit in budget.max_calls_per_op.items()]
    verdicts += [_rule(rule, result) for rule in budget.forbid_rules]
    return verdicts


def check_report(report: Report, budget: Budget) -> List[Verdict]:
    """`--fail-on`: the verdicts on every measured result (a result that failed to
    measure already decides the exit code by its failure)."""
    return [verdict for result in report.results if result.status == "ok" for verdict in check(result, budget)]


def _interval(name: str, limit: float, value: Estimate, result: ScenarioResult) -> Verdict:
    _, label, unit = INTERVAL_BUDGETS[name]
    measured = f"{label} {value.estimate:.3g} {unit} [95% CI {value.ci_low:.3g}, {value.ci_high:.3g}]"
    if value.ci_low > limit:
        outcome: Outcome = "fail"
    elif value.ci_high <= limit:
        outcome = "pass"
    else:
        outcome = "inconclusive"
    top = f"; top finding: {result.findings[0].title}" if outcome != "pass" and result.findings else ""
    return Verdict(name, outcome, f"{subject(result)}: {name}={limit:g}: {outcome}: {measured}{top}")


def _count(name: str, limit: float, result: ScenarioResult) -> Verdict:
    counts = result.instructions
    if counts is None:
        return Verdict(name, "fail", f"{result.instrumentor}: {name}: no instruction counts (deterministic mode "
                                     f"needs valgrind or hardware counters)")
    value = counts.overhead_per_op if name == "max_instructions_per_op" else counts.ratio
    outcome: Outcome = "fail" if value > limit else "pass"
    return Verdict(name, outcome, f"{result.instrumentor}: {name}={limit:g}: {outcome}: {COUNT_BUDGETS[name]} "
                                  f"{value:,.4g} ({counts.method}, spread {counts.spread_pct:.2f}%)")


def _calls(key: str, limit: float, result: ScenarioResult) -> Verdict:
    matching = [c for c in result.call_counts if key in (c.category, c.target)]
    total = sum(c.calls_per_op for c in matching)
    outcome: Outcome = "fail" if total > limit else "pass"
    where = "; ".join(f"{c.target}() × {c.calls_per_op:.3g}/op at {c.call_site.file}:{c.call_site.line}"
                      for c in matching[:3])
    return Verdict(f"max_calls_per_op[{key}]", outcome,
                   f"{subject(result)}: {key} calls per operation {total:.3g} (limit {limit:g}): {outcome}"
                   + (f" — {where}" if where and outcome == "fail" else ""))


def _rule(rule: str, result: ScenarioResult) -> Verdict:
    found: Optional[Any] = next((f for f in result.findings if f.rule == rule), None)
    if found is None:
        return Verdict(f"forbid_rules[{rule}]", "pass", f"{subject(result)}: no {rule} finding")
    return Verdict(f"forbid_rules[{rule}]", "fail", f"{subject(result)}: [{rule}] {found.title}")


def parse_cli(specs: List[str]) -> Budget:
    """`max_cpu_ratio=2`, `max_calls_per_op:package-metadata=0`, `forbid_rules=OA101,OA102`."""
    values: Dict[str, Any] = {}
    for spec in specs:
        name, sep, raw = spec.partition("=")
        if not sep:
            raise UsageError(f"--fail-on takes NAME=VALUE, got {spec!r}")
        if name.startswith("max_calls_per_op:"):
            values.setdefault("max_calls_per_op", {})[name.split(":", 1)[1]] = _number(spec, raw)
        elif name == "forbid_rules":
            values["forbid_rules"] = tuple(values.get("forbid_rules", ())) + tuple(raw.split(","))
        else:
            values[name] = _number(spec, raw) if name in LIMITS else raw
    return Budget.from_mapping(values, where="--fail-on")


def _number(spec: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"--fail-on {spec}: {raw!r} is not a number") from None
