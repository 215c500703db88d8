"""The measuring child: `python -m otelaudit.child.measure SPEC.json RESULT.json`.

One fresh interpreter per arm and round, because instrumentation monkey-patches can't
be trusted to undo themselves. Every failure is classified and written as a result;
the parent treats a missing result file as a crash.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from otelaudit.errors import ScenarioError
from otelaudit.model.codec import from_data, to_data
from otelaudit.child.guard import RecorderFailures, describe
from otelaudit.child.drive import calibrate, memory_phase, run_concurrently, thread_pool_for, timed_phase
from otelaudit.model import Failure, FailureKind, RunResult, Telemetry
from otelaudit.model import RunSpec
from otelaudit.scenarios.api import Scenario, WorkloadContext, library_version


class RunFailed(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.failure = Failure(kind, message)


def load_scenario(module_name: str, name: str) -> Scenario:
    """The scenario object named `name` in its module (`Scenario.module`, sent as `RunSpec.scenario_module`)."""
    module = importlib.import_module(module_name)
    factory = getattr(module, "scenario_named", None)  # scenarios built from a name (user workloads)
    if callable(factory):
        made: Scenario = factory(name)
        return made
    for value in vars(module).values():
        if issubclass(type(value), Scenario) and value.name == name:  # isinstance asks proxies' __class__
            found: Scenario = value
            return found
    raise ScenarioError(f"module {module_name} defines no scenario named {name!r}")


def import_library(scenario: Scenario) -> None:
    try:
        importlib.import_module(scenario.library)
    except ImportError as error:
        raise RunFailed("missing-library", f"{scenario.library} is not importable ({scenario.install_hint}): {error}")


def load_instrumentor(value: str) -> Tuple[Any, Optional[float]]:
    """Imports an instrumentor class ("module:Class"); returns it with the import's seconds,
    or None when a zygote had imported it (`RunSpec.preload`): then nothing was timed."""
    module_name, _, attr = value.partition(":")
    try:
        preloaded, start = module_name in sys.modules, time.perf_counter()
        target: Any = importlib.import_module(module_name)
        for part in attr.split(".") if attr else []:
            target = getattr(target, part)
        return target, None if preloaded else time.perf_counter() - start
    except Exception as error:
        raise RunFailed("instrument-failed", f"importing the instrumentor raised {describe(error)}") from error


def instrument(instrumentor_class: Any, kwargs: Dict[str, Any]) -> float:
    """Applies the instrumentor; returns the seconds `instrument()` took."""
    try:
        start = time.perf_counter()
        instrumentor_class().instrument(**kwargs)
        return time.perf_counter() - start
    except Exception as error:
        raise RunFailed("instrument-failed", f"instrument() raised {describe(error)}") from error


def apply_whatif(whatif: Any) -> Callable[[], Any]:
    from otelaudit.child.whatif import apply

    try:
        return apply(whatif).counts
    except Exception as error:
        raise RunFailed("workload-crashed", f"the what-if patch could not be applied: {describe(error)}") from error


def dependency_conflict(instrumentor_class: Any) -> Optional[str]:
    """Why BaseInstrumentor would silently refuse to instrument, if it would."""
    try:
        from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

        conflict = get_dependency_conflicts(instrumentor_class().instrumentation_dependencies())
        return str(conflict) if conflict else None
    except Exception:
        return None


async def exercise(spec: RunSpec, scenario: Scenario, telemetry: Callable[[], Telemetry],
                   flush: Callable[[], None] = lambda: None) -> Dict[str, Any]:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(thread_pool_for(spec.concurrency))
    context = WorkloadContext(concurrency=spec.concurrency, servers=dict(spec.servers))
    workload = scenario.workload(context)
    try:
        await workload.setup()
        try:
            if spec.mode == "calibrate":
                phase = await calibrate(workload, spec.calibrate_s, spec.concurrency)
                return {"ops": phase.ops, "wall_s": phase.wall_s}
            await _run_ops(workload, spec.warmup_ops, spec.concurrency)
            if spec.mode == "probe":
                return {"ops": spec.ops, **await probe_calls(spec, workload, scenario.distribution)}
            if spec.mode == "profile":
                from otelaudit.child.sampler import profile_ops

                profile = await profile_ops(lambda: _run_ops(workload, spec.ops, spec.concurrency), spec.ops)
                return {"ops": spec.ops, "profile": profile}
            if spec.mode == "memory":
                return {"ops": spec.ops * spec.segments, "memory_growth": await growth(spec, workload, scenario, flush)}
            if spec.mode == "scaling":
                return {"ops": spec.ops, "scaling": await scaling(spec, workload, scenario)}
            timed = await timed_phase(workload, spec.ops, spec.concurrency, telemetry, flush)
            memory = await memory_phase(workload, spec.memory_ops, flush) if spec.memory_ops else None
        finally:
            await workload.teardown()
    except Exception as error:
        raise RunFailed("workload-crashed", f"workload raised {describe(error)}") from error
    ordered = sorted(timed.latencies_s)
    return {
        "ops": timed.ops,
        "wall_s": timed.wall_s,
        "cpu_s": timed.cpu_s,
        "loop_cpu_s": timed.loop_cpu_s,
        "latency_p50_us": _quantile(ordered, 0.50) * 1e6,
        "latency_p99_us": _quantile(ordered, 0.99) * 1e6,
        "mem_peak_bytes_per_op": memory.peak_bytes_per_op if memory else None,
        "mem_retained_bytes_per_op": memory.retained_bytes_per_op if memory else None,
        "telemetry": timed.telemetry,
        "peak_rss_kib": timed.peak_rss_kib,
    }


async def probe_calls(spec: RunSpec, workload: Any, library: Optional[str] = None) -> Dict[str, Any]:
    """Counts costly calls and repeated identical calls over `spec.ops` operations. Each
    recorder catches its own failures: one that fails costs a warning naming it, never
    the other's evidence."""
    from otelaudit.attribute.ownership import Ownership
    from otelaudit.child.probe import attribute, operation_recorder
    from otelaudit.child.repeats import NumberedOperations, RepeatRecorder

    ownership = Ownership.of_environment(audited_package(spec), library)
    repeats = RepeatRecorder(ownership.is_audited, ownership.owner_name)
    recorder = operation_recorder(on_other_call=repeats.observe)
    recorder.install()
    # Threads started from here on inherit the profile function; the pool's old ones would not.
    asyncio.get_running_loop().set_default_executor(thread_pool_for(spec.concurrency))
    try:
        await _run_ops(NumberedOperations(workload), spec.ops, spec.concurrency)
    finally:
        recorder.remove()
    call_counts = _evidence(lambda: attribute(recorder.hits, spec.ops, ownership), recorder.failures)
    repeated_calls = _evidence(lambda: repeats.repeated(spec.ops), repeats.failures)
    warnings = [w for w in (recorder.failures.warning(), repeats.failures.warning()) if w]
    return {"call_counts": call_counts, "repeated_calls": repeated_calls, "warning": "; ".join(warnings) or None}


