"""Every measuring child starts here, in a fresh interpreter isolated from the user's cwd
and OTEL_* settings: a scan run (RunSpec → RunResult), a cold-start child (ColdSpec →
ColdRun, under `-X importtime`) and a timed start-up (StartSpec → StartRun). A crash, a
signal or a timeout becomes a failed result naming the phase, never an exception; a child
that died outside its workload is retried once (`retried`, the one retry). `Runner` is the
narrow interface the stages depend on, so unit tests can substitute an in-memory runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Sequence, Set, Tuple, TypeVar

from otelaudit.model.codec import from_data, to_data
from otelaudit.model import AutoBreakdown, ColdRun, ColdSpec, Failure, RunResult, RunSpec
from otelaudit.model import StartRun, StartSpec
from otelaudit.run import forkserver
from otelaudit.run.cores import measuring_core
from otelaudit.run.workdirs import workdir


class Runner(Protocol):
    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult: ...

    def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun: ...

    def start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> StartRun: ...


def child_environment(extra: Mapping[str, str]) -> Dict[str, str]:
    """The parent's environment without OTEL_* (a developer's shell must not change results)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_SDK_DISABLED"] = "false"
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONTRACEMALLOC", None)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Exit:
    """How a child ended: its exit code (None: it timed out, or never started)."""

    code: Optional[int]
    stdout: str
    stderr: str
    started_at: float  # epoch seconds, just before the spawn
    seconds: float  # spawn to exit, wall clock
    timed_out: bool = False
    began: Optional[bool] = None  # whether its workload had begun (None: the child does not say)

    @property
    def outside_workload(self) -> bool:
        """Died in a way that says nothing about the code under audit: killed by a signal
        (the OOM killer, a user), or crashed before its workload began. SIGINT is the
        terminal's Ctrl-C to the whole group: the scan is stopping, not to be retried."""
        if self.code is not None and self.code < 0:
            return -self.code != signal.SIGINT
        return self.code is not None and self.code > 0 and self.began is False

    def how(self, timeout_s: float) -> str:
        """How it failed, to follow the child's name: 'was killed by SIGKILL'."""
        if self.timed_out:
            return f"timed out after {timeout_s:g} s{WHERE[self.began]}"
        if self.code is None:  # it never started
            return f"could not start: {last_line(self.stderr)}"
        if self.code < 0:
            return f"was killed by {_signal_name(-self.code)}"
        before = " before its workload began" if self.began is False else ""
        return f"exited with code {self.code}{before}: {last_line(self.stderr)}"

    def failure(self, what: str, timeout_s: float) -> Optional[Failure]:
        """None when the child exited 0; else why not, in one line."""
        if self.code == 0:
            return None
        return Failure("timeout" if self.timed_out else "workload-crashed", f"{what} {self.how(timeout_s)}")


WHERE = {None: "", True: " in its workload",
         False: (" before its workload began: starting the interpreter and loading the scenario, its library and "
                 "the instrumentation take longer than that (--timeout is per child; allow them a few seconds)")}

_live: Set["subprocess.Popen[bytes]"] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def spawn(command: Sequence[str], env: Mapping[str, str], timeout_s: float, cwd: Optional[str] = None,
          capture_stdout: bool = False) -> Exit:
    """The one place a child process is started and waited for."""
    started_at, began = time.time(), time.perf_counter()
    if _stopping.is_set():
        return Exit(None, "", "otelaudit is stopping", started_at, 0.0)
    try:
        process = subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
    except OSError as error:  # not executable, not there
        return Exit(None, "", f"cannot start {command[0]}: {error}", started_at, time.perf_counter() - began)
    with _live_lock:
        _live.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return Exit(None, "", "", started_at, time.perf_counter() - began, timed_out=True)
    except BaseException:  # Ctrl-C, SIGTERM: the child goes with the scan
        process.kill()
        process.wait()
        raise
    finally:
        with _live_lock:
            _live.discard(process)
    return Exit(process.returncode, (stdout or b"").decode("utf-8", "replace"),
                (stderr or b"").decode("utf-8", "replace"), started_at, time.perf_counter() - began)


