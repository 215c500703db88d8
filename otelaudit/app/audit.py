"""The spine of `otelaudit app`: check the app reference in a child (it must import and be
an ASGI or WSGI app; with --server, its server must import and --port be free), choose the
instrumentations, start the loopback fake LLM API, play the arms' rounds and turn them into
an ordinary Report (one row for all instrumentations, one leave-one-out row for each)."""

from __future__ import annotations

import json
from typing import Callable, Optional, Tuple

from otelaudit.app.arms import DUMMY_KEYS, arms_for, child_env
from otelaudit.app.options import AppFacts, AppOptions
from otelaudit.app.result import EXPLANATION, app_results
from otelaudit.app.rounds import play_app
from otelaudit.app.select import choose
from otelaudit.discover.instrumentors import Target, discover_instrumentors
from otelaudit.child.appref import SERVERS
from otelaudit.errors import PortInUseError, ServerMissing, UsageError
from otelaudit.model import Instrumentor, Report, ScanSettings
from otelaudit.run.report import report_for
from otelaudit.run.runner import Runner, SubprocessRunner, last_line
from otelaudit.servers.running import running_servers

Progress = Callable[[str], None]
CHECK_MODULE = "otelaudit.child.appref"


def audit_app(options: AppOptions, runner: Optional[Runner] = None, on_progress: Progress = lambda m: None) -> Report:
    if options.server and options.port:
        check_port(options.port)
    facts = check_app(options)
    options = options.checked(facts)
    chosen = instrumentations(options)
    arms = arms_for(chosen)
    where = f" behind {SERVERS[facts.kind]}" if options.server else ""
    on_progress(f"{options.reference} ({facts.kind.upper()}{where}): {len(arms)} arms — "
                f"{', '.join(a.label for a in arms)}")
    with running_servers(("llm",)) as servers:
        measured = play_app(options, arms, runner or SubprocessRunner(), child_env(options, servers["llm"]),
                            on_progress)
    results = app_results(options, arms, measured, facts)
    settings = ScanSettings(rounds=options.rounds, seconds_per_run=options.seconds_per_run,
                            timeout_s=options.timeout_s, seed=options.seed, quick=options.quick,
                            precision_target=options.precision.text if options.precision else None,
                            budget_s=options.budget_s, control_arm=False)
    targets = [Target(i, None, bool(options.instrument)) for i in chosen]
    applied = f"instrumentations applied: {', '.join(i.name for i in chosen)}" + (
        "" if options.instrument else " (what opentelemetry-instrument would apply here; --instrument narrows it)")
    notes = (EXPLANATION, applied) + ((served_note(facts),) if options.server else ())
    return report_for(options.command, settings, targets, results, warnings=notes)


def served_note(facts: AppFacts) -> str:
    return (f"--server: the app ran behind {SERVERS[facts.kind]} on loopback, its CPU and telemetry read from the "
            "server's processes, latency and throughput as its HTTP client saw them; no memory phase or sampled "
            "profiles (they would watch the client): run without --server for those")


def check_port(port: int) -> None:
    """--port N: taken now means every run would fail to bind it."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise PortInUseError(f"--port {port}: 127.0.0.1:{port} is not free ({error.strerror or error}): "
                                 "name a free port, or leave --port out for a free one per run") from None


def check_app(options: AppOptions) -> AppFacts:
    """The app's kind and framework; a usage error that says why when the reference names no app."""
    env = json.dumps({**DUMMY_KEYS, **options.env})
    args = [options.reference, options.app_dir, env] + (["--server"] if options.server else [])
    done = SubprocessRunner().output(CHECK_MODULE, args, options.timeout_s)
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if answer.get("missing_server"):
        name = answer["missing_server"]
        raise ServerMissing(f"--server runs {answer['kind'].upper()} apps under {name}, which is not installed "
                            f"here: pip install {name}")
    if answer.get("kind") in ("asgi", "wsgi"):
        return AppFacts(answer["kind"], answer.get("framework"))
    raise UsageError(str(answer.get("error") or f"cannot load {options.reference}: {last_line(done.stderr)}"))


def instrumentations(options: AppOptions) -> Tuple[Instrumentor, ...]:
    chosen = choose(options.instrument, discover_instrumentors(), options.env)
    if not chosen:
        raise UsageError("no instrumentation to apply: none is installed whose library is installed here "
                         "(e.g. pip install opentelemetry-instrumentation-fastapi)")
    return chosen
