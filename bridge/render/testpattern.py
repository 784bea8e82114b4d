"""A deterministic, pose-dependent test source for protocol tests and transport benchmarks.

It ray-casts an analytic world (a checkered ground plane at y=0 and a gradient sky) with numpy, so
tests can predict every pixel and every depth. It is a test source, never the product default.
"""

from __future__ import annotations

import time

import numpy as np

from bridge.render.source import FovAngles, RenderedView, RenderJob, RenderResult

__all__ = ["TestPatternSource", "expected_ground_depth"]


def _rays(T: np.ndarray, fov: FovAngles, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel camera-space directions (z = -1 plane) and world-space directions."""
    fx, fy, cx, cy = fov.intrinsics(w, h)
    u = (np.arange(w, dtype=np.float32) + 0.5 - cx) / fx
    v = (cy - (np.arange(h, dtype=np.float32) + 0.5)) / fy
    d_cam = np.empty((h, w, 3), np.float32)
    d_cam[..., 0] = u[None, :]
    d_cam[..., 1] = v[:, None]
    d_cam[..., 2] = -1.0
    d_world = d_cam @ T[:3, :3].T.astype(np.float32)
    return d_cam, d_world


def expected_ground_depth(T: np.ndarray, fov: FovAngles, w: int, h: int) -> np.ndarray:
    """Linear depth (along −Z) of the ground plane y=0 for each pixel; +inf where the ray misses it."""
    _, d = _rays(T, fov, w, h)
    oy = float(T[1, 3])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -oy / d[..., 1]
    return np.where((t > 0) & np.isfinite(t), t, np.inf).astype(np.float32)


class TestPatternSource:
    """Checkered ground and gradient sky. Identical requests return the same (cached, immutable) arrays."""

    __test__ = False  # not a pytest class
    name = "testpattern"

    def __init__(self) -> None:
        self._cache_key: tuple[object, ...] | None = None
        self._cache: list[RenderedView] = []

    def render(self, job: RenderJob) -> RenderResult:
        t0 = time.monotonic_ns()
        key = (tuple(np.round(v.T_world_camera, 9).ravel().tolist()) + (v.fov,) for v in job.views)
        cache_key = (
            tuple(key),
            job.width,
            job.height,
            job.want_depth,
            job.want_ids,
            job.projection,
            job.depth_dtype,
        )
        if cache_key != self._cache_key:
            self._cache = [self._render_view(v.T_world_camera, v.fov, job) for v in job.views]
            self._cache_key = cache_key
        return RenderResult(
            self._cache,
            scene_version=1,
            look=str(job.params.get("look", "neutral")),
            provenance="testpattern",
            t_render_start_ns=t0,
            t_render_end_ns=time.monotonic_ns(),
            fresh=True,
        )

    def _render_view(self, T: np.ndarray, fov: FovAngles, job: RenderJob) -> RenderedView:
        w, h = job.width, job.height
        T = np.asarray(T, np.float64)
        _, d = _rays(T, fov, w, h)
        depth = expected_ground_depth(T, fov, w, h)
        hit = np.isfinite(depth)
        px = T[0, 3] + d[..., 0] * np.where(hit, depth, 0.0)
        pz = T[2, 3] + d[..., 2] * np.where(hit, depth, 0.0)
        checker = (np.floor(px) + np.floor(pz)) % 2 == 0
        color = np.empty((h, w, 4), np.uint8)
        color[..., 3] = 255
        sky_t = np.clip(d[..., 1] / np.linalg.norm(d, axis=-1), 0.0, 1.0)
        for c, (ground_a, ground_b, sky_lo, sky_hi) in enumerate(
            ((200, 60, 180, 40), (200, 60, 200, 90), (200, 60, 230, 200))
        ):
            ground = np.where(checker, ground_a, ground_b)
            sky = sky_lo + (sky_hi - sky_lo) * sky_t
            color[..., c] = np.where(hit, ground, sky).astype(np.uint8)
        ids = np.where(hit, 1, 0).astype(np.uint16) if job.want_ids else None
        if job.depth_dtype == "float16":
            depth = depth.astype(np.float16)  # as the wire carries it: the server sends it as is
        for a in (color, depth, ids):
            if a is not None:
                a.setflags(write=False)
        return RenderedView(color, depth if job.want_depth else None, ids)

    def close(self) -> None:
        self._cache = []
