"""Memory retained on every operation (OA112): the growth child's slope, its allocation
site in telemetry code and the container holding it, on a planted leak (a class-level
dict of finished spans' attributes), quiet on its bounded twin (an lru_cache of 128) and
on the bundled sqlite3 scenario, whose batch queue must not look like a leak."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
import types
from pathlib import Path
from typing import Optional

import pytest

from otelaudit.attribute.ownership import Owner, Ownership
from otelaudit.child import holders
from otelaudit.child.memory import MIN_SEGMENTS, Sites
from otelaudit.model import Estimate, Frame, MemoryGrowth, Retention, RunResult, RunSpec
from otelaudit.model.codec import from_data, to_data
from otelaudit.rules.memory import MIN_BYTES_PER_OP, findings_from_growth
from otelaudit.model.report import SCHEMA_VERSION

SITE = Path(__file__).parent / "fixtures" / "site"
LEAK = SITE / "otelaudit_planted_memory" / "__init__.py"
DEFECT_LINE = next(i for i, line in enumerate(LEAK.read_text().splitlines(), 1) if "# DEFECT" in line)
CONTAINER = "dict at otelaudit_planted_memory.MemoryInstrumentor._finished"


def growth(low: float, container: Optional[str] = CONTAINER, ops: int = 100, segments: int = 6) -> MemoryGrowth:
    site = Frame(str(LEAK), DEFECT_LINE, "traced", "otelaudit-planted-memory")
    retention = Retention(Estimate(low + 10, low, low + 20), site, (site,), container, 1.0)
    return MemoryGrowth(ops, segments, 500, Estimate(low, low, low), Estimate(low, low, low), (retention,))


def test_the_rule_reads_the_lower_bound_against_the_floor():
    assert findings_from_growth(growth(MIN_BYTES_PER_OP - 1)) == []
    [finding] = findings_from_growth(growth(MIN_BYTES_PER_OP))
    assert finding.rule == "OA112" and finding.call_site is not None and finding.call_site.line == DEFECT_LINE
    assert CONTAINER in finding.title and "per operation" in finding.title and finding.bytes_per_op is not None
    assert "WeakValueDictionary" in finding.suggestion and "lru_cache" in finding.suggestion
    assert findings_from_growth(growth(4000.0), frozenset({"OA112"})) == []


def test_growth_no_container_explains_must_hold_over_a_few_hundred_operations():
    # aiohttp-client: a sawtooth of live spans, 27 traced operations inside one rise
    assert findings_from_growth(growth(1300.0, container=None, ops=9, segments=3)) == []
    assert len(findings_from_growth(growth(1300.0, container=None, ops=50, segments=6))) == 1
    assert len(findings_from_growth(growth(1300.0, ops=9, segments=3))) == 1  # a growing container holds it


class Hostile:
    """Every dunder a naive walk would call raises."""

    def __eq__(self, other):
        raise AssertionError("__eq__ called")

    __hash__ = object.__hash__

    def __repr__(self):
        raise AssertionError("__repr__ called")

    def __len__(self):
        raise AssertionError("__len__ called")


class Registry:
    runs: dict = {}


def test_containers_are_named_by_attribute_path_without_running_user_code():
    Registry.runs[Hostile()] = Hostile()
    assert holders.describe(Registry.runs) == f"dict at {__name__}.Registry.runs"
    module = types.ModuleType("planted_module")
    module.cache = {Hostile(): Hostile()}
    sys.modules["planted_module"] = module
    try:
        assert holders.describe(module.cache) == "dict at planted_module.cache"
    finally:
        del sys.modules["planted_module"]
    Registry.instance = Registry()
    Registry.instance.pending = [Hostile()]
    assert holders.describe(Registry.instance.pending) == f"list at {__name__}.Registry.instance.pending"
    assert holders.describe([Hostile()]).startswith("list (no module or class attribute")


class Slotted:
    __slots__ = ("handler",)  # as a C-level wrapper holds its callable: no attribute dict to climb through


def test_a_container_of_an_instance_only_a_slot_holds_is_named_by_the_instance_class():
    holder = Slotted()
    holder.handler = Registry()
    holder.handler.spans = {Hostile(): Hostile()}
    assert holders.describe(holder.handler.spans) == f"dict at <{__name__}.Registry object>.spans"


def innermost(obj: object):
    traceback = tracemalloc.get_object_traceback(obj)
    return (traceback[-1].filename, traceback[-1].lineno) if traceback else None


def test_a_grown_container_and_its_entries_sites_are_found():
    held: dict = {0: []}
    before = holders.container_sizes()
    tracemalloc.start(8)
    try:
        for index in range(200):
            held[index + 1000] = bytearray(64)  # the site every entry comes from (no free list)
        line = sys._getframe().f_lineno - 1
        grown = holders.grown_containers(before, 150)
        direct, _ = holders.entry_sites(held, innermost)
    finally:
        tracemalloc.stop()
    assert any(container is held and gained == 200 for gained, container in grown)
    assert direct.most_common(1)[0][0] == (__file__, line)


def test_growth_is_charged_to_telemetry_code_never_to_the_workload_or_library(tmp_path):
    telemetry, workload = str(tmp_path / "otel.py"), str(tmp_path / "workload.py")
    audited = str(tmp_path / "instrumentation.py")
    ownership = Ownership({os.path.realpath(telemetry): Owner("opentelemetry-x", "1.0", True),
                           os.path.realpath(workload): Owner("app", "1.0", False)}, (os.path.dirname(os.__file__) + os.sep,),
                          ((os.path.realpath(str(tmp_path)) + os.sep + "instrumentation", Owner("x-inst", "1", True)),))
    sites = Sites(ownership)
    stdlib = os.path.join(os.path.dirname(os.__file__), "json", "encoder.py")
    assert sites.of(((stdlib, 1), (telemetry, 5), (workload, 9))) == (telemetry, 5)
    assert sites.of(((workload, 9), (telemetry, 5))) is None  # the workload's own cache
    assert sites.of(((telemetry, 5), (audited, 7), (workload, 9))) == (audited, 7)  # the instrumentation's call


def run_child(tmp_path: Path, instrumentor: str, name: str, ops: int = 100, warmup: int = 300) -> MemoryGrowth:
    spec = RunSpec(scenario_module="otelaudit_planted_memory_scenario", scenario_name=name, arm="sdk", round=-1,
                   ops=ops, warmup_ops=warmup, concurrency=1, instrumentor_value=f"otelaudit_planted_memory:{instrumentor}",
                   instrumentor_distribution="otelaudit-planted-memory", instrumentor_version="1.0", mode="memory",
                   inline_export=True)
    spec_path, result_path = tmp_path / f"{name}.json", tmp_path / f"{name}-result.json"
    spec_path.write_text(json.dumps(to_data(spec)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-m", "otelaudit.child.measure", str(spec_path), str(result_path)], env=env,
                   check=True, timeout=240, cwd=tmp_path)
    result = from_data(RunResult, json.loads(result_path.read_text()))
    assert result.failure is None and result.memory_growth is not None
    return result.memory_growth


def test_the_growth_child_finds_the_planted_leak_and_its_container(tmp_path):
    found = run_child(tmp_path, "MemoryInstrumentor", "planted-memory")
    top = found.retentions[0]
    assert (top.site.file, top.site.line, top.site.function) == (str(LEAK), DEFECT_LINE, "traced")
    assert top.container == CONTAINER and top.entries_per_op == pytest.approx(1.0)
    assert 3000 < top.bytes_per_op.ci_low <= top.bytes_per_op.estimate < 6000  # a ~4 KB body and its dict
    assert found.telemetry_bytes_per_op.ci_low >= top.bytes_per_op.ci_low


def test_the_growth_child_lets_a_bounded_cache_fill_without_growth(tmp_path):
    found = run_child(tmp_path, "BoundedInstrumentor", "planted-memory-bounded")
    assert findings_from_growth(found) == []
    assert found.telemetry_bytes_per_op.ci_low < MIN_BYTES_PER_OP


def scan(tmp_path: Path, *targets: str) -> dict:
    json_path = tmp_path / "report.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    # Not --quick: it skips the memory-growth child. The quick sizes otherwise.
    out = subprocess.run([sys.executable, "-m", "otelaudit", "scan", *targets, "--rounds", "5", "--seconds-per-run",
                          "0.1", "--quiet", "--json",
                          str(json_path)], capture_output=True, text=True, env=env, timeout=400, cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(json_path.read_text())
    report["stdout"] = out.stdout
    return report


def test_a_real_scan_reports_the_leak_at_its_line_and_container_and_not_the_bounded_cache(tmp_path):
    report = scan(tmp_path, "planted-memory", "planted-memory-bounded")
    assert report["schema_version"] == SCHEMA_VERSION
    by_name = {r["instrumentor"]: r for r in report["results"]}
    leak = [f for f in by_name["planted-memory"]["findings"] if f["rule"] == "OA112"]
    assert len(leak) == 1, by_name["planted-memory"]["findings"]
    assert (leak[0]["call_site"]["file"], leak[0]["call_site"]["line"]) == (str(LEAK), DEFECT_LINE)
    assert leak[0]["target"] == CONTAINER and leak[0]["bytes_per_op"]["ci_low"] >= MIN_BYTES_PER_OP
    assert "[OA112]" in report["stdout"] and "MemoryInstrumentor._finished" in report["stdout"]
    bounded = by_name["planted-memory-bounded"]
    assert bounded["memory_growth"] is not None
    assert not [f for f in bounded["findings"] if f["rule"] == "OA112"]


def test_quick_skips_the_growth_child_and_says_so(sqlite_scan):
    [result] = sqlite_scan.report["results"]
    assert result["memory_growth"] is None and result["sizing"]["growth_ops"] == 0
    assert any("--quick skips the memory-growth child" in w for w in result["warnings"])


def test_the_bundled_sqlite3_scenario_stays_quiet(tmp_path):
    [result] = scan(tmp_path, "sqlite3")["results"]
    # Six segments are planned; on a loaded machine the child stops after MIN_SEGMENTS once its traced
    # time passes MAX_TRACED_S (CI once had 5): enough for a slope and its interval.
    assert result["memory_growth"] is not None and result["memory_growth"]["segments"] >= MIN_SEGMENTS
    assert not [f for f in result["findings"] if f["rule"] == "OA112"], result["memory_growth"]
