"""A speedscope export (https://www.speedscope.app/file-format-schema.json) of the sampled
profiles in a report: per scenario, one "sampled" profile per arm (baseline, sdk), weights
in µs per operation, so the arms can be compared side by side in speedscope's viewer."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from otelaudit.model import DiffFlame, Report
from otelaudit.attribute.ownership import display_path

SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def render(report: Report) -> str:
    frames: List[Dict[str, Any]] = []
    index: Dict[Tuple[str, str], int] = {}
    profiles: List[Dict[str, Any]] = []
    for result in report.results:
        if result.flame is None:
            continue
        ids = [_frame_id(frame.function, frame.file, frames, index) for frame in result.flame.frames]
        for arm in ("baseline", "sdk"):
            profiles.append(_profile(f"{result.scenario or result.instrumentor} — {arm}", result.flame, ids, arm))
    document = {"$schema": SCHEMA, "exporter": f"otelaudit {report.otelaudit_version}",
                "name": f"otelaudit {report.created}", "activeProfileIndex": 0,
                "shared": {"frames": frames}, "profiles": profiles}
    return json.dumps(document, indent=1)


def _frame_id(function: str, file: str, frames: List[Dict[str, Any]], index: Dict[Tuple[str, str], int]) -> int:
    key = (function, file)
    if key not in index:
        index[key] = len(frames)
        frames.append({"name": function, "file": display_path(file)})
    return index[key]


def _profile(name: str, flame: DiffFlame, ids: List[int], arm: str) -> Dict[str, Any]:
    samples, weights = [], []
    for stack in flame.stacks:
        weight = stack.baseline_us if arm == "baseline" else stack.instrumented_us
        if weight > 0:
            samples.append([ids[i] for i in stack.frames])
            weights.append(round(weight, 4))
    return {"type": "sampled", "name": name, "unit": "microseconds", "startValue": 0,
            "endValue": round(sum(weights), 4), "samples": samples, "weights": weights}
