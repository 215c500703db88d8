"""Sampled hotspots from real pyinstrument runs: a planted CPU burner in a file classed as
telemetry must come out as the top call site, with the right leaf and most of the
overhead, whether it runs on the event loop or in the default executor; clean code gets
nothing. Assertions are on ranking and coarse shares only: the machine is noisy."""

import asyncio
import functools
import importlib.util
import json
import os
import selectors
import sysconfig

import pytest

from otelaudit.model.codec import from_data, to_data
from otelaudit.child.drive import run_concurrently, thread_pool_for
from otelaudit.model import Frame
from otelaudit.attribute.ownership import Owner, Ownership
from otelaudit.attribute.hotspots import RawProfile, call_site_costs, hotspots
from otelaudit.child.sampler import collapse, profile_ops

TELEMETRY_SOURCE = '''\
def record(n):
    total = 0
    for _ in range(n):
        total += sum(range(100))
    return total


def traced(wrapped, *args):
    record(TELEMETRY_N)
    return wrapped(*args)
'''
BURN_LINE = 4  # the line in `record` that calls sum()
PASS_THROUGH_LINE = 10  # the line in `traced` that calls the wrapped library function
# Many short calls, as telemetry makes them; the telemetry part costs about 4x the library's.
LIBRARY_N, TELEMETRY_N = 50, 200