def stop_children() -> None:
    """Kills every live child and refuses new ones (and retries): an interrupted scan
    leaves no process behind, and its workers' threads end at once."""
    _stopping.set()
    with _live_lock:
        for process in list(_live):
            process.kill()
    forkserver.POOL.kill_children()


def allow_children() -> None:
    _stopping.clear()


Found = TypeVar("Found")


def retried(attempt: Callable[[], Tuple[Optional[Found], Exit]]) -> Tuple[Optional[Found], Exit, Optional[Exit]]:
    """The one retry: a child that left no result and died outside its workload runs once
    more. Returns what the last attempt found, how it ended, and how the first one ended
    if it was retried. A crash in the workload or a timeout is not repeated: it would be again."""
    found, done = attempt()
    if found is not None or not done.outside_workload or _stopping.is_set():
        return found, done, None
    found_again, done_again = attempt()
    return found_again, done_again, done


def phase_of(spec: RunSpec) -> str:
    """Which of a scenario's phases a measuring child belongs to, as the report names it."""
    if spec.mode == "measure" and spec.round >= 0:
        return f"{'verification' if spec.whatif is not None else 'timed'} round {spec.round + 1}"
    return {"calibrate": "calibration", "probe": "the triage call-count probe", "memory": "the memory-growth run",
            "profile": f"sampled profile pair {spec.round + 1}"}.get(spec.mode, "a single measuring run")


