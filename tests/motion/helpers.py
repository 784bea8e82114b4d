"""Small hand-made scenes for the motion tests, and checks that do not use the planner's own code:
a brute-force point-triangle distance in numpy and finite-difference derivatives of sampled poses."""

from __future__ import annotations

import math

import numpy as np
import trimesh

from bridge.motion import CameraPath
from bridge.world import Material, Mesh, Provenance, Scene


def box_scene(boxes: list[tuple[tuple[float, float, float], tuple[float, float, float]]]) -> Scene:
    """A scene of boxes (centre, extents), each a colliding mesh."""
    scene = Scene("boxes", Provenance("tests"))
    scene.add_material(Material("grey"))
    for i, (centre, extents) in enumerate(boxes):
        b = trimesh.creation.box(extents=extents)
        b.apply_translation(centre)
        scene.add_mesh(
            Mesh(
                f"box{i}", "wall", b.vertices.astype(np.float32), b.vertex_normals.astype(np.float32), b.faces
            )
        )
    return scene


GROUND = ((0.0, -0.05, 0.0), (60.0, 0.1, 60.0))


def point_triangle_distance(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Exact distance from each point to the nearest of `tris` (T, 3, 3), brute force (Ericson 5.1.5)."""
    out = np.full(len(points), np.inf)
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    for k in range(0, len(points), 64):
        p = points[k : k + 64, None, :]
        ab, ac, ap = b - a, c - a, p - a
        d1, d2 = (ab * ap).sum(-1), (ac * ap).sum(-1)
        bp = p - b
        d3, d4 = (ab * bp).sum(-1), (ac * bp).sum(-1)
        cp = p - c
        d5, d6 = (ab * cp).sum(-1), (ac * cp).sum(-1)
        va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
        denom = va + vb + vc
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(denom != 0, vb / denom, 0.0)
            w = np.where(denom != 0, vc / denom, 0.0)
        q = a + ab * v[..., None] + ac * w[..., None]  # interior projection
        cands = [q]
        for e0, e1 in ((a, b), (b, c), (c, a)):  # closest points on the three edges
            e = e1 - e0
            t = np.clip(((p - e0) * e).sum(-1) / np.maximum((e * e).sum(-1), 1e-20), 0.0, 1.0)
            cands.append(e0 + e * t[..., None])
        inside = (va >= 0) & (vb >= 0) & (vc >= 0)
        dist = np.stack([np.linalg.norm(p - x, axis=-1) for x in cands])
        dist[0] = np.where(inside, dist[0], np.inf)
        out[k : k + 64] = dist.min(0).min(-1)
    return out


def min_clearance(scene: Scene, points: np.ndarray, reach: float = 5.0) -> float:
    """Smallest distance from `points` to the scene's collision triangles (those within `reach` of the
    points' bounding box; the minimum is under `reach` whenever it matters)."""
    v, f = scene.collision_mesh()
    tris = v[f].astype(np.float64)
    lo, hi = points.min(0) - reach, points.max(0) + reach
    near = np.all((tris.max(1) >= lo) & (tris.min(1) <= hi), axis=1)
    return float(point_triangle_distance(points, tris[near]).min()) if near.any() else math.inf


def derivatives(path: CameraPath, fps: float = 100.0) -> dict[str, np.ndarray]:
    """Speed, acceleration, jerk magnitudes and yaw rate (rad/s) by finite differences of poses."""
    poses = path.poses(fps)
    t = np.array([p[0] for p in poses])
    dt = float(t[1] - t[0])
    pos = np.array([p[1][:3, 3] for p in poses])
    fwd = -np.array([p[1][:3, 2] for p in poses])
    yaw = np.unwrap(np.arctan2(-fwd[:, 0], -fwd[:, 2]))
    v = np.diff(pos, axis=0) / dt
    a = np.diff(v, axis=0) / dt
    j = np.diff(a, axis=0) / dt
    return {
        "t": t,
        "pos": pos,
        "poses": np.array([p[1] for p in poses]),
        "speed": np.linalg.norm(v, axis=1),
        "accel": np.linalg.norm(a, axis=1),
        "jerk": np.linalg.norm(j, axis=1),
        "yaw_rate": np.abs(np.diff(yaw)) / dt,
    }


def across_switch(
    old: CameraPath, t_now: float, new: CameraPath, before: float = 0.5
) -> dict[str, np.ndarray]:
    """`derivatives` of the motion a viewer sees when `new` takes over from `old` at `t_now`: poses of
    `old` for up to `before` seconds up to the switch, then of `new` from its t = 0, 100 per second."""
    dt = 0.01
    t_old = t_now - dt * np.arange(int(min(before, t_now) / dt), 0, -1)
    t_new = np.arange(0.0, new.duration + dt / 2, dt)
    poses = np.array([old.sample(float(t))[0] for t in t_old] + [new.sample(float(t))[0] for t in t_new])
    pos, fwd = poses[:, :3, 3], -poses[:, :3, 2]
    yaw = np.unwrap(np.arctan2(-fwd[:, 0], -fwd[:, 2]))
    pitch = np.arcsin(np.clip(fwd[:, 1], -1.0, 1.0))
    v = np.diff(pos, axis=0) / dt
    a = np.diff(v, axis=0) / dt
    j = np.diff(a, axis=0) / dt
    return {
        "pos": pos,
        "poses": poses,
        "switch": np.array(len(t_old)),
        "speed": np.linalg.norm(v, axis=1),
        "accel": np.linalg.norm(a, axis=1),
        "jerk": np.linalg.norm(j, axis=1),
        "yaw_rate": np.abs(np.diff(yaw)) / dt,
        "pitch_rate": np.abs(np.diff(pitch)) / dt,
    }
