"""The call-count probe survives the objects real instrumentations pass around: wrapt
proxies (uninitialised, or forwarding a `__class__` that raises), function wrappers, and
objects whose dunders raise or that are huge or contain themselves. A recorder that fails
anyway costs a warning naming it, never the other recorder's evidence."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import wrapt

from otelaudit.child.measure import probe_calls
from otelaudit.child.probe import CallRecorder, resolve_targets
from otelaudit.child.repeats import OPERATION, RepeatRecorder
from otelaudit.model import RunResult, RunSpec
from otelaudit.model.codec import from_data, to_data

HERE = os.path.realpath(__file__)
FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"
PER_OP = 3


def _tag(value):
    """Plays an instrumentation helper (this file is the telemetry code): one costly
    call per call, and called PER_OP times per operation with the same argument."""
    json.dumps(1)
    return 1


def _through(wrapped, instance, args, kwargs):
    return wrapped(*args, **kwargs)


TAG_WRAPPER = wrapt.FunctionWrapper(_tag, _through)  # how instrumentations patch a function


class _Unclassable(dict):
    @property
    def __class__(self):
        raise ValueError("wrapper has not been initialized")


class _Hostile:
    def __eq__(self, other):
        raise RuntimeError("__eq__")

    def __hash__(self):
        raise RuntimeError("__hash__")

    def __repr__(self):
        raise RuntimeError("__repr__")

    def __len__(self):
        raise RuntimeError("__len__")

    def __iter__(self):
        raise RuntimeError("__iter__")

    @property
    def __class__(self):
        raise RuntimeError("__class__")


class _HostileMeta(type):
    def __eq__(cls, other):
        raise RuntimeError("metaclass __eq__")

    def __hash__(cls):
        raise RuntimeError("metaclass __hash__")


class _OfHostileType(metaclass=_HostileMeta):
    pass


class _HostileStr(str):
    def __eq__(self, other):
        raise RuntimeError("str __eq__")

    def __hash__(self):
        raise RuntimeError("str __hash__")


def _self_containing():
    items: list = []
    items.append(items)
    return items


HOSTILE = {
    "uninitialised ObjectProxy": wrapt.ObjectProxy.__new__(wrapt.ObjectProxy),
    "ObjectProxy forwarding a raising __class__": wrapt.ObjectProxy(_Unclassable(a=1)),
    "FunctionWrapper": wrapt.FunctionWrapper(json.loads, _through),
    "raising dunders": _Hostile(),
    "instance of a type whose metaclass raises": _OfHostileType(),
    "str subclass with raising __eq__/__hash__": _HostileStr("x"),
    "self-containing list": _self_containing(),
    "10^6-element list": list(range(10**6)),
    "10^6-character str": "x" * 10**6,
}


def _watching(is_telemetry=lambda f: os.path.realpath(f) == HERE):
    repeats = RepeatRecorder(is_telemetry, lambda f: None)
    return CallRecorder(*resolve_targets(), on_other_call=repeats.observe), repeats


def _run(recorder, helper, values):
    """One operation per value, each calling `helper(value)` PER_OP times."""
    recorder.install()
    try:
        for index, value in enumerate(values):
            token = OPERATION.set(index)
            try:
                for _ in range(PER_OP):
                    helper(value)
            finally:
                OPERATION.reset(token)
    finally:
        recorder.remove()


def _dumps_calls(recorder):
    return sum(n for (target, _), n in recorder.hits.items() if target.name == "json.dumps")


def test_the_hostile_objects_really_break_naive_inspection():
    with pytest.raises(ValueError, match="not been initialized"):
        isinstance(HOSTILE["ObjectProxy forwarding a raising __class__"], str)
    with pytest.raises(RuntimeError):
        isinstance(HOSTILE["raising dunders"], str)
    for name in ("uninitialised ObjectProxy", "raising dunders", "str subclass with raising __eq__/__hash__"):
        with pytest.raises((ValueError, AttributeError, RuntimeError)):
            hash(HOSTILE[name])
    with pytest.raises(RuntimeError):
        _ = type(HOSTILE["instance of a type whose metaclass raises"]) in (str, int)


@pytest.mark.parametrize("helper", [_tag, TAG_WRAPPER], ids=["function", "FunctionWrapper"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_counts_and_repeats_survive_a_hostile_argument(name, helper):
    recorder, repeats = _watching()
    _run(recorder, helper, [HOSTILE[name]] * 2)
    assert recorder.failures.warning() is None and repeats.failures.warning() is None
    assert _dumps_calls(recorder) == 2 * PER_OP
    repeated = {r.function.function: r.identical_calls_per_op for r in repeats.repeated(ops=2)}
    assert repeated["_tag"] == PER_OP  # the same object each time: identical, by identity


def test_equal_scalars_are_identical_and_different_ones_are_not():
    recorder, repeats = _watching()
    _run(recorder, _tag, ["same", "same"])
    assert {r.function.function for r in repeats.repeated(ops=2)} == {"_tag"}
    recorder, repeats = _watching()
    recorder.install()
    try:
        token = OPERATION.set(0)
        for value in ("a", "b", "c"):
            _tag(value)
        OPERATION.reset(token)
    finally:
        recorder.remove()
    assert repeats.repeated(ops=1) == ()


def _raising(filename):
    raise RuntimeError("owner lookup broke")


def test_a_failing_repeat_recorder_keeps_the_call_counts_and_names_itself():
    recorder, repeats = _watching(is_telemetry=_raising)
    _run(recorder, _tag, ["v"] * 2)
    assert _dumps_calls(recorder) == 2 * PER_OP
    assert recorder.failures.warning() is None
    warning = repeats.failures.warning()
    assert warning is not None and warning.startswith("repeated-call recorder failed")
    assert "RuntimeError: owner lookup broke (at test_probe_hostile.py:" in warning


class _Workload:
    async def operation(self) -> None:
        for _ in range(PER_OP):
            _tag(HOSTILE["ObjectProxy forwarding a raising __class__"])


def _probe_in_process():
    """The probe child's own routine, with this test module as the audited instrumentation."""
    spec = RunSpec(scenario_module=__name__, scenario_name="-", arm="sdk", round=-1, ops=4, warmup_ops=0,
                   concurrency=1, instrumentor_value=f"{__name__}:_Workload",
                   instrumentor_distribution="otelaudit-hostile-test", instrumentor_version="0", mode="probe")

    async def main():
        return await probe_calls(spec, _Workload())

    return asyncio.run(main())


