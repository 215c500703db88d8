"""Runs one RunSpec in a fresh interpreter and returns its RunResult. A crash or a
timeout becomes a failed result, never an exception. `Runner` is the narrow interface
the pipeline depends on, so unit tests can substitute an in-memory runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Mapping, Optional, Protocol, Sequence

from otelaudit.model.codec import from_data, to_data
from otelaudit.model import Failure, RunResult
from otelaudit.model import RunSpec


class Runner(Protocol):
    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult: ...


def child_environment(extra: Mapping[str, str]) -> dict:
    """The parent's environment without OTEL_* (a developer's shell must not change results)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_SDK_DISABLED"] = "false"
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONTRACEMALLOC", None)
    env.update(extra)
    return env


class SubprocessRunner:
    """`cpu` pins every child to that core (parallel jobs); `python` may be another
    environment's interpreter (version comparison)."""

    def __init__(self, python: str = sys.executable, cpu: Optional[int] = None,
                 isolated: bool = False, prefix: Sequence[str] = ()) -> None:
        self.python = python
        self.prefix = list(prefix)  # e.g. a counting tool the child runs under
        self.cpu = cpu
        self.isolated = isolated

    def run(self, spec: RunSpec, env: Mapping[str, str], timeout_s: float) -> RunResult:
        with tempfile.TemporaryDirectory(prefix="otelaudit-run-") as workdir:
            spec_path = os.path.join(workdir, "spec.json")
            result_path = os.path.join(workdir, "result.json")
            with open(spec_path, "w", encoding="utf-8") as handle:
                json.dump(to_data(spec), handle)
            command = [*self.prefix, self.python, "-m", "otelaudit.child.measure", spec_path, result_path]
            try:
                completed = subprocess.run(
                    command, env=self.environment(env), cwd=workdir,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    timeout=timeout_s,
                )
            except subprocess.TimeoutExpired:
                return self._failed(spec, "timeout", f"workload did not finish within {timeout_s:g} s")
            if os.path.exists(result_path):
                with open(result_path, encoding="utf-8") as handle:
                    return from_data(RunResult, json.load(handle))
            return self._failed(spec, "workload-crashed", _crash_message(completed))

    def environment(self, extra: Mapping[str, str]) -> dict:
        env = child_environment(extra)
        if self.cpu is not None:
            env["OTELAUDIT_CPU"] = str(self.cpu)
        if self.isolated:  # another environment's packages only, never this one's path
            env.pop("PYTHONPATH", None)
        return env

    @staticmethod
    def _failed(spec: RunSpec, kind: str, message: str) -> RunResult:
        return RunResult(arm=spec.arm, round=spec.round, failure=Failure(kind, message))  # type: ignore[arg-type]


def _crash_message(completed: "subprocess.CompletedProcess[bytes]") -> str:
    lines = [ln for ln in completed.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    last = lines[-1].strip() if lines else "no output"
    return f"measuring process exited with code {completed.returncode}: {last}"
