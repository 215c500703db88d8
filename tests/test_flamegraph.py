"""Differential flame graph maths on hand-made profiles: merging arms, folding small
frames into their parent, the icicle layout, and the baseline matched to work that an
instrumentation's wrapper moved one frame deeper."""

from __future__ import annotations

import pytest

from otelaudit.attribute.flamegraph import differential, layout, tree
from otelaudit.model import Frame, RawProfile

MAIN, LOOP, WORK, SPAN, TINY, WRAP = (Frame("app.py", n, name) for n, name in
                                      enumerate(["main", "loop", "work", "start_span", "tiny", "wrapper"], 1))


def profile(ops: int, stacks: dict) -> RawProfile:
    frames = (MAIN, LOOP, WORK, SPAN, TINY, WRAP)
    keys = list(stacks)
    return RawProfile(ops, 1.0, 0.0, frames, tuple(tuple(frames.index(f) for f in k) for k in keys),
                      tuple(stacks[k] for k in keys))


def test_merges_both_arms_into_one_tree_in_us_per_op():
    baseline = [profile(1000, {(MAIN, LOOP, WORK): 0.010})]
    treated = [profile(1000, {(MAIN, LOOP, WORK): 0.010, (MAIN, LOOP, SPAN): 0.005}),
               profile(1000, {(MAIN, LOOP, WORK): 0.012, (MAIN, LOOP, SPAN): 0.007})]
    flame = differential(baseline, treated)
    assert flame is not None and flame.baseline_profiles == 1 and flame.instrumented_profiles == 2
    root = tree(flame)
    assert root.baseline == pytest.approx(10.0)  # 0.010 s over 1000 ops
    assert root.instrumented == pytest.approx(17.0)  # mean of 15 and 19 µs/op
    loop = root.children[0].children[1]
    span = loop.children[flame.frames.index(next(f for f in flame.frames if f.function == "start_span"))]
    assert (span.baseline, span.instrumented) == (pytest.approx(0.0), pytest.approx(6.0))


def test_frames_too_small_to_see_fold_into_their_parent():
    treated = [profile(1000, {(MAIN, WORK): 0.010, (MAIN, WORK, TINY): 0.00001})]
    flame = differential(treated, treated, min_share=0.01)
    assert flame is not None
    assert all("tiny" not in (flame.frames[i].function for i in s.frames) for s in flame.stacks)
    assert tree(flame).instrumented == pytest.approx(10.01)  # the time stays, in work's self time


def test_layout_skips_the_trunk_and_tiles_the_width():
    baseline = [profile(100, {(MAIN, LOOP, WORK): 0.001})]
    treated = [profile(100, {(MAIN, LOOP, WORK): 0.001, (MAIN, LOOP, SPAN): 0.003})]
    flame = differential(baseline, treated)
    assert flame is not None
    laid_out = layout(flame)
    assert [flame.frames[i].function for i in laid_out.trunk] == ["main", "loop"]
    top = [b for b in laid_out.boxes if b.depth == 0]
    assert sorted(flame.frames[b.frame].function for b in top) == ["start_span", "work"]
    assert sum(b.width for b in top) == pytest.approx(1.0)
    span = next(b for b in top if flame.frames[b.frame].function == "start_span")
    assert span.width == pytest.approx(0.75) and span.baseline_us == 0.0


def test_no_profiles_no_flame_graph():
    assert differential([], [profile(1, {(MAIN,): 0.1})]) is None


def boxes_by_name(flame):
    return {(flame.frames[b.frame].function, b.depth): b for b in layout(flame).boxes}


def test_work_a_wrapper_moved_deeper_is_compared_with_the_same_work_in_the_baseline():
    baseline = [profile(1000, {(MAIN, LOOP, WORK): 0.010, (MAIN, LOOP, TINY): 0.002})]
    treated = [profile(1000, {(MAIN, LOOP, WRAP, WORK): 0.010, (MAIN, LOOP, WRAP): 0.001,
                              (MAIN, LOOP, WRAP, SPAN): 0.003, (MAIN, LOOP, TINY): 0.002})]
    flame = differential(baseline, treated)
    assert flame is not None
    boxes = boxes_by_name(flame)
    work, wrapper, span = boxes["work", 1], boxes["wrapper", 0], boxes["start_span", 1]
    assert work.baseline_us == pytest.approx(10.0) and work.instrumented_us == pytest.approx(10.0)  # unchanged
    assert wrapper.baseline_us == pytest.approx(10.0)  # what it wraps: its change is its own +4 µs, not +14
    assert wrapper.instrumented_us - wrapper.baseline_us == pytest.approx(4.0)
    assert span.baseline_us == 0.0 and span.instrumented_us == pytest.approx(3.0)


def test_baseline_work_reached_by_two_instrumented_paths_is_shared_not_counted_twice():
    baseline = [profile(1000, {(MAIN, LOOP, WORK): 0.010, (MAIN, LOOP, TINY): 0.001})]
    treated = [profile(1000, {(MAIN, LOOP, WORK): 0.006, (MAIN, LOOP, WRAP, WORK): 0.006,
                              (MAIN, LOOP, TINY): 0.001})]
    flame = differential(baseline, treated)
    assert flame is not None
    boxes = boxes_by_name(flame)
    assert boxes["work", 0].baseline_us + boxes["work", 1].baseline_us == pytest.approx(10.0)
    assert boxes["work", 0].baseline_us == pytest.approx(5.0)
