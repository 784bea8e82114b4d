"""Readback: float16 depth straight from GL keeps half-float precision and the sky, and results are
fresh — the renderer never writes an array again while anything (the caller, ZeroMQ) still holds it."""

from __future__ import annotations

import gc
import math
from typing import Any

import numpy as np
import pytest
import zmq

from bridge.errors import ConfigError
from bridge.render import SceneRenderer, fov_from_vertical
from bridge.render.targets import ArrayPool
from bridge.world.scene import look_at

from .helpers import make_job

HALF_EPS = 2.0**-10
"""float16 spacing relative to a value in [1, 2): the worst case of round-to-nearest is half of it,
truncation (what llvmpipe's conversion does) all of it."""


def _poses(n: int) -> list[np.ndarray]:
    return [look_at((-3.0 + 0.7 * i, 2.0 + 0.1 * i, 4.0), (2.0, 1.0, -10.0)) for i in range(n)]


def test_float16_depth_is_float32_depth_to_half_float_precision_with_sky_kept(
    renderer: SceneRenderer,
) -> None:
    T = look_at((-3.0, 2.5, 4.0), (2.0, 1.0, -10.0))
    d32 = renderer.render(make_job(T, 160, 120)).views[0].depth
    d16 = renderer.render(make_job(T, 160, 120, depth_dtype="float16")).views[0].depth
    assert d32 is not None and d16 is not None
    assert d32.dtype == np.float32 and d16.dtype == np.float16 and d16.shape == (120, 160)
    sky = np.isinf(d32)
    assert sky.any() and (~sky).mean() > 0.5
    assert np.array_equal(np.isposinf(d16), sky), "+inf (sky) must survive, and only there"
    assert np.isfinite(d16[~sky]).all()
    rel = np.abs(d16[~sky].astype(np.float64) - d32[~sky]) / d32[~sky]
    assert rel.max() <= HALF_EPS, f"float16 depth off by {rel.max():.2e} (half-float spacing {HALF_EPS:.2e})"


def test_float16_depth_holds_distant_geometry_and_rejects_unknown_dtypes(renderer: SceneRenderer) -> None:
    # The set seen through a telephoto lens from ~1.5 km, near the default far plane (2000 m): depths in
    # float16's coarsest range used (1 m spacing above 1024 m) must neither overflow nor drift.
    T = look_at((0.0, 800.0, 1300.0), (0.0, 0.0, -5.0))
    fov = fov_from_vertical(math.radians(2.5), 96, 64)
    d32 = renderer.render(make_job(T, 96, 64, fov=fov, near=1.0)).views[0].depth
    d16 = renderer.render(make_job(T, 96, 64, fov=fov, near=1.0, depth_dtype="float16")).views[0].depth
    assert d16 is not None and d32 is not None
    hit = np.isfinite(d32)
    assert hit.mean() > 0.5 and float(d32[hit].min()) > 1024.0
    assert np.array_equal(np.isfinite(d16), hit)
    assert (np.abs(d16[hit].astype(np.float64) - d32[hit]) / d32[hit]).max() <= HALF_EPS
    with pytest.raises(ConfigError, match="depth_dtype"):
        renderer.render(make_job(T, 16, 16, depth_dtype="float64"))


def test_results_are_fresh_and_a_held_frame_is_never_written_again(renderer: SceneRenderer) -> None:
    poses = _poses(5)
    first = renderer.render(make_job(poses[0], want_ids=True, depth_dtype="float16"))
    assert first.fresh
    v = first.views[0]
    assert v.color is not None and v.depth is not None and v.ids is not None
    saved = (v.color.copy(), v.depth.copy(), v.ids.copy())
    seen = {a.ctypes.data for a in (v.color, v.depth, v.ids)}
    for T in poses[1:]:
        later = renderer.render(make_job(T, want_ids=True, depth_dtype="float16")).views[0]
        for a in (later.color, later.depth, later.ids):
            assert a is not None and a.ctypes.data not in seen, "an array still held was handed out again"
    assert np.array_equal(v.color, saved[0])
    assert np.array_equal(v.depth, saved[1])
    assert np.array_equal(v.ids, saved[2])


def test_released_arrays_are_recycled_so_steady_rendering_allocates_nothing(renderer: SceneRenderer) -> None:
    poses = _poses(8)
    for T in poses[:2]:  # warm up this size's targets and pools
        renderer.render(make_job(T, 120, 90, depth_dtype="float16"))
    pools = renderer._outputs[(120, 90, "float16")].pools
    before = {name: p.allocated for name, p in pools.items()}
    addresses = set()
    for T in poses[2:]:
        v = renderer.render(make_job(T, 120, 90, depth_dtype="float16")).views[0]
        assert v.color is not None
        addresses.add(v.color.ctypes.data)
        del v
    assert {name: p.allocated for name, p in pools.items()} == before
    assert len(addresses) == 1


def test_pool_keeps_arrays_referenced_through_views_and_trims_spares() -> None:
    pool = ArrayPool((4, 5, 4), np.uint8, spare=1, cap=8)
    a = pool.take()
    view = a[1:, :, :3]  # numpy collapses view bases: this references `a` itself
    del a
    b = pool.take()
    assert not np.shares_memory(b, view)
    mv = b.data  # a memoryview: holds `b`
    del b
    c = pool.take()
    assert not np.shares_memory(c, view) and pool.allocated == 3
    del view, mv, c
    gc.collect()
    pool.take()  # three free: one taken, one kept spare, one released
    assert pool.nbytes == 2 * 4 * 5 * 4 and pool.allocated == 3


def test_buffers_zeromq_is_still_sending_are_not_reused(renderer: SceneRenderer) -> None:
    """Zero-copy sends to a peer that reads nothing until the end: each message still references the
    renderer's arrays, so later renders must not write them (inproc hands the very buffers across)."""
    ctx: zmq.Context[Any] = zmq.Context()
    tx, rx = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    try:
        tx.copy_threshold = 0  # zero-copy whatever the size
        rx.bind("inproc://readback-pool")
        tx.connect("inproc://readback-pool")
        expected, sent_at = [], []
        for T in _poses(6):
            v = renderer.render(make_job(T, depth_dtype="float16")).views[0]
            assert v.color is not None and v.depth is not None
            expected.append((v.color.tobytes(), v.depth.tobytes()))
            sent_at.append((v.color.ctypes.data, v.depth.ctypes.data))
            tx.send_multipart([v.color, v.depth], copy=False)
            del v  # only ZeroMQ holds this frame's arrays now
        gc.collect()
        for (color, depth), addrs in zip(expected, sent_at, strict=True):
            got = rx.recv_multipart(copy=False)
            assert tuple(np.frombuffer(f.buffer, np.uint8).ctypes.data for f in got) == addrs, "not zero-copy"
            assert got[0].bytes == color and got[1].bytes == depth, "a buffer was reused while queued"
    finally:
        tx.close(linger=0)
        rx.close(linger=0)
        ctx.term()
