"""Per-operation work the call-count probe watches in the operations window only (never
in the cold-start probe, where importing code legitimately builds classes and tries
optional imports): new classes built, imports that find no module, and registrations in
process-global registries. Matched by what the code does; sites come from the probe.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Optional, Sequence, Tuple

# (module, attribute path, category), as in the probe's catalogue. `__build_class__` is what
# every `class` statement calls; the others build classes without one.
OPERATION_CATALOGUE: Tuple[Tuple[str, str, str], ...] = (
    ("builtins", "__build_class__", "class-creation"),
    ("types", "new_class", "class-creation"),
    ("collections", "namedtuple", "class-creation"),
    ("dataclasses", "make_dataclass", "class-creation"),
    ("enum", "EnumMeta._create_", "class-creation"),
)
OPERATION_CHEAP_TO_IMPORT = frozenset({"builtins", "types", "collections", "atexit", "weakref", "warnings", "sys"})
FAILED_IMPORT = "failed-import"
OPERATION_CATEGORIES = tuple(sorted({c for _, _, c in OPERATION_CATALOGUE} | {FAILED_IMPORT}))

Record = Callable[[str, FrameType], None]  # (module name, frame of the importing code)


class FailedImports:
    """A meta-path finder placed last: it is asked only when every other finder found
    nothing, i.e. when an import is about to fail after searching all of `sys.path`
    (failed imports are not cached, so each attempt pays that search again). It finds
    nothing itself; it notes who asked."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.failures = 0

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None, target: Any = None) -> None:
        try:
            frame = importer_frame(sys._getframe(1))
            if frame is not None:
                self.record(fullname, frame)
        except Exception:  # raising here would turn into the workload's ImportError
            self.failures += 1
        return None

    def install(self) -> None:
        sys.meta_path.append(self)

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:  # someone rebuilt sys.meta_path meanwhile
            pass


def importer_frame(frame: Optional[FrameType]) -> Optional[FrameType]:
    """The first frame outside the import machinery: the `import` statement or the
    `importlib.import_module` / `find_spec` caller (the probe picks the call site above)."""
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame
