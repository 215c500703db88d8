"""Runs measuring children through zygotes (`otelaudit.child.forkserver`): the harness is
imported once per zygote, not once per child, which halves what a short run costs. A
zygote is shared by every run with the same interpreter and start-up environment (the
`PYTHON*` variables, which act before any code runs); anything else in a request's
environment is set in the child before the measurement imports anything. A zygote may
also have imported the scenario's library, which every arm imports first anyway (heavy
client libraries cost seconds each time); it is then keyed by the whole environment, and
one whose import started a thread (unsafe to fork) is not used again. A zygote for sdk-arm
children has also imported their instrumentation and the SDK (`RunSpec.preload`, ~0.2 s of
CPU a child here), after freezing the rest, so their objects age and are collected in the
child as if it had imported them. Every zygote of a scan gets one hash seed, so the arms'
children, forked from different zygotes, hash (and lay out) the library's objects alike, as
children of one zygote did. Idle zygotes are pooled, so parallel jobs each get their own;
they exit when this process does."""

from __future__ import annotations

import atexit
import json
import os
import random
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

Key = Tuple[str, Tuple[Tuple[str, str], ...], str, Tuple[str, ...]]
HASH_SEED = str(random.SystemRandom().randrange(1, 1 << 32))
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Ended:
    """How a forked child ended, as `runner.Exit` records it (None: timed out)."""

    code: Optional[int]
    stderr: str
    started_at: float
    seconds: float
    timed_out: bool


class Zygote:
    """One fork server process; it runs one child at a time."""

    def __init__(self, python: str, env: Mapping[str, str], library: str = "", preload: Sequence[str] = ()) -> None:
        self.home = tempfile.mkdtemp(prefix=f"otelaudit-zygote-{os.getpid()}-")  # swept by run.workdirs if left
        self.child: Optional[int] = None  # the pid it is running, for stop_children
        imports = ([library] if library else []) + (["--then", *preload] if preload else [])
        env = {"PYTHONHASHSEED": HASH_SEED, **env}  # a child's own PYTHONHASHSEED wins (and keys its zygote)
        self.process = subprocess.Popen([python, "-m", "otelaudit.child.forkserver", *imports], env=env,
                                        cwd=self.home,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buffer = b""

    def run(self, argv: Sequence[str], env: Mapping[str, str], cwd: str, timeout_s: float) -> Optional[Ended]:
        """None when the zygote itself is gone: the caller spawns instead."""
        stderr_path = os.path.join(cwd, "stderr.txt")
        started_at, began = time.time(), time.perf_counter()
        request = {"argv": list(argv), "env": dict(env), "cwd": cwd, "stderr": stderr_path}
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
            pid = self.child = self._read(START_TIMEOUT_S)["pid"]
        except (OSError, ValueError, KeyError, TimeoutError):
            self.close()
            return None
        timed_out = False
        try:
            try:
                code: Optional[int] = self._read(max(timeout_s - (time.perf_counter() - began), 0.0))["code"]
            except TimeoutError:
                timed_out, code = True, None
                _kill(pid)
                self._read(START_TIMEOUT_S)
        except BaseException:  # Ctrl-C, SIGTERM's exception, a broken zygote: no child outlives the run
            _kill(pid)
            self.close()
            raise
        self.child = None
        return Ended(code, _text(stderr_path), started_at, time.perf_counter() - began, timed_out)

    def _read(self, timeout_s: float) -> Dict[str, int]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.perf_counter() + timeout_s
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.perf_counter(), 0.0))
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                raise OSError("the zygote exited")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        reply: Dict[str, int] = json.loads(line)
        return reply

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()  # EOF: the zygote's loop ends
            except OSError:
                pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _remove(self.home)


class Pool:
    """Idle zygotes by key; a busy one is never shared."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: Dict[Key, List[Zygote]] = {}
        self.all: List[Zygote] = []
        self.unusable: Set[Key] = set()  # keys whose zygote died: spawn for them
        atexit.register(self.close)

    def run(self, python: str, argv: Sequence[str], env: Mapping[str, str], cwd: str,
            timeout_s: float, library: str = "", preload: Sequence[str] = ()) -> Optional[Ended]:
        """None: no zygote can serve this run (the caller spawns it)."""
        imports = library or preload
        start_up = env.items() if imports else [(k, v) for k, v in env.items() if k.startswith("PYTHON")]
        key: Key = (python, tuple(sorted(start_up)), library, tuple(preload))
        if key in self.unusable:
            return None
        zygote = self._take(key, env)
        done = zygote.run(argv, env, cwd, timeout_s)
        with self.lock:
            if done is not None and zygote.alive:
                self.idle.setdefault(key, []).append(zygote)
            elif done is None:
                self.unusable.add(key)
        return done

    def _take(self, key: Key, env: Mapping[str, str]) -> Zygote:
        with self.lock:
            idle = [z for z in self.idle.get(key, []) if z.alive]
            if idle:
                zygote = idle.pop()
                self.idle[key] = idle
                return zygote
        zygote = Zygote(key[0], env, key[2], key[3])
        with self.lock:
            self.all.append(zygote)
        return zygote

    def kill_children(self) -> None:
        """Every zygote's running child, killed (an interrupted scan)."""
        with self.lock:
            for pid in [z.child for z in self.all if z.child is not None]:
                _kill(pid)

    def close(self) -> None:
        with self.lock:
            zygotes, self.all, self.idle = self.all, [], {}
        for zygote in zygotes:
            zygote.close()


POOL = Pool()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _remove(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass
