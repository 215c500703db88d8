"""Lazy-import suggestions: finds the module-level statement of a source file that
imports a given module, checks from the syntax tree that the name it binds is used only
inside function bodies, and writes the patch that moves the import into those functions
(as a unified diff, and as the patched source the verification runs)."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

_Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class ImportSite:
    line: int
    statement: str
    bound_name: str
    functions: Tuple[Tuple[str, int], ...]  # (function, def line) of each function using the name
    module_level_use: Optional[int]  # first line using the name at import time, if any


@dataclass(frozen=True)
class LazyPatch:
    site: ImportSite
    diff: str
    patched_source: str


def find_import(source: str, importer: str, module: str, is_package: bool = False) -> Optional[ImportSite]:
    """The top-level statement in `importer`'s source (a module named `importer`, a
    package's `__init__` when `is_package`) that imports `module`, with where the name
    it binds is used."""
    tree = ast.parse(source)
    for node in tree.body:
        bound = _binds(node, importer, module, is_package)
        if bound is None:
            continue
        functions, module_level = _uses(tree, bound)
        segment = ast.get_source_segment(source, node) or ""
        return ImportSite(node.lineno, segment, bound, functions, module_level)
    return None


def _binds(node: ast.stmt, importer: str, module: str, is_package: bool) -> Optional[str]:
    """The single name `node` binds to `module`, if it is such an import."""
    if isinstance(node, ast.Import) and len(node.names) == 1:
        alias = node.names[0]
        if alias.name == module and (alias.asname or "." not in alias.name):
            return alias.asname or alias.name
    if isinstance(node, ast.ImportFrom) and len(node.names) == 1:
        alias = node.names[0]
        package = _resolve(importer, node.module, node.level, is_package)
        if package is not None and (f"{package}.{alias.name}" == module or package == module):
            return alias.asname or alias.name
    return None


def _resolve(importer: str, name: Optional[str], level: int, is_package: bool) -> Optional[str]:
    if level == 0:
        return name
    # A package's __init__ resolves `.` to the package itself; a plain module to its parent.
    parts = importer.split(".")
    base = parts[: len(parts) - level + 1] if is_package else parts[: len(parts) - level]
    if not base:
        return None
    return ".".join(base + ([name] if name else []))


def _uses(tree: ast.Module, name: str) -> Tuple[Tuple[Tuple[str, int], ...], Optional[int]]:
    functions: List[Tuple[str, int]] = []
    module_level: List[int] = []

    def visit(node: ast.AST, function: Optional[_Function]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for outer in [*node.decorator_list, node.args, *( [node.returns] if node.returns else [])]:
                visit(outer, function)  # evaluated when the def runs
            for statement in node.body:
                visit(statement, node)
            return
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            if function is None:
                module_level.append(node.lineno)
            elif (function.name, function.lineno) not in functions:
                functions.append((function.name, function.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    for statement in tree.body:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            visit(statement, None)
    return tuple(functions), (min(module_level) if module_level else None)


def lazy_patch(source: str, site: ImportSite, display_path: str) -> Optional[LazyPatch]:
    """Moves the import into each function that uses it; None when the name is needed at
    import time or unused."""
    if site.module_level_use is not None or not site.functions:
        return None
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    statement = ast.get_source_segment(source, next(n for n in tree.body if n.lineno == site.line)) or site.statement
    inserts = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (node.name, node.lineno) in site.functions:
            first = node.body[0]
            docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(node.body) > 1
            anchor = node.body[1] if docstring else first
            indent = " " * anchor.col_offset
            inserts.append((anchor.lineno - 1, f"{indent}{statement}  # imported on first use, not at start-up\n"))
    end = next(n for n in tree.body if n.lineno == site.line).end_lineno or site.line
    patched: List[str] = []
    for index, text in enumerate(lines):
        patched += [line for at, line in inserts if at == index]
        if not site.line - 1 <= index < end:
            patched.append(text)
    new_source = "".join(patched)
    diff = "".join(difflib.unified_diff(lines, patched, f"a/{display_path}", f"b/{display_path}"))
    return LazyPatch(site, diff, new_source)
