"""The spine of `otelaudit app`: check the app reference in a child (it must import and be
an ASGI or WSGI app), choose the instrumentations, start the loopback fake LLM API, play
the arms' rounds and turn them into an ordinary Report (one row for all instrumentations,
one leave-one-out row for each)."""

from __future__ import annotations

import json
from typing import Callable, Optional, Tuple

from otelaudit.app.arms import DUMMY_KEYS, arms_for, child_env
from otelaudit.app.options import AppFacts, AppOptions
from otelaudit.app.result import EXPLANATION, app_results
from otelaudit.app.rounds import play_app
from otelaudit.app.select import choose
from otelaudit.discover.instrumentors import Target, discover_instrumentors
from otelaudit.errors import UsageError
from otelaudit.model import Instrumentor, Report, ScanSettings
from otelaudit.run.report import report_for
from otelaudit.run.runner import Runner, SubprocessRunner, last_line
from otelaudit.servers.running import running_servers

Progress = Callable[[str], None]
CHECK_MODULE = "otelaudit.child.appref"


def audit_app(options: AppOptions, runner: Optional[Runner] = None, on_progress: Progress = lambda m: None) -> Report:
    facts = check_app(options)
    chosen = instrumentations(options)
    arms = arms_for(chosen)
    on_progress(f"{options.reference} ({facts.kind.upper()}): {len(arms)} arms — {', '.join(a.label for a in arms)}")
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
    return report_for(options.command, settings, targets, results, warnings=(EXPLANATION, applied))


def check_app(options: AppOptions) -> AppFacts:
    """The app's kind and framework; a usage error that says why when the reference names no app."""
    env = json.dumps({**DUMMY_KEYS, **options.env})
    done = SubprocessRunner().output(CHECK_MODULE, [options.reference, options.app_dir, env], options.timeout_s)
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if answer.get("kind") in ("asgi", "wsgi"):
        return AppFacts(answer["kind"], answer.get("framework"))
    raise UsageError(str(answer.get("error") or f"cannot load {options.reference}: {last_line(done.stderr)}"))


def instrumentations(options: AppOptions) -> Tuple[Instrumentor, ...]:
    chosen = choose(options.instrument, discover_instrumentors(), options.env)
    if not chosen:
        raise UsageError("no instrumentation to apply: none is installed whose library is installed here "
                         "(e.g. pip install opentelemetry-instrumentation-fastapi)")
    return chosen