@pytest.fixture(scope="module")
def fake_otel(tmp_path_factory):
    path = tmp_path_factory.mktemp("fake_otel") / "fake_otel_sdk.py"
    path.write_text(TELEMETRY_SOURCE)
    spec = importlib.util.spec_from_file_location("fake_otel_sdk", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.TELEMETRY_N = TELEMETRY_N
    return module


@pytest.fixture(scope="module")
def ownership(fake_otel):
    paths = sysconfig.get_paths()
    stdlib = tuple(os.path.realpath(paths[key]) + os.sep for key in ("stdlib", "platstdlib"))
    return Ownership({os.path.realpath(fake_otel.__file__): Owner("opentelemetry-fake", "1.0", True)}, stdlib)


class _Workload:
    def __init__(self, operation):
        self.operation = operation


def _profile(operation, ops, concurrency=8):
    """Drives `operation` through the harness's own concurrent driver, as a child would."""

    async def main():
        asyncio.get_running_loop().set_default_executor(thread_pool_for(concurrency))
        return await profile_ops(lambda: run_concurrently(_Workload(operation), ops, concurrency), ops)

    return asyncio.run(main())


class _Library:
    """Stands in for an instrumented library: instrumentation wraps `send`."""

    def send(self):
        return [sum(range(100)) for _ in range(LIBRARY_N)]


def _profiles(telemetry, runs=2, ops=400):
    """Baseline and treated runs of the same operation; in the treated ones `send` is
    patched, as an instrumentor would, with a wrapper that burns CPU of its own."""
    library = _Library()

    async def operation():
        await asyncio.sleep(0)
        library.send()

    baseline = [_profile(operation, ops) for _ in range(runs)]
    library.send = functools.partial(telemetry.traced, library.send)
    return baseline, [_profile(operation, ops) for _ in range(runs)]


@pytest.fixture(scope="module")
def loop_profiles(fake_otel):
    return _profiles(fake_otel)


def test_the_burning_telemetry_call_site_is_the_top_hotspot(loop_profiles, ownership, fake_otel):
    baseline, treated = loop_profiles
    found = hotspots(baseline, treated, ownership)
    assert found, "the planted burner was not sampled"
    top = found[0]
    assert top.call_site == Frame(fake_otel.__file__, BURN_LINE, "record", "opentelemetry-fake")
    assert top.leaf == Frame("<built-in>", 0, "sum", "stdlib")
    assert top.share_of_overhead > 0.5
    assert top.us_per_op.ci_low <= top.us_per_op.estimate <= top.us_per_op.ci_high
    assert top.chain[0] == top.leaf and top.call_site in top.chain
    assert any(f.function == "operation" for f in top.chain)  # the workload that reached it


def test_a_wrapper_is_not_charged_for_the_library_call_it_passes_on(loop_profiles, ownership, fake_otel):
    baseline, treated = loop_profiles
    wrapper = (fake_otel.__file__, PASS_THROUGH_LINE, "traced")
    charged = call_site_costs(treated, ownership)[wrapper]  # without a baseline: the library's time too
    passed = call_site_costs(treated, ownership, baseline=baseline).get(wrapper, [0.0])
    assert sum(passed) < 0.25 * sum(charged)  # what is left is the call itself, sampled at the call event
    assert all(h.share_of_overhead < 0.1 for h in hotspots(baseline, treated, ownership)
               if h.call_site.line == PASS_THROUGH_LINE)


class _App:
    """Stands in for a web framework that runs middlewares through a frame of its own, and
    only when one is installed (aiohttp's `impl`): without one it calls the handler itself."""

    def __init__(self):
        self.middlewares = []

    def handle(self):
        if not self.middlewares:
            return self.handler()
        return self.through_middlewares()

    def through_middlewares(self):
        return self.middlewares[0](self.handler)

    def handler(self):
        return [sum(range(100)) for _ in range(LIBRARY_N)]


def test_a_middleware_is_not_charged_for_the_handler_the_framework_reaches_through_it(fake_otel, ownership):
    app = _App()

    async def operation():
        await asyncio.sleep(0)
        app.handle()

    baseline = [_profile(operation, 400) for _ in range(2)]
    app.middlewares.append(fake_otel.traced)
    treated = [_profile(operation, 400) for _ in range(2)]
    middleware = (fake_otel.__file__, PASS_THROUGH_LINE, "traced")
    charged = call_site_costs(treated, ownership)[middleware]  # without a baseline: the handler's time too
    passed = call_site_costs(treated, ownership, baseline=baseline).get(middleware, [0.0])
    assert sum(passed) < 0.25 * sum(charged)
    assert hotspots(baseline, treated, ownership)[0].call_site.line == BURN_LINE


def test_costs_are_per_profile_with_zero_where_the_site_is_absent(loop_profiles, ownership, fake_otel):
    baseline, treated = loop_profiles
    costs = call_site_costs([treated[0], baseline[0]], ownership)
    values = costs[(fake_otel.__file__, BURN_LINE, "record")]
    assert {file for file, _, _ in costs} == {fake_otel.__file__}  # telemetry frames only
    assert len(values) == 2 and values[0] > 0 and values[1] == 0.0


def test_a_clean_workload_has_no_hotspot(loop_profiles, ownership):
    baseline, _ = loop_profiles
    assert baseline[0].busy_s > 0
    assert hotspots(baseline[:1], baseline[1:], ownership) == ()
    assert call_site_costs(baseline, ownership) == {}


def test_library_and_stdlib_frames_are_kept(loop_profiles):
    _, treated = loop_profiles
    files = {frame.file for frame in treated[0].frames}
    assert os.path.realpath(__file__) in {os.path.realpath(f) for f in files}  # the "library"
    assert any(f.endswith(os.path.join("asyncio", "events.py")) for f in files)  # the stdlib


def test_work_in_the_default_executor_is_sampled(fake_otel, ownership):
    async def in_thread():
        await asyncio.get_running_loop().run_in_executor(None, fake_otel.record, 10 * TELEMETRY_N)

    async def nothing():
        await asyncio.sleep(0)

    treated = [_profile(in_thread, ops=40, concurrency=2)]
    found = hotspots([_profile(nothing, ops=40, concurrency=2)], treated, ownership)
    assert found and found[0].call_site.function == "record" and found[0].call_site.line == BURN_LINE
    assert any(f.function == "_run_profiled" for f in found[0].chain)  # really in a worker thread
    assert treated[0].idle_s > 0  # the loop waited for the workers: idle, not cost


def test_raw_profiles_round_trip_through_the_codec(loop_profiles):
    profile = loop_profiles[1][0]
    assert from_data(RawProfile, json.loads(json.dumps(to_data(profile)))) == profile


THREAD = "MainThread\x00<thread>\x001"  # pyinstrument's root frame for each thread


def test_frames_are_identified_by_the_line_they_were_executing():
    """pyinstrument's frame infos: "function\\0file\\0def line" then "\\1l<current line>"."""
    records = [
        ([THREAD, "run\x00/app/a.py\x0010\x01l12", "f\x00/app/b.py\x003\x01cK\x01l7"], 0.5),  # "cK": class K
        ([THREAD, "run\x00/app/a.py\x0010\x01l12", "f\x00/app/b.py\x003\x01l5"], 0.25),
        ([THREAD, "select\x00" + selectors.__file__ + "\x00100\x01l110", "epoll.poll\x00<built-in>\x000"], 2.0),
    ]
    profile = collapse(records, ops=1, duration_s=3.0)
    stacks = {tuple(profile.frames[i] for i in stack): s for stack, s in zip(profile.stacks, profile.seconds)}
    assert stacks == {(Frame("/app/a.py", 12, "run"), Frame("/app/b.py", 7, "f")): 0.5,
                      (Frame("/app/a.py", 12, "run"), Frame("/app/b.py", 5, "f")): 0.25}
    assert profile.idle_s == 2.0 and profile.busy_s == 0.75

