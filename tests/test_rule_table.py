"""The README's rule table lists every rule the code can report (the issue's "done when")."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rules_in_code():
    text = "\n".join(p.read_text() for p in (ROOT / "otelaudit").rglob("*.py"))
    return set(re.findall(r'"(OA\d{3})"', text))


def _rules_in_readme():
    return set(re.findall(r"^\| (OA\d{3}) \|", (ROOT / "README.md").read_text(), flags=re.M))


def test_every_rule_the_code_reports_has_a_row_in_the_readme():
    code = _rules_in_code()
    assert {"OA101", "OA110", "OA199"} <= code  # the scan itself works
    assert code - _rules_in_readme() == set()


def test_the_check_fails_on_a_rule_without_a_row():
    assert "OA998" not in _rules_in_readme()
    assert ({"OA998"} | _rules_in_code()) - _rules_in_readme() == {"OA998"}