async def growth(spec: RunSpec, workload: Any, scenario: Scenario, flush: Callable[[], None]) -> Any:
    from otelaudit.attribute.ownership import Ownership
    from otelaudit.child.memory import growth_phase

    ownership = Ownership.of_environment(audited_package(spec), scenario.distribution)
    return await growth_phase(workload, spec, flush, ownership)


async def scaling(spec: RunSpec, workload: Any, scenario: Scenario) -> Any:
    from otelaudit.attribute.ownership import Ownership
    from otelaudit.child.scaling import scaling_phase

    sampled = spec.arm == "sdk"
    ownership = Ownership.of_environment(audited_package(spec), scenario.distribution) if sampled else None
    return await scaling_phase(workload, spec, ownership)


def _evidence(collect: Callable[[], Tuple[Any, ...]], failures: RecorderFailures) -> Tuple[Any, ...]:
    """One recorder's findings, or none (and a noted failure) if summarising them raised."""
    try:
        return collect()
    except Exception as error:
        failures.note(error)
        return ()


def audited_package(spec: RunSpec) -> Optional[Tuple[str, str, str]]:
    """(distribution, version, directory) of the instrumentor under audit."""
    module = sys.modules.get((spec.instrumentor_value or "").partition(":")[0])
    filename = getattr(module, "__file__", None)
    if not filename or not spec.instrumentor_distribution:
        return None
    return spec.instrumentor_distribution, spec.instrumentor_version or "", os.path.dirname(filename)


