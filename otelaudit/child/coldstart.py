"""The cold-start child: `python -X importtime -m otelaudit.child.coldstart SPEC RESULT`.

Imports the library, then (instrumented arm) the instrumentation, between stderr
markers so the parent can read `-X importtime` for exactly that phase; then installs
the SDK, times instrument(), and times the first operations against the steady state.
The auto arm starts under opentelemetry-instrument's sitecustomize and only installs
the SDK. Only the standard library is imported before the measured phase.
"""

import importlib.util
import json
import os
import sys
import time

# Annotations are quoted and typing is imported only for the checker: typing (like
# dataclasses) must not be in place before the measured phase.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any, Dict, List, Optional, Sequence, Tuple

    from otelaudit.child.coldstart_probe import PhaseRecorder
    from otelaudit.model import ColdRun, ColdSpec, FailureKind

    Timings = Dict[str, Any]

BEGIN, LIBRARY, DONE = "otelaudit-coldstart:begin", "otelaudit-coldstart:library", "otelaudit-coldstart:done"


class PhaseFailed(Exception):
    def __init__(self, kind: "FailureKind", message: str) -> None:
        super().__init__(message)
        self.kind = kind


def marker(text: str) -> None:
    sys.stderr.flush()
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class PatchedSource:
    """A meta-path finder that executes `source` in place of one module's file: how a
    suggested patch is measured without touching the installed package. The control arm
    uses it too, with the file's own source, so both arms compile from source alike."""

    def __init__(self, module: str, source: str) -> None:
        self.module, self.source = module, source

    def find_spec(self, fullname: str, path: "Optional[Sequence[str]]" = None,
                  target: "Optional[ModuleType]" = None) -> "Optional[ModuleSpec]":
        if fullname != self.module:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or not spec.origin:
            return None
        return importlib.util.spec_from_file_location(
            fullname, spec.origin, loader=self,  # type: ignore[arg-type]  # exec_module is all importlib calls
            submodule_search_locations=spec.submodule_search_locations)

    def create_module(self, spec: "ModuleSpec") -> None:
        return None

    def exec_module(self, module: "ModuleType") -> None:
        exec(compile(self.source, module.__file__ or self.module, "exec"), module.__dict__)


def load(name: str) -> "Any":
    """`import name` as a statement does it: through __import__, the path `-X importtime`
    reports (importlib.import_module bypasses it, so its top module would be missing)."""
    __import__(name)
    return sys.modules[name]


def import_phase(library: str, instrumentor_value: "Optional[str]",
                 recorder: "Optional[PhaseRecorder]") -> "Tuple[Timings, Any]":
    """Returns the phase's timings (wall and CPU) and new module files, and the
    instrumentor class (None without `instrumentor_value`: the baseline and auto arms)."""
    before = set(sys.modules)
    marker(BEGIN)
    cpu = time.process_time()
    start = time.perf_counter()
    try:
        load(library)
    except Exception as error:
        raise PhaseFailed("missing-library", f"importing {library} raised {describe(error)}") from error
    library_s = time.perf_counter() - start
    library_cpu_s = time.process_time() - cpu
    marker(LIBRARY)
    instrumentor, instrumentation_s, instrumentation_cpu_s = None, 0.0, 0.0
    if instrumentor_value is not None:
        module_name, _, attr = instrumentor_value.partition(":")
        if recorder is not None:
            recorder.install()
        cpu = time.process_time()
        start = time.perf_counter()
        try:
            instrumentor = load(module_name)
            for part in attr.split(".") if attr else []:
                instrumentor = getattr(instrumentor, part)
        except Exception as error:
            raise PhaseFailed("instrument-failed", f"importing the instrumentor raised {describe(error)}") from error
        finally:
            if recorder is not None:
                recorder.remove()
        instrumentation_s = time.perf_counter() - start
        instrumentation_cpu_s = time.process_time() - cpu
    marker(DONE)
    files = {name: getattr(sys.modules[name], "__file__", None) or "" for name in set(sys.modules) - before
             if name in sys.modules}
    return {"library_import_s": library_s, "instrumentation_import_s": instrumentation_s,
            "library_import_cpu_s": library_cpu_s, "instrumentation_import_cpu_s": instrumentation_cpu_s,
            "module_files": files}, instrumentor


def prepared(raw: "Dict[str, Any]") -> "Tuple[Tuple[Timings, Any], Optional[PhaseRecorder], Optional[PhaseFailed]]":
    """Reads the few fields the import phase needs from the spec's raw JSON, sets up the
    patch and the probe, and runs the phase. The typed ColdSpec is decoded only after it:
    its model imports dataclasses, typing and inspect (and ~90 ms of classes), which would
    otherwise be in place already and so vanish from the instrumentation's import cost."""
    recorder = None
    if raw.get("patch_module"):
        with open(raw["patch_source"], encoding="utf-8") as handle:
            sys.meta_path.insert(0, PatchedSource(raw["patch_module"], handle.read()))
    if raw.get("probe"):
        from otelaudit.child.coldstart_probe import PhaseRecorder

        recorder = PhaseRecorder()
    instrumentor_value = raw["instrumentor_value"] if raw["arm"] == "instrumented" else None
    try:
        return import_phase(raw["library"], instrumentor_value, recorder), recorder, None
    except PhaseFailed as error:
        return ({}, None), recorder, error


def measure(raw: "Dict[str, Any]") -> "ColdRun":
    (timings, instrumentor), recorder, phase_failed = prepared(raw)
    from dataclasses import replace

    from otelaudit.model import ColdRun, ColdSpec, Failure
    from otelaudit.model.codec import from_data

    spec = from_data(ColdSpec, raw)
    if phase_failed is not None:
        return ColdRun(spec.arm, spec.round, failure=Failure(phase_failed.kind, str(phase_failed)))
    run = ColdRun(spec.arm, spec.round, **timings)
    if recorder is not None:
        recorder.next_phase()
    counter = None
    if spec.arm == "auto" or instrumentor is not None:  # auto: opentelemetry-instrument's sitecustomize instrumented
        from otelaudit.child.telemetry import TelemetryCounter, install_sdk

        counter = TelemetryCounter()
        install_sdk(counter)
    if instrumentor is not None:
        try:
            if recorder is not None:
                recorder.install()
            cpu, start = time.process_time(), time.perf_counter()
            instrumentor().instrument(**spec.instrument_kwargs)
            run = replace(run, instrument_s=time.perf_counter() - start, instrument_cpu_s=time.process_time() - cpu)
        except Exception as error:
            return ColdRun(spec.arm, spec.round, failure=Failure("instrument-failed",
                                                                 f"instrument() raised {describe(error)}"))
        finally:
            if recorder is not None:
                recorder.remove()
    if recorder is not None:
        run = replace(run, phase_calls=recorder.phase_calls(spec))
    try:
        first, steady, first_done_at = first_operations(spec)
    except Exception as error:
        return ColdRun(spec.arm, spec.round, failure=Failure("workload-crashed", f"workload raised {describe(error)}"))
    run = replace(run, first_op_us=tuple(first), steady_op_us=steady, first_op_done_at=first_done_at)
    return replace(run, telemetry_items=float(counter.snapshot().total)) if counter is not None else run


def first_operations(spec: "ColdSpec") -> "Tuple[List[float], float, float]":
    """Microseconds of each of the first operations, the median of later ones, and the
    wall-clock time (epoch seconds) when the first operation finished."""
    import asyncio

    from otelaudit.child.measure import load_scenario
    from otelaudit.scenarios.api import WorkloadContext
    from otelaudit.measure.stats import median

    scenario = load_scenario(spec.scenario_module, spec.scenario_name)
    servers = dict(spec.servers)

    async def run() -> "Tuple[List[float], float]":
        workload = scenario.workload(WorkloadContext(concurrency=1, servers=servers))
        await workload.setup()
        try:
            times: "List[float]" = []
            done_at = 0.0
            for _ in range(spec.first_ops + spec.steady_ops):
                start = time.perf_counter()
                await workload.operation()
                times.append((time.perf_counter() - start) * 1e6)
                done_at = done_at or time.time()
        finally:
            await workload.teardown()
        return times, done_at

    times, done_at = asyncio.run(run())
    first = times[:spec.first_ops]
    return first, median(times[spec.first_ops:] or first), done_at


def describe(error: BaseException) -> str:
    from otelaudit.child.guard import describe as one_line

    return one_line(error)


def main(argv: "List[str]") -> int:
    with open(argv[1], encoding="utf-8") as handle:
        raw = json.load(handle)
    result = measure(raw)
    from otelaudit.model.codec import to_data

    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(to_data(result), handle)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
