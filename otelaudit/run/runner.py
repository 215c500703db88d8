"""Every measuring child starts here, in a fresh interpreter isolated from the user's cwd
and OTEL_* settings: a scan run (RunSpec → RunResult), a cold-start child (ColdSpec →
ColdRun, under `-X importtime`) and a timed start-up (StartSpec → StartRun). A crash, a
signal or a timeout becomes a failed result, never an exception. `Runner` is the narrow
interface the stages depend on, so unit tests can substitute an in-memory runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from typing import Any, Dict, Mapping, Optional, Protocol, Sequence

from otelaudit.model.codec import from_data, to_data
from otelaudit.model import AutoBreakdown, ColdRun, ColdSpec, Failure, RunResult, RunSpec
from otelaudit.model import StartRun, StartSpec
from otelaudit.run import forkserver


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

    def failure(self, what: str, timeout_s: float) -> Optional[Failure]:
        """None when the child exited 0; else why not, in one line."""
        if self.code == 0:
            return None
        if self.timed_out:
            return Failure("timeout", f"{what} did not finish within {timeout_s:g} s")
        if self.code is None:  # it never started
            return Failure("workload-crashed", f"{what}: {last_line(self.stderr)}")
        if self.code < 0:
            return Failure("workload-crashed", f"{what} was killed by {_signal_name(-self.code)}")
        return Failure("workload-crashed", f"{what} exited with code {self.code}: {last_line(self.stderr)}")


def spawn(command: Sequence[str], env: Mapping[str, str], timeout_s: float, cwd: Optional[str] = None,
          capture_stdout: bool = False) -> Exit:
    """The one place a child process is started and waited for."""
    started_at, began = time.time(), time.perf_counter()
    try:
        completed = subprocess.run(list(command), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Exit(None, "", "", started_at, time.perf_counter() - began, timed_out=True)
    except OSError as error:  # not executable, not there
        return Exit(None, "", f"cannot start {command[0]}: {error}", started_at, time.perf_counter() - began)
    return Exit(completed.returncode, (completed.stdout or b"").decode("utf-8", "replace"),
                completed.stderr.decode("utf-8", "replace"), started_at, time.perf_counter() - began)


class SubprocessRunner:
    """`cpu` pins every child to that core (parallel jobs); `python` may be another
    environment's interpreter (version comparison); `prefix` a tool the child runs under."""

    def __init__(self, python: str = sys.executable, cpu: Optional[int] = None,
                 isolated: bool = False, prefix: Sequence[str] = (), fork: bool = True) -> None:
        self.python = python
        self.prefix = list(prefix)  # e.g. a counting tool the child runs under
        self.cpu = cpu
        self.isolated = isolated
        self.fork = fork and hasattr(os, "fork")

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        with tempfile.TemporaryDirectory(prefix="otelaudit-run-") as workdir:
            result_path = _write_spec(workdir, spec)
            done = self._measure(workdir, [_spec_path(workdir), result_path], self.environment(env), timeout_s)
            if os.path.exists(result_path):
                return from_data(RunResult, _read(result_path))
        failure = done.failure("measuring process", timeout_s) or Failure("workload-crashed", "no result written")
        if failure.kind == "timeout":
            failure = Failure("timeout", f"workload did not finish within {timeout_s:g} s")
        return RunResult(arm=spec.arm, round=spec.round, failure=failure)

    def _measure(self, workdir: str, argv: Sequence[str], env: Mapping[str, str], timeout_s: float) -> Exit:
        """Forked from a zygote unless the child must start under a tool (`prefix`)."""
        if not self.prefix and self.fork:
            forked = forkserver.POOL.run(self.python, argv, env, workdir, timeout_s)
            if forked is not None:
                return Exit(forked.code, "", forked.stderr, forked.started_at, forked.seconds, forked.timed_out)
        return spawn([*self.prefix, self.python, "-m", "otelaudit.child.measure", *argv], env, timeout_s, cwd=workdir)

    def cold(self, spec: ColdSpec, env: Mapping[str, str], timeout_s: float) -> ColdRun:
        """One fresh `-X importtime` interpreter; its import lines between the markers."""
        from otelaudit.child.coldstart import BEGIN, DONE
        from otelaudit.coldstart.importtime import between, parse

        with tempfile.TemporaryDirectory(prefix="otelaudit-cold-") as workdir:
            result_path = _write_spec(workdir, spec)
            command = [*self.prefix, self.python, "-X", "importtime", "-m", "otelaudit.child.coldstart",
                       _spec_path(workdir), result_path]
            done = spawn(command, self.environment(env), timeout_s, cwd=workdir)
            if not os.path.exists(result_path):
                stderr = "\n".join(ln for ln in done.stderr.splitlines() if not ln.startswith("import time:"))
                failure = replace(done, stderr=stderr).failure("cold-start child", timeout_s)
                return ColdRun(spec.arm, spec.round, failure=failure or Failure("workload-crashed", "no result"))
            run = from_data(ColdRun, _read(result_path))
        to_first = run.first_op_done_at - done.started_at if run.first_op_done_at else None
        return replace(run, imports=tuple(parse(between(done.stderr, BEGIN, DONE))), to_first_op_s=to_first)

    def start(self, spec: StartSpec, env: Mapping[str, str], timeout_s: float) -> StartRun:
        """Spawn to exit of `python -c pass` in the spec's way, or the breakdown child."""
        child_env = self.environment(env)
        if spec.path_first:
            child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [spec.path_first, child_env.get("PYTHONPATH")]))
        with tempfile.TemporaryDirectory(prefix="otelaudit-start-") as workdir:
            result_path = os.path.join(workdir, "auto.json")
            program = ["-m", "otelaudit.child.auto", result_path] if spec.arm == "breakdown" else ["-c", "pass"]
            done = spawn([*spec.launcher, self.python, *program], child_env, timeout_s, cwd=workdir)
            failure = done.failure(f"the {spec.arm} interpreter", timeout_s)
            breakdown = None
            if spec.arm == "breakdown" and failure is None:
                if not os.path.exists(result_path):
                    failure = Failure("workload-crashed", "the breakdown child wrote no result")
                else:
                    breakdown = from_data(AutoBreakdown, _read(result_path))
        return StartRun(spec.arm, spec.round, done.seconds * 1000, breakdown, failure)

    def output(self, module: str, args: Sequence[str], timeout_s: float) -> Exit:
        """`python -m module args…` in this runner's environment, its stdout captured
        (a child that describes its environment rather than measures)."""
        with tempfile.TemporaryDirectory(prefix="otelaudit-out-") as workdir:  # never the user's cwd on its path
            return spawn([self.python, "-m", module, *args], self.environment({}), timeout_s, cwd=workdir,
                         capture_stdout=True)

    def environment(self, extra: Mapping[str, str]) -> Dict[str, str]:
        env = child_environment(extra)
        if self.cpu is not None:
            env["OTELAUDIT_CPU"] = str(self.cpu)
        if self.isolated:  # another environment's packages only, never this one's path
            env.pop("PYTHONPATH", None)
        return env


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
