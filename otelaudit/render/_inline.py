"""Markdown inline text that renders as written on GitHub: words that are code (paths,
`name()`, dotted or underscored identifiers, `<genexpr>`) become code spans, and the
characters that would start emphasis, links or HTML are escaped everywhere else, so
`__init__.py` never turns into a bold "init"."""

from __future__ import annotations

import re

ESCAPED = re.compile(r"([\\`*_\[\]<>#|~])")
TRAILING = ".,;:!?"


def code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str) -> str:
    return ESCAPED.sub(r"\\\1", text)


def looks_like_code(word: str) -> bool:
    """Paths, calls, identifiers with underscores or dots; not units like `µs/op` nor `e.g`."""
    return ("_" in word or word.count("/") >= 2 or word.endswith("()") or ".py" in word
            or (word.startswith("<") and ">" in word) or bool(re.fullmatch(r"[A-Za-z]\w+(\.[A-Za-z]\w+)+", word)))


def _split(word: str) -> "tuple[str, str, str]":
    """Leading and trailing punctuation (a sentence's, a parenthesis') around the word."""
    start = 0
    while start < len(word) and word[start] in "(\"'":
        start += 1
    end = len(word)
    while end > start and (word[end - 1] in TRAILING or word[end - 1] in "\"'"
                           or (word[end - 1] == ")" and not word[start:end].endswith("()"))):
        end -= 1
    return word[:start], word[start:end], word[end:]


def prose(text: str) -> str:
    """`text` with its code-like words in code spans and the rest escaped."""
    out = []
    for piece in re.split(r"(\s+)", text):
        if not piece or piece.isspace():
            out.append(piece)
            continue
        before, word, after = _split(piece)
        out.append(escape(before) + (code(word) if word and looks_like_code(word) else escape(word)) + escape(after))
    return "".join(out)
