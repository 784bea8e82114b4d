"""`DistanceField`: the scene's colliders in an open3d `RaycastingScene`, built once per scene. It
answers the planner's questions: distance to the nearest collider, whether a segment keeps a
clearance, and where the ground is under a point (downward rays)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bridge._optional import require
from bridge.world.scene import Scene

__all__ = ["DistanceField"]


class DistanceField:
    """Exact unsigned distance to the scene's collision triangles (open3d, BVH on the CPU)."""

    def __init__(self, scene: Scene) -> None:
        o3d: Any = require("open3d", "camera planning (distance queries against colliders)")
        self._o3c = o3d.core
        verts, faces = scene.collision_mesh()
        self.triangle_count = len(faces)
        # the colliders' own bounds: the search region never needs to reach past them by much
        self.lo = np.asarray(verts.min(0) if len(verts) else np.zeros(3), np.float64)
        self.hi = np.asarray(verts.max(0) if len(verts) else np.zeros(3), np.float64)
        self._rs = o3d.t.geometry.RaycastingScene()
        if len(faces):
            self._rs.add_triangles(
                self._o3c.Tensor(np.ascontiguousarray(verts, np.float32)),
                self._o3c.Tensor(np.ascontiguousarray(faces, np.uint32)),
            )

    def distance(self, points: np.ndarray) -> np.ndarray:
        """(N,) distance in metres from each point to the nearest collider (inf when there is none)."""
        p = np.ascontiguousarray(np.asarray(points, np.float32).reshape(-1, 3))
        if self.triangle_count == 0:
            return np.full(len(p), np.inf)
        if not len(p):
            return np.zeros(0)
        return np.asarray(self._rs.compute_distance(self._o3c.Tensor(p)).numpy(), np.float64)

    def segment_clear(self, a: np.ndarray, b: np.ndarray, required: float, step: float = 0.25) -> bool:
        """True when every point of segment a→b is at least `required` from every collider.

        Samples `step` apart must keep `required + step/2`, which covers the points between them.
        """
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        n = max(2, int(np.ceil(np.linalg.norm(b - a) / step)) + 1)
        pts = a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)
        h = float(np.linalg.norm(b - a)) / (n - 1)
        return bool(np.all(self.distance(pts) >= required + h / 2))

    def ground(self, points: np.ndarray, max_drop: float = 1e4) -> tuple[np.ndarray, np.ndarray]:
        """Cast a ray straight down from each point: (height of the first hit or nan, hit normal's Y)."""
        p = np.asarray(points, np.float32).reshape(-1, 3)
        if self.triangle_count == 0 or not len(p):
            return np.full(len(p), np.nan), np.zeros(len(p))
        rays = np.zeros((len(p), 6), np.float32)
        rays[:, :3], rays[:, 4] = p, -1.0
        hit = self._rs.cast_rays(self._o3c.Tensor(rays))
        t = hit["t_hit"].numpy().astype(np.float64)
        ny = np.abs(hit["primitive_normals"].numpy()[:, 1]).astype(np.float64)
        t[~np.isfinite(t) | (t > max_drop)] = np.nan
        return p[:, 1] - t, ny
