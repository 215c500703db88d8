"""Mechanical patch suggestions as unified diffs against the installed source file.

Only one change is mechanical enough to write for someone else: a call whose arguments
are all constants, made on every operation, hoisted to a module-level constant computed
once at import time. Anything else gets prose from the rule instead of a guessed diff.
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import List, Optional


def hoist_constant_call(file: str, line: int, callee: str, display_path: str) -> Optional[str]:
    """A diff computing `callee(<constants>)` on `line` once, at import; None if unsafe."""
    try:
        with open(file, encoding="utf-8") as handle:
            source = handle.read()
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None
    call = _constant_call_on_line(tree, line, callee)
    if call is None or call.end_lineno != call.lineno or call.end_col_offset is None:
        return None
    lines = source.splitlines(keepends=True)
    text = lines[line - 1]
    expression = text[call.col_offset:call.end_col_offset]
    name = _constant_name(callee, call)
    if re.search(rf"\b{name}\b", source):
        return None  # the name is taken; a human should choose one
    patched = list(lines)
    patched[line - 1] = text[:call.col_offset] + name + text[call.end_col_offset:]
    insert_at = _after_imports(tree)
    patched.insert(insert_at, f"{name} = {expression}  # computed once, not on every operation\n")
    diff = difflib.unified_diff(lines, patched, f"a/{display_path}", f"b/{display_path}")
    return "".join(diff)


def _constant_call_on_line(tree: ast.AST, line: int, callee: str) -> Optional[ast.Call]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno != line:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        arguments = list(node.args) + [k.value for k in node.keywords]
        if name == callee and all(_is_constant(a) for a in arguments):
            return node
    return None


def _is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    # __name__ is fixed for a module, so get_tracer(__name__) is as constant as a literal.
    return isinstance(node, ast.Name) and node.id == "__name__"


def _constant_name(callee: str, call: ast.Call) -> str:
    words: List[str] = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", "_".join(words + [callee])).strip("_").upper()
    return f"_{slug or 'CACHED'}"


def _after_imports(tree: ast.Module) -> int:
    """The 0-based line index just after the last top-level import (or the docstring)."""
    imports = [n.end_lineno or n.lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if imports:
        return max(imports)
    first = tree.body[0] if tree.body else None
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return (first.end_lineno or 0) if first is not None and is_docstring else 0