class SubprocessRunner:
    """`cpu` pins every child to that core (a parallel job's; by default the one measuring
    core, run.cores); `python` may be another environment's interpreter (version
    comparison); `prefix` a tool the child runs under."""

    def __init__(self, python: str = sys.executable, cpu: Optional[int] = None,
                 isolated: bool = False, prefix: Sequence[str] = (), fork: bool = True) -> None:
        self.python = python
        self.prefix = list(prefix)  # e.g. a counting tool the child runs under
        self.cpu = cpu if cpu is not None or prefix else measuring_core()  # counted runs: not pinned
        self.isolated = isolated
        self.fork = fork and hasattr(os, "fork")

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        what = f"the measuring child for {phase_of(spec)} ({spec.arm} arm)"
        found, done, first = retried(lambda: self._measure(spec, env, timeout_s))
        if found is not None:
            note = f"{what} {first.how(timeout_s)}; retried once, the retry measured it" if first else None
            return replace(found, retried=note)
        failure = done.failure(what, timeout_s) or Failure("workload-crashed", f"{what} wrote no result")
        return RunResult(arm=spec.arm, round=spec.round, failure=_after(failure, first, timeout_s))

    def _measure(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> Tuple[Optional[RunResult], Exit]:
        with workdir("run") as folder:
            result_path = _write_spec(folder, spec)
            done = self._child(folder, [_spec_path(folder), result_path], self.environment(env), timeout_s,
                               spec.library, spec.preload)
            found = from_data(RunResult, _read(result_path)) if os.path.exists(result_path) else None
            return found, replace(done, began=os.path.exists(result_path + ".began"))

    def _child(self, workdir: str, argv: Sequence[str], env: Mapping[str, str], timeout_s: float,
               library: str = "", preload: Sequence[str] = ()) -> Exit:
        """Forked from a zygote unless the child must start under a tool (`prefix`)."""
        if not self.prefix and self.fork and not _stopping.is_set():
            forked = forkserver.POOL.run(self.python, argv, env, workdir, timeout_s, library, preload)
            if forked is not None:
                return Exit(forked.code, "", forked.stderr, forked.started_at, forked.seconds, forked.timed_out)
        return spawn([*self.prefix, self.python, "-m", "otelaudit.child.measure", *argv], env, timeout_s, cwd=workdir)

    def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun:
        """One fresh `-X importtime` interpreter; its import lines between the markers."""
        found, done, first = retried(lambda: self._cold(spec, env, timeout_s))
        if found is not None:
            return found
        failure = done.failure("cold-start child", timeout_s) or Failure("workload-crashed", "no result")
        return ColdRun(spec.arm, spec.round, failure=_after(failure, first, timeout_s))

    def _cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> Tuple[Optional[ColdRun], Exit]:
        from otelaudit.child.coldstart import BEGIN, DONE
        from otelaudit.coldstart.importtime import between, parse

        with workdir("cold") as folder:
            result_path = _write_spec(folder, spec)
            command = [*self.prefix, self.python, "-X", "importtime", "-m", "otelaudit.child.coldstart",
                       _spec_path(folder), result_path]
            done = spawn(command, self.environment(env), timeout_s, cwd=folder)
            if not os.path.exists(result_path):
                stderr = "\n".join(ln for ln in done.stderr.splitlines() if not ln.startswith("import time:"))
                return None, replace(done, stderr=stderr)
            run = from_data(ColdRun, _read(result_path))
        to_first = run.first_op_done_at - done.started_at if run.first_op_done_at else None
        return replace(run, imports=tuple(parse(between(done.stderr, BEGIN, DONE))), to_first_op_s=to_first), done

    def start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> StartRun:
        """Spawn to exit of `python -c pass` in the spec's way, or the breakdown child."""
        found, done, first = retried(lambda: self._start(spec, env, timeout_s))
        if found is not None:
            return found
        failure = done.failure(f"the {spec.arm} interpreter", timeout_s)
        failure = failure or Failure("workload-crashed", "the breakdown child wrote no result")
        return StartRun(spec.arm, spec.round, done.seconds * 1000, None, _after(failure, first, timeout_s))

    def _start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> Tuple[Optional[StartRun], Exit]:
        child_env = self.environment(env)
        if spec.path_first:
            child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [spec.path_first, child_env.get("PYTHONPATH")]))
        with workdir("start") as folder:
            result_path = os.path.join(folder, "auto.json")
            program = ["-m", "otelaudit.child.auto", result_path] if spec.arm == "breakdown" else ["-c", "pass"]
            done = spawn([*spec.launcher, self.python, *program], child_env, timeout_s, cwd=folder)
            if done.code != 0 or (spec.arm == "breakdown" and not os.path.exists(result_path)):
                return None, done
            breakdown = from_data(AutoBreakdown, _read(result_path)) if spec.arm == "breakdown" else None
        return StartRun(spec.arm, spec.round, done.seconds * 1000, breakdown, None), done

    def output(self, module: str, args: Sequence[str], timeout_s: float) -> Exit:
        """`python -m module args…` in this runner's environment, its stdout captured
        (a child that describes its environment rather than measures)."""
        with workdir("out") as folder:  # never the user's cwd on its path
            return spawn([self.python, "-m", module, *args], self.environment({}), timeout_s, cwd=folder,
                         capture_stdout=True)

    def environment(self, extra: Mapping[str, str]) -> Dict[str, str]:
        env = child_environment(extra)
        if self.cpu is not None:
            env["OTELAUDIT_CPU"] = str(self.cpu)
        if self.isolated:  # another environment's packages only, never this one's path
            env.pop("PYTHONPATH", None)
        return env


def _after(failure: Failure, first: Optional[Exit], timeout_s: float) -> Failure:
    """The last attempt's failure, saying how the first one ended when it was retried."""
    if first is None:
        return failure
    return replace(failure, message=f"{failure.message} (retried once: the first attempt {first.how(timeout_s)})")


def _spec_path(workdir: str) -> str:
    return os.path.join(workdir, "spec.json")


def _write_spec(workdir: str, spec: object) -> str:
    """Writes the spec where the child reads it; returns where the child writes its result."""
    with open(_spec_path(workdir), "w", encoding="utf-8") as handle:
        json.dump(to_data(spec), handle)
    return os.path.join(workdir, "result.json")


def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