async def _run_ops(workload: Any, ops: int, concurrency: int) -> None:
    if ops > 0:
        await run_concurrently(workload, ops, concurrency)


def _quantile(ordered: List[float], q: float) -> float:
    if not ordered:
        return 0.0
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def pin_to_cpu(cpu: Optional[str]) -> None:
    """On its core (run.cores): one per job, one for all children of a one-job run."""
    if cpu is not None and cpu != "" and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu)})


def peak_rss_kib() -> int:
    try:
        import resource
    except ImportError:  # Windows
        return 0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss / 1024) if sys.platform == "darwin" else int(rss)


def measure(spec: RunSpec, began: Callable[[], None] = lambda: None) -> RunResult:
    scenario = load_scenario(spec.scenario_module, spec.scenario_name)
    import_library(scenario)
    import_s = instrument_s = conflict = instrumentor_class = None
    extras: List[Tuple[Any, Optional[float]]] = []
    # Imported before the SDK so its import time is the same in both arms; an sdk arm may apply none
    # (app mode; a scenario of the SDK itself, whose target's instrumentor value is empty).
    if spec.arm not in ("baseline", "control") and spec.instrumentor_value:
        instrumentor_class, import_s = load_instrumentor(spec.instrumentor_value)
        extras = [load_instrumentor(value) for value in spec.also_instrument]
        if import_s is not None:
            import_s += sum(seconds or 0.0 for _, seconds in extras)
    counter, flush, delivery = None, lambda: None, None
    if spec.arm in ("sdk", "export"):
        from otelaudit.child.export import export_arm
        from otelaudit.child.telemetry import TelemetryCounter, flush_sdk, install_sdk

        counter, flush = TelemetryCounter(), flush_sdk
        exporters, delivery = export_arm(spec, RunFailed) if spec.arm == "export" else (None, None)
        install_sdk(counter, inline_export=spec.inline_export, export=exporters)
    if instrumentor_class is not None:
        instrument_s = instrument(instrumentor_class, spec.instrument_kwargs)
        instrument_s += sum(instrument(extra, {}) for extra, _ in extras)
        conflict = dependency_conflict(instrumentor_class)
    counts = apply_whatif(spec.whatif) if spec.whatif is not None else lambda: None
    telemetry = counter.snapshot if counter is not None else Telemetry
    began()  # the parent tells a timeout or crash in the workload from one before it
    fields = asyncio.run(exercise(spec, scenario, telemetry, flush))
    if delivery is not None:
        fields["delivery"] = delivery(telemetry())
    warnings = [f"dependency conflict: {conflict}" if conflict else None, fields.pop("warning", None)]
    served_rss = fields.pop("peak_rss_kib", None)  # a server's (app mode's --server), not this child's
    return RunResult(
        arm=spec.arm,
        round=spec.round,
        concurrency=spec.concurrency,
        peak_rss_kib=served_rss or peak_rss_kib(),
        import_s=import_s,
        instrument_s=instrument_s,
        library_version=library_version(scenario),
        warning="; ".join(w for w in warnings if w) or None,
        whatif_counts=counts(),
        **fields,
    )


def main(argv: List[str]) -> int:
    spec_path, result_path = argv[1], argv[2]
    pin_to_cpu(os.environ.get("OTELAUDIT_CPU"))
    with open(spec_path, encoding="utf-8") as handle:
        spec = from_data(RunSpec, json.load(handle))
    try:
        result = measure(spec, lambda: open(result_path + ".began", "w").close())
    except RunFailed as error:
        result = RunResult(arm=spec.arm, round=spec.round, failure=error.failure)
    tmp = result_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(to_data(result), handle)
    os.replace(tmp, result_path)
    return 0


def leave(code: int) -> None:
    """Ends the child without the interpreter's teardown: the result is written, and what
    is left (the SDK's exit-time flushes and thread joins, freeing every module) measures
    nothing yet cost ~30 ms of CPU per baseline child and ~80 ms per SDK child here."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    leave(main(sys.argv))
