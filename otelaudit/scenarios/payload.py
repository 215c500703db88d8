"""Payloads of a stated size for workloads that declare `sizes` (the scaling run):
printable text with the words, digits and punctuation of a real note, so a scan over it
does the work it would do in production; cached, so building it is never timed."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Dict

if TYPE_CHECKING:
    from otelaudit.scenarios.web import WebRequest

NOTE_HEADER = "x-client-note"
_SENTENCE = "Order 4711 for A. Smith, 12 Main St, ships Tuesday via courier #38; "


@functools.lru_cache(maxsize=16)
def text(size: int) -> str:
    return (_SENTENCE * (size // len(_SENTENCE) + 1))[:size]


def with_note(request: "WebRequest", size: int) -> "WebRequest":
    """The request with one more header carrying `size` bytes; as it was at size 0, so a
    workload's timed rounds (at its first size, 0) send what they sent before."""
    return replace(request, headers=request.headers + ((NOTE_HEADER, text(size)),)) if size else request


def note_headers(size: int) -> Dict[str, str]:
    """The same note as a header mapping, for clients that take one."""
    return {NOTE_HEADER: text(size)} if size else {}
