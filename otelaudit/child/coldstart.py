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

BEGIN, LIBRARY, DONE = "otelaudit-coldstart:begin", "otelaudit-coldstart:library", "otelaudit-coldstart:done"


class PhaseFailed(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def marker(text):
    sys.stderr.flush()
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class PatchedSource:
    """A meta-path finder that executes `source` in place of one module's file: how a
    suggested patch is measured without touching the installed package. The control arm
    uses it too, with the file's own source, so both arms compile from source alike."""

    def __init__(self, module, source):
        self.module, self.source = module, source

    def find_spec(self, fullname, path=None, target=None):
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
            fullname, spec.origin, loader=self, submodule_search_locations=spec.submodule_search_locations)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.source, module.__file__, "exec"), module.__dict__)


def load(name):
    """`import name` as a statement does it: through __import__, the path `-X importtime`
    reports (importlib.import_module bypasses it, so its top module would be missing)."""
    __import__(name)
    return sys.modules[name]


def import_phase(spec, recorder):
    """Returns the phase's timings (wall and CPU) and new module files, and the instrumentor class."""
    before = set(sys.modules)
    marker(BEGIN)
    cpu = time.process_time()
    start = time.perf_counter()
    try:
        load(spec["library"])
    except Exception as error:
        raise PhaseFailed("missing-library", f"importing {spec['library']} raised {describe(error)}") from error
    library_s = time.perf_counter() - start
    library_cpu_s = time.process_time() - cpu
    marker(LIBRARY)
    instrumentor, instrumentation_s, instrumentation_cpu_s = None, 0.0, 0.0
    if spec["arm"] == "instrumented":
        module_name, _, attr = spec["instrumentor_value"].partition(":")
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


def measure(spec):
    recorder = None
    if spec.get("patch_module"):
        with open(spec["patch_source"], encoding="utf-8") as handle:
            sys.meta_path.insert(0, PatchedSource(spec["patch_module"], handle.read()))
    if spec.get("probe"):
        from otelaudit.child.coldstart_probe import PhaseRecorder

        recorder = PhaseRecorder()
    try:
        timings, instrumentor = import_phase(spec, recorder)
    except PhaseFailed as error:
        return failed(spec, error.kind, str(error))
    result = {"arm": spec["arm"], "round": spec["round"], **timings}
    if recorder is not None:
        recorder.next_phase()
    counter = None
    if spec["arm"] == "auto":  # opentelemetry-instrument's sitecustomize instrumented at start-up
        from otelaudit.child.telemetry import TelemetryCounter, install_sdk

        counter = TelemetryCounter()
        install_sdk(counter)
    if instrumentor is not None:
        from otelaudit.child.telemetry import TelemetryCounter, install_sdk

        counter = TelemetryCounter()
        install_sdk(counter)
        try:
            if recorder is not None:
                recorder.install()
            cpu, start = time.process_time(), time.perf_counter()
            instrumentor().instrument(**spec["instrument_kwargs"])
            result["instrument_s"] = time.perf_counter() - start
            result["instrument_cpu_s"] = time.process_time() - cpu
        except Exception as error:
            return failed(spec, "instrument-failed", f"instrument() raised {describe(error)}")
        finally:
            if recorder is not None:
                recorder.remove()
    if recorder is not None:
        result["phase_calls"] = recorder.phase_calls(spec)
    try:
        first, steady, first_done_at = first_operations(spec)
    except Exception as error:
        return failed(spec, "workload-crashed", f"workload raised {describe(error)}")
    result.update(first_op_us=first, steady_op_us=steady, first_op_done_at=first_done_at)
    if counter is not None:
        result["telemetry_items"] = counter.snapshot().total
    return result


def first_operations(spec):
    """Microseconds of each of the first operations, the median of later ones, and the
    wall-clock time (epoch seconds) when the first operation finished."""
    import asyncio

    from otelaudit.child.measure import load_scenario
    from otelaudit.scenarios.api import WorkloadContext
    from otelaudit.measure.stats import median

    scenario = load_scenario(spec["scenario_module"], spec["scenario_name"])
    servers = {kind: tuple(address) for kind, address in spec["servers"].items()}

    async def run():
        workload = scenario.workload(WorkloadContext(concurrency=1, servers=servers))
        await workload.setup()
        try:
            times, done_at = [], 0.0
            for _ in range(spec["first_ops"] + spec["steady_ops"]):
                start = time.perf_counter()
                await workload.operation()
                times.append((time.perf_counter() - start) * 1e6)
                done_at = done_at or time.time()
        finally:
            await workload.teardown()
        return times, done_at

    times, done_at = asyncio.run(run())
    first = times[:spec["first_ops"]]
    return first, median(times[spec["first_ops"]:] or first), done_at


def describe(error):
    from otelaudit.child.measure import describe as one_line

    return one_line(error)


def failed(spec, kind, message):
    return {"arm": spec["arm"], "round": spec["round"], "failure": {"kind": kind, "message": message}}


def main(argv):
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = measure(spec)
    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
