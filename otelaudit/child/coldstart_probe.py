"""The cold-start probe: during the instrumentation's import and its instrument(), counts
calls into known-costly functions (the `probe` catalogue) and, through an audit hook,
the environment scans they stand for — package-metadata files opened and `sys.path`
directories listed — each attributed to the telemetry call site that caused it.
Runs in its own child only: `sys.setprofile` slows everything down."""

from __future__ import annotations

import os
import sys
from collections import Counter
from types import FrameType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from otelaudit.child.probe import CallRecorder, Hits, Target, resolve_targets

METADATA_FILE = Target("open(<distribution metadata file>)", "package-metadata")
PATH_LISTING = Target("os.listdir(<sys.path entry>)", "environment-scan")
METADATA_DIRS = (".dist-info", ".egg-info")
SCAN_CATEGORIES = frozenset({"package-metadata", "environment-scan"})
AUDITED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})

if TYPE_CHECKING:
    from otelaudit.model import CallCount, ColdSpec, PhaseCalls
    from otelaudit.attribute.ownership import Ownership


class PhaseRecorder:
    """Records one phase at a time; `next_phase` closes the import phase."""

    def __init__(self) -> None:
        codes, builtins = resolve_targets()
        self.calls = CallRecorder(codes, builtins)
        self.phases: List[Tuple[str, Hits, int, int]] = []
        self.phase = "import"
        self.files_opened = 0
        self.listings = 0
        self.active = False
        self.path_entries = {os.path.realpath(p or ".") for p in sys.path}
        sys.addaudithook(self._audit)

    def install(self) -> None:
        self.active = True
        self.calls.install()

    def remove(self) -> None:
        self.calls.remove()
        self.active = False

    def next_phase(self) -> None:
        self._close()
        self.phase = "instrument"

    def _close(self) -> None:
        self.phases.append((self.phase, self.calls.hits, self.files_opened, self.listings))
        self.calls.hits = Counter()
        self.files_opened = self.listings = 0

    def _audit(self, event: str, args: Tuple[Any, ...]) -> None:
        if not self.active or event not in AUDITED_EVENTS:
            return
        self.active = False  # what the recorder does must not be recorded (sys._getframe is audited too)
        try:
            self._observe(event, args, sys._getframe(1))  # the frame that opened or listed
        except Exception as error:  # an audit hook that raises fails the user's open() or listdir()
            self.calls.failures.note(error)
        finally:
            self.active = True

    def _observe(self, event: str, args: Tuple[Any, ...], caller: FrameType) -> None:
        path = args[0] if args else None
        if type(path) is not str and type(path) is not bytes:  # a subclass or path-like would run user code
            return
        if event == "open":
            if any(marker in os.fsdecode(path) for marker in METADATA_DIRS):
                self.files_opened += 1
                self.calls._record(METADATA_FILE, caller)
        elif os.path.realpath(os.fsdecode(path) or ".") in self.path_entries:
            self.listings += 1
            self.calls._record(PATH_LISTING, caller)

    def phase_calls(self, spec: "ColdSpec") -> Tuple["PhaseCalls", ...]:
        """The phases as PhaseCalls data, attributed with the environment's ownership."""
        from otelaudit.model import PhaseCalls
        from otelaudit.attribute.ownership import Ownership

        self._close()
        ownership = Ownership.of_environment(_audited(spec))
        return tuple(PhaseCalls(phase, attribute_to_telemetry(hits, ownership), files, listings)  # type: ignore[arg-type]
                     for phase, hits, files, listings in self.phases)


def attribute_to_telemetry(hits: Hits, ownership: "Ownership") -> Tuple["CallCount", ...]:
    """Environment scans per call site: the innermost frame owned by telemetry code, so a
    scan made through a third-party helper (a metadata backport) is still charged to the
    instrumentation, API or SDK line that asked for it."""
    from otelaudit.model import CallCount, Frame

    grouped: Dict[Tuple[str, Frame], List[Any]] = {}
    for (target, chain), count in hits.items():
        if target.category not in SCAN_CATEGORIES:
            continue
        index = next((i for i, (file, _, _) in enumerate(chain)
                      if not ownership.is_stdlib(file) and ownership.is_telemetry(file)), None)
        if index is None:
            continue
        frames = tuple(Frame(f, line, fn, ownership.owner_name(f)) for f, line, fn in chain)
        entry = grouped.setdefault((target.name, frames[index]), [target, 0, frames, ownership.owner(chain[index][0])])
        entry[1] += count
    counts = [CallCount(target=name, category=target.category, calls_per_op=float(total), call_site=site,
                        distribution=owner.distribution, version=owner.version, chain=frames)
              for (name, site), (target, total, frames, owner) in grouped.items()]
    return tuple(sorted(counts, key=lambda c: (-c.calls_per_op, c.target)))


def _audited(spec: "ColdSpec") -> Optional[Tuple[str, str, str]]:
    module = sys.modules.get(spec.instrumentor_value.partition(":")[0])
    filename = getattr(module, "__file__", None)
    if not filename or not spec.instrumentor_distribution:
        return None
    return spec.instrumentor_distribution, spec.instrumentor_version or "", os.path.dirname(filename)
