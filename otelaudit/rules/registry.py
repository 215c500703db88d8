"""Every rule id a finding can carry, in one place: what budgets (`forbid_rules`) and
`--ignore` are checked against, so a typo is refused rather than silently matching nothing."""

from __future__ import annotations

from typing import Dict

# Rules not in a table of their own (each module's docstring describes them).
OTHER_RULES: Dict[str, str] = {
    "OA109": "the same call repeated with identical arguments within one operation",
    "OA111": "more telemetry per operation than expected",
    "OA199": "a telemetry call site holding a large share of the overhead",
    "OA201": "a costly module imported eagerly but used only inside functions",
    "OA202": "the environment scanned while importing",
    "OA203": "the environment scanned inside instrument()",
}


def rule_ids() -> Dict[str, str]:
    """Rule id → what it finds, sorted by id."""
    from otelaudit.rules import memory, scaling
    from otelaudit.rules.calls import CALL_RULES
    from otelaudit.rules.knobs import KNOB_RULES

    found = {rule.id: rule.does for rule in CALL_RULES}
    found.update(OTHER_RULES)
    found.update(KNOB_RULES)
    found[memory.RULE] = "memory telemetry code leaves alive on every operation"
    found.update(scaling.RULES)
    return dict(sorted(found.items()))
