"""The shape of the package, measured over its source: no import circles (deferred and
TYPE_CHECKING imports included: they only hide a circle), no module over 300 lines, one
interleave function for every A/B loop, one path that spawns measuring children."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "otelaudit"
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: Set[str]) -> Set[str]:
    """Every otelaudit module this file imports, wherever the import statement is."""
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name in known}


def import_graph() -> Dict[str, Set[str]]:
    known = modules()
    return {name: imports_of(path, set(known)) - {name} for name, path in known.items()}


def circles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_faces(graph: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    """A package's __init__ re-exporting its own modules is its face, not a circle: drop
    the edges from a package to its own submodules."""
    return {name: {m for m in targets if not m.startswith(name + ".")} for name, targets in graph.items()}


def calls_to(attribute: str) -> Dict[str, int]:
    """Modules that call `<anything>.attribute(...)`, with how many times."""
    counts: Dict[str, int] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hits = sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call)
                   and isinstance(node.func, ast.Attribute) and node.func.attr == attribute)
        if hits:
            counts[name] = hits
    return counts


def test_no_import_circles():
    assert circles(package_faces(import_graph())) == []


def test_circles_are_found_when_there_are_some():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_300_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_ab_loop_shuffles_through_one_interleave_function():
    assert set(calls_to("shuffle")) == {"otelaudit.plan.interleave"}


def test_measuring_children_are_spawned_in_one_place():
    """Servers are long-lived peers and pip builds environments; every measuring child
    (scan, what-if, cold start, auto-instrumentation, compare) starts in the runner."""
    spawners = set(calls_to("run")) & {name for name, path in modules().items()
                                        if "subprocess" in path.read_text(encoding="utf-8")}
    spawners |= set(calls_to("Popen"))
    allowed = {"otelaudit.run.runner", "otelaudit.run.forkserver", "otelaudit.servers.running", "otelaudit.servers.native",
               "otelaudit.servers.postgres", "otelaudit.compare.envs", "otelaudit.child.appserver"}
    assert spawners - allowed == set()
