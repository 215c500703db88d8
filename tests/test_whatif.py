"""What-if verification beyond "compute it once": the hot helper of an OA199 (or OA109)
finding memoised where its telemetry caller calls it, a failed import kept as its
outcome (OA114), a class statement run once (OA113); arguments keyed without running user
code; and a finding no what-if can measure says why — from its rule, or from the
memoising run itself when nothing repeated. In process on code in this file, with a fake
runner for the verification loop, and through the real CLI on the planted fixtures."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from otelaudit.child.whatif import Tally, apply, memoised_at_site
from otelaudit.model import (Comparison, Estimate, Finding, Frame, RunResult, RunSpec, ScenarioResult, WhatIf,
                             WhatIfCounts)
from otelaudit.verify.findings import annotated, verify_findings
from otelaudit.verify.whatifs import outcome_reason, plan

HERE = os.path.abspath(__file__)
SITE = Path(__file__).parent / "fixtures" / "site"
HOT = SITE / "otelaudit_planted_hot" / "__init__.py"
HOT_LINES = HOT.read_text().splitlines()
HOT_LINE = next(i for i, line in enumerate(HOT_LINES, 1) if "# HOT" in line)
CALL_LINE = next(i for i, line in enumerate(HOT_LINES, 1) if "# CALL" in line)
CALLS: List[str] = []


def _helper(word: str, thing: object = None) -> str:
    CALLS.append(word)
    return word.upper()


def _line_of(marker: str) -> int:
    return next(i for i, line in enumerate(Path(HERE).read_text().splitlines(), 1) if line.endswith(marker))


class _Hostile:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__ must not be called")

    def __hash__(self) -> int:
        raise RuntimeError("__hash__ must not be called")


def test_a_helper_found_by_its_code_is_memoised_at_its_site_only():
    module = sys.modules[__name__]
    original = module._helper
    whatif = WhatIf("", "_helper", HERE, _line_of("# memoised site"), callee_file=HERE,
                    callee_line=original.__code__.co_firstlineno + 1)
    CALLS.clear()
    tally = apply(whatif)
    try:
        hostile = _Hostile()
        for _ in range(3):
            module._helper("a", hostile)  # memoised site
        module._helper("a", hostile)
        module._helper("b")
    finally:
        module._helper = original
    # Keyed by identity for the hostile argument (its dunders would raise), by value for "a".
    assert CALLS == ["a", "a", "b"]
    assert tally.counts() == WhatIfCounts(calls=3, hits=2, none_results=0)


def test_a_nested_function_has_no_reference_to_replace_and_says_so():
    def nested(word):
        return word

    whatif = WhatIf("", "nested", HERE, 1, callee_file=HERE, callee_line=nested.__code__.co_firstlineno + 1)
    counts = apply(whatif).counts()
    assert counts.missing == "nested() is not a module-level function or a method: no reference a stand-in could replace"
    assert outcome_reason(whatif, counts) == counts.missing


def test_the_control_stand_in_keeps_nothing_and_a_none_result_is_never_kept():
    tally = Tally()
    control = memoised_at_site(_helper, HERE, _line_of("# control site"), memoise=False, tally=tally)
    CALLS.clear()
    for _ in range(2):
        control("x")  # control site
    effect = memoised_at_site(lambda: None, HERE, _line_of("# effect site"), tally=tally)
    for _ in range(2):
        effect()  # effect site
    assert CALLS == ["x", "x"]
    assert tally.counts() == WhatIfCounts(calls=4, hits=0, none_results=2)


def test_a_failed_import_is_kept_as_its_outcome():
    tally = Tally()
    tries: List[str] = []

    def importing(name, *args, **kwargs):
        tries.append(name)
        return builtins.__import__(name, *args, **kwargs)

    stand_in = memoised_at_site(importing, HERE, _line_of("# import site"), tally=tally)
    for _ in range(3):
        with pytest.raises(ImportError):
            stand_in("otelaudit_absent_module_for_whatif_tests")  # import site
    assert tries == ["otelaudit_absent_module_for_whatif_tests"] and tally.hits == 2


def test_an_absent_key_is_kept_as_its_outcome_as_reading_a_setting_once_does():
    """`os.environ.get(UNSET)` is `_Environ.__getitem__` raising KeyError under Mapping.get."""
    tally = Tally()
    environ = {"SET": "1"}
    reads: List[str] = []

    def getitem(key):
        reads.append(key)
        return environ[key]

    stand_in = memoised_at_site(getitem, HERE, _line_of("# setting site"), tally=tally)
    for _ in range(3):
        with pytest.raises(KeyError):
            stand_in("UNSET")  # setting site
    assert reads == ["UNSET"] and tally.counts() == WhatIfCounts(calls=3, hits=2, none_results=0)


def _class_per_call():
    class Proxy:  # class site
        pass

    return Proxy


def test_a_class_statement_is_run_once_when_its_body_has_nothing_of_its_own():
    original = builtins.__build_class__
    tally = Tally()
    builtins.__build_class__ = memoised_at_site(original, HERE, _line_of("# class site"), tally=tally)
    try:
        made = {_class_per_call() for _ in range(3)}
    finally:
        builtins.__build_class__ = original
    assert len(made) == 1 and tally.hits == 2
    assert _class_per_call() is not _class_per_call()  # restored: a new class per call again


def _frame(file: str, line: int, function: str, owner: str = "otelaudit-planted-hot") -> Frame:
    return Frame(file, line, function, owner)


def _hotspot_finding(chain) -> Finding:
    return Finding(rule="OA199", title="hot", call_site=chain[1], target="pbkdf2_hmac",
                   distribution=chain[1].distribution, version=None, calls_per_op=None, suggestion="",
                   chain=tuple(chain))


def test_an_oa199_helper_is_memoised_where_its_telemetry_caller_calls_it():
    leaf = _frame("<built-in>", 0, "pbkdf2_hmac", "stdlib")
    helper, caller = _frame(str(HOT), HOT_LINE, "_route_label"), _frame(str(HOT), CALL_LINE, "traced")
    whatif = plan(_hotspot_finding([leaf, helper, caller, _frame("/app.py", 3, "operation", "app")]))
    assert whatif == WhatIf("", "_route_label", str(HOT), CALL_LINE, callee_file=str(HOT), callee_line=HOT_LINE)
    # The wrapper itself, called by the application: memoising it would skip the telemetry.
    reason = plan(_hotspot_finding([leaf, caller, _frame("/app.py", 3, "operation", "app")]))
    assert isinstance(reason, str) and "skip the telemetry" in reason


def test_an_oa109_helper_is_memoised_at_the_caller_the_probe_named():
    site, helper = _frame(HERE, 9, "traced"), _frame(HERE, 4, "_attributes")
    repeated = Finding(rule="OA109", title="3x", call_site=site, target="_attributes", distribution=None,
                       version=None, calls_per_op=3.0, suggestion="", chain=(site, helper))
    assert plan(repeated) == WhatIf("", "_attributes", HERE, 9, callee_file=HERE, callee_line=4)


def test_rules_without_a_call_to_skip_say_why_no_whatif_applies():
    site = _frame(HERE, 1, "traced")
    memory = Finding(rule="OA112", title="leak", call_site=site, target=None, distribution=None, version=None,
                     calls_per_op=None, suggestion="")
    imports = Finding(rule="OA114", title="import", call_site=site, target="import absent", distribution=None,
                      version=None, calls_per_op=1.0, suggestion="")
    result = annotated(ScenarioResult("x", None, None, "x", "ok", findings=(memory, imports)))
    assert result.findings[0].no_whatif.startswith("no what-if applies: the fix frees memory")
    assert result.findings[1].no_whatif is None and plan(imports) == WhatIf("builtins", "__import__", HERE, 1)


def _verify(counts: WhatIfCounts, patched_cpu_s: float, findings=None):
    """verify_findings through a fake runner: control runs cost 1 s CPU, memoised ones `patched_cpu_s`."""
    runs: List[WhatIf] = []

    def run(spec: RunSpec) -> RunResult:
        runs.append(spec.whatif)
        memoised = spec.whatif.memoise
        return RunResult(arm="sdk", round=spec.round, ops=1000, cpu_s=patched_cpu_s if memoised else 1.0,
                         whatif_counts=counts if memoised else WhatIfCounts(counts.calls))

    def make_spec(fix: WhatIf, round_index: int) -> RunSpec:
        return RunSpec("m", "s", "sdk", round_index, 1000, 0, 1, whatif=fix)

    overhead = Estimate(400.0, 300.0, 500.0)
    result = ScenarioResult("x", None, None, "x", "ok", overhead=Comparison(
        "sdk", overhead, overhead, overhead, overhead, overhead, overhead, "overhead", 5),
        findings=findings or (_counted("OA114", "import absent"),))
    verified = verify_findings(result, make_spec, run, rounds=5, seed=1, on_progress=lambda _: None)
    return verified.findings[0], runs


def _counted(rule: str, target: str) -> Finding:
    return Finding(rule=rule, title=rule, call_site=_frame(HERE, 1, "traced"), target=target, distribution=None,
                   version=None, calls_per_op=1.0, suggestion="")


def test_counted_calls_are_verified_before_a_helper_guess():
    helper = _hotspot_finding([_frame("<built-in>", 0, "f", "stdlib"), _frame(HERE, 2, "helper"),
                               _frame(HERE, 3, "traced")])
    findings = (helper, _counted("OA101", "importlib.metadata.version"), _counted("OA114", "import absent"))
    _, runs = _verify(WhatIfCounts(1000, 999), patched_cpu_s=0.9, findings=findings)
    assert {w.attribute for w in runs} == {"version", "__import__"}


def test_a_saving_is_held_to_the_overheads_upper_bound():
    finding, runs = _verify(WhatIfCounts(1000, 999), patched_cpu_s=0.2)  # 800 µs/op "saved" of a 500 at most
    assert len(runs) == 10 and finding.no_whatif is None
    assert (finding.verified_saving_us.estimate, finding.verified_saving_us.ci_high) == (500.0, 500.0)


def test_a_memoising_run_that_found_nothing_repeated_ends_the_verification():
    finding, runs = _verify(WhatIfCounts(1000, 0), patched_cpu_s=0.99)
    assert sum(w.memoise for w in runs) == 1 and finding.verified_saving_us is None
    assert "never repeated across 1000 calls" in finding.no_whatif


@pytest.fixture(scope="module")
def whatif_scan(tmp_path_factory):
    path = tmp_path_factory.mktemp("whatif") / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    # Not --quick, which skips the what-if arms.
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", "planted-hot", "planted-hot-unique",
                          "planted-import", "--rounds", "5", "--seconds-per-run", "0.1", "--json", str(path)],
                         capture_output=True, text=True, timeout=400, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout, {r["instrumentor"]: r for r in json.loads(path.read_text())["results"]}


def _top(result, rule):
    return next(f for f in result["findings"] if f["rule"] == rule)


@pytest.mark.scan
def test_the_hot_helper_with_repeating_arguments_carries_a_measured_saving(whatif_scan):
    out, results = whatif_scan
    finding = _top(results["planted-hot"], "OA199")
    assert finding["call_site"]["line"] == HOT_LINE and finding["no_whatif"] is None
    saving, overhead = finding["verified_saving_us"], results["planted-hot"]["overhead"]["cpu_us_per_op"]
    assert 0 < saving["ci_low"] <= saving["estimate"] <= saving["ci_high"] <= overhead["ci_high"]
    assert "measured with the fix applied: saves" in out


@pytest.mark.scan
def test_a_hot_helper_whose_arguments_never_repeat_says_no_whatif_applies(whatif_scan):
    out, results = whatif_scan
    finding = _top(results["planted-hot-unique"], "OA199")
    assert finding["verified_saving_us"] is None
    assert finding["no_whatif"].startswith("no what-if applies: the arguments of _route_label() never repeated")
    assert "measured saving: no what-if applies" in out


@pytest.mark.scan
def test_a_failed_import_kept_as_its_outcome_saves_its_search(whatif_scan):
    _, results = whatif_scan
    saving = _top(results["planted-import"], "OA114")["verified_saving_us"]
    overhead = results["planted-import"]["overhead"]["cpu_us_per_op"]
    assert 0 < saving["ci_low"] <= saving["ci_high"] <= overhead["ci_high"]


def test_the_readme_rule_tables_list_every_rule_and_which_carry_a_measured_saving():
    from otelaudit.rules.registry import rule_ids
    from otelaudit.verify.whatifs import MEMOISED_RULES, NO_WHATIF

    rows = {cells[1].strip(): [c.strip() for c in cells[2:-1]] for cells in
            (line.split("|") for line in (SITE.parents[2] / "README.md").read_text().splitlines())
            if len(cells) > 3 and cells[1].strip().startswith("OA")}
    assert set(rule_ids()) <= set(rows)
    scan_rows = {rule: cells[1] for rule, cells in rows.items() if rule.startswith("OA1")}
    assert {r for r, saving in scan_rows.items() if saving.startswith("yes")} == MEMOISED_RULES | {"OA109", "OA199"}
    assert {r for r, saving in scan_rows.items() if saving.startswith("none applies")} == set(NO_WHATIF)


class _Handler:
    """A request handler, made anew per request as web frameworks do."""

    def get(self, item_id, version):
        return item_id, version


def test_an_introspected_bound_method_is_keyed_by_its_function_and_only_then():
    import inspect

    by_code, by_identity = Tally(), Tally()
    keyed_by_code = memoised_at_site(inspect.signature, HERE, _line_of("# signature site"), tally=by_code, by_code=True)
    keyed_by_identity = memoised_at_site(inspect.signature, HERE, _line_of("# identity site"), tally=by_identity)
    for _ in range(3):
        assert list(keyed_by_code(_Handler().get).parameters) == ["item_id", "version"]  # signature site
        keyed_by_identity(_Handler().get)  # identity site
    assert (by_code.hits, by_identity.hits) == (2, 0)
