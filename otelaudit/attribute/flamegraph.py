"""Differential flame graphs: the baseline and instrumented profiles of one scenario merged
into one call tree of functions, each node carrying µs per operation in both arms. The
tree is stored in the report (`DiffFlame`) and laid out for the HTML report here, so the
renderer only draws rectangles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from otelaudit.model import DiffFlame, FlameStack, Frame, RawProfile
from otelaudit.attribute.ownership import Ownership

MIN_SHARE = 0.002  # nodes under this share of the larger arm's total fold into their parent
FunctionKey = Tuple[str, str]  # (file, function): a flame graph merges a function's lines


@dataclass
class Node:
    """A call-tree node: inclusive µs per op (`baseline`, `instrumented`) and the children."""

    frame: int
    baseline: float = 0.0
    instrumented: float = 0.0
    children: Dict[int, "Node"] = field(default_factory=dict)

    @property
    def delta(self) -> float:
        return self.instrumented - self.baseline


def differential(baseline: Sequence[RawProfile], instrumented: Sequence[RawProfile],
                 ownership: Optional[Ownership] = None, *, min_share: float = MIN_SHARE) -> Optional[DiffFlame]:
    """Merges each arm's profiles (mean µs per op over its profiles) into one pruned tree."""
    if not baseline or not instrumented:
        return None
    index: Dict[FunctionKey, int] = {}
    root = Node(-1)
    for profiles, arm in ((baseline, "baseline"), (instrumented, "instrumented")):
        for profile in profiles:
            _add(root, profile, index, arm, 1.0 / len(profiles))
    floor = max(root.baseline, root.instrumented) * min_share
    stacks: List[FlameStack] = []
    _flatten(root, (), floor, stacks)
    frames = tuple(Frame(file, 0, function, ownership.owner_name(file) if ownership and not file.startswith("<") else None)
                   for file, function in index)
    return DiffFlame(frames, tuple(stacks), len(baseline), len(instrumented))


def _add(root: Node, profile: RawProfile, index: Dict[FunctionKey, int], arm: str, weight: float) -> None:
    keys = [index.setdefault((f.file, f.function), len(index)) for f in profile.frames]
    scale = weight * 1e6 / max(profile.ops, 1)
    for stack, seconds in zip(profile.stacks, profile.seconds):
        us = seconds * scale
        node = root
        _credit(node, arm, us)
        for frame in stack:
            node = node.children.setdefault(keys[frame], Node(keys[frame]))
            _credit(node, arm, us)


def _credit(node: Node, arm: str, us: float) -> None:
    if arm == "baseline":
        node.baseline += us
    else:
        node.instrumented += us


def _flatten(node: Node, path: Tuple[int, ...], floor: float, out: List[FlameStack]) -> None:
    """Emits each kept node's self time; children under `floor` stay in their parent's self."""
    self_baseline, self_instrumented = node.baseline, node.instrumented
    for child in node.children.values():
        if max(child.baseline, child.instrumented) < floor:
            continue
        self_baseline -= child.baseline
        self_instrumented -= child.instrumented
        _flatten(child, path + (child.frame,), floor, out)
    if path and (self_baseline > 1e-9 or self_instrumented > 1e-9):
        out.append(FlameStack(path, round(max(self_baseline, 0.0), 4), round(max(self_instrumented, 0.0), 4)))


def tree(flame: DiffFlame) -> Node:
    """The stored stacks as a call tree again, with inclusive times."""
    root = Node(-1)
    for stack in flame.stacks:
        node = root
        node.baseline += stack.baseline_us
        node.instrumented += stack.instrumented_us
        for frame in stack.frames:
            node = node.children.setdefault(frame, Node(frame))
            node.baseline += stack.baseline_us
            node.instrumented += stack.instrumented_us
    return root


@dataclass(frozen=True)
class Box:
    """A laid-out flame graph rectangle: x and width as fractions of the root's width;
    `baseline_us` is the baseline's time for the same work (see `matched_baseline`)."""

    frame: int
    depth: int
    x: float
    width: float
    baseline_us: float
    instrumented_us: float


@dataclass(frozen=True)
class Layout:
    """The boxes below the trunk: the chain of frames every sample passes through (the
    interpreter, the event loop, the harness), which is listed instead of drawn."""

    trunk: Tuple[int, ...]
    boxes: Tuple[Box, ...]


Path = Tuple[int, ...]


def layout(flame: DiffFlame) -> Layout:
    """Icicle layout, root on top: width is the instrumented arm's inclusive time (the
    differential flame graph convention); colour, chosen by the renderer, is the change.
    Work that vanished entirely has no width in the instrumented arm and does not show."""
    root = tree(flame)
    top, path = root, ()  # type: Node, Path
    trunk: List[int] = []
    while len(top.children) == 1 and next(iter(top.children.values())).children:
        top = next(iter(top.children.values()))
        trunk.append(top.frame)
        path += (top.frame,)
    total = top.instrumented
    if total <= 0:
        return Layout(tuple(trunk), ())
    baseline = matched_baseline(root)
    boxes: List[Box] = []

    def place(node: Node, at: Path, depth: int, x: float) -> None:
        for child in sorted(node.children.values(), key=lambda n: _label_key(flame, n.frame)):
            width = child.instrumented / total
            if width > 0:
                boxes.append(Box(child.frame, depth, x, width, baseline[at + (child.frame,)], child.instrumented))
                place(child, at + (child.frame,), depth + 1, x)
                x += width

    place(top, path, 0, 0.0)
    return Layout(tuple(trunk), tuple(boxes))


def matched_baseline(root: Node) -> Dict[Path, float]:
    """For each instrumented stack, the baseline time of the same work. An instrumentation
    wraps library calls, so the library's frames sit one or more wrapper frames deeper
    than in the baseline and no stack matches as it is: a stack is matched with its
    functions that the baseline never ran left out, the baseline's time there shared
    among the stacks that match it by their instrumented time, and a frame the baseline
    never ran is given what its children matched (a wrapper's own change is then its
    extra work, not the whole call it wraps)."""
    nodes = _nodes(root)
    at_baseline = {path: node.baseline for path, node in nodes if node.baseline > 0}
    ran = {path[-1] for path in at_baseline}
    claims: Dict[Path, List[Tuple[Path, float]]] = {}
    for path, node in nodes:
        if path[-1] in ran:
            claims.setdefault(tuple(f for f in path if f in ran), []).append((path, node.instrumented))
    matched: Dict[Path, float] = {}
    for projected, claimants in claims.items():
        shared = sum(time for _, time in claimants) or 1.0
        for path, time in claimants:
            matched[path] = at_baseline.get(projected, 0.0) * (time / shared if len(claimants) > 1 else 1.0)
    for path, node in sorted(nodes, key=lambda item: -len(item[0])):  # children before parents
        if path not in matched:
            matched[path] = sum(matched[path + (child,)] for child in node.children)
    return matched


def _nodes(root: Node) -> List[Tuple[Path, Node]]:
    found: List[Tuple[Path, Node]] = []
    stack: List[Tuple[Path, Node]] = [((child.frame,), child) for child in root.children.values()]
    while stack:
        path, node = stack.pop()
        found.append((path, node))
        stack += [(path + (child.frame,), child) for child in node.children.values()]
    return found


def _label_key(flame: DiffFlame, frame: int) -> Tuple[str, str]:
    return flame.frames[frame].function, flame.frames[frame].file