def test_the_probe_routine_reports_both_recorders_on_hostile_arguments():
    fields = _probe_in_process()
    assert fields["warning"] is None
    assert [(c.target, c.call_site.function, c.calls_per_op) for c in fields["call_counts"]] == [
        ("json.dumps", "_tag", float(PER_OP))]
    assert [(r.function.function, r.identical_calls_per_op) for r in fields["repeated_calls"]] == [
        ("_tag", float(PER_OP))]


def _broken(*args, **kwargs):
    raise RuntimeError("recorder bug")


def test_a_recorder_that_raises_costs_a_warning_naming_it_not_the_other_evidence(monkeypatch):
    monkeypatch.setattr(RepeatRecorder, "repeated", _broken)
    fields = _probe_in_process()
    assert [c.target for c in fields["call_counts"]] == ["json.dumps"]
    assert fields["repeated_calls"] == ()
    assert fields["warning"].startswith("repeated-call recorder failed once (first: RuntimeError: recorder bug")
    monkeypatch.undo()
    monkeypatch.setattr(CallRecorder, "_record", _broken)
    fields = _probe_in_process()
    assert fields["call_counts"] == ()
    assert [r.function.function for r in fields["repeated_calls"]] == ["_tag"]
    assert fields["warning"].startswith(f"call-count recorder failed {4 * PER_OP} times")


def test_the_probe_child_counts_a_real_instrumentation_given_a_hostile_proxy(tmp_path):
    """End to end through `python -m otelaudit.child.measure` in probe mode: the planted
    instrumentation's metadata lookup (line 26) and its helper called three times with the
    same argument, a wrapt proxy whose `__class__` raises."""
    spec = RunSpec(scenario_module="otelaudit_planted_hostile_scenario", scenario_name="planted-hostile", arm="sdk",
                   round=-1, ops=20, warmup_ops=2, concurrency=2, instrumentor_value="otelaudit_planted:PlantedInstrumentor",
                   instrumentor_distribution="otelaudit-planted", instrumentor_version="1.0", mode="probe",
                   inline_export=True)
    (tmp_path / "spec.json").write_text(json.dumps(to_data(spec)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(FIXTURE_SITE), os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-m", "otelaudit.child.measure", str(tmp_path / "spec.json"),
                    str(tmp_path / "result.json")], check=True, env=env, timeout=120)
    result = from_data(RunResult, json.loads((tmp_path / "result.json").read_text()))
    assert result.failure is None and result.warning is None
    counts = {(c.target, os.path.basename(os.path.dirname(c.call_site.file)), c.call_site.line): c.calls_per_op
              for c in result.call_counts}
    assert counts[("importlib.metadata.version", "otelaudit_planted", 26)] == 1.0
    assert {r.function.function: r.identical_calls_per_op for r in result.repeated_calls}["_attributes"] == 3.0
