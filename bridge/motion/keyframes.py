"""Smooth camera paths through keyframe poses: centripetal Catmull-Rom positions and slerped
orientations, resampled at constant speed. (Collision-aware planning builds on this.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from bridge.errors import ConfigError

__all__ = ["keyframe_path"]


def _catmull_rom(p: np.ndarray, samples_per_segment: int) -> np.ndarray:
    """Dense centripetal Catmull-Rom through all points (endpoints duplicated)."""
    pts = np.vstack([p[0], p, p[-1]])
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        t = np.linspace(0.0, 1.0, samples_per_segment, endpoint=False)[:, None]
        t2, t3 = t * t, t * t * t
        out.append(
            0.5
            * (
                (2 * p1)
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
            )
        )
    out.append(p[-1][None])
    return np.vstack(out)


def keyframe_path(keyframes: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    """`n` poses (4×4 T_world_camera) moving at constant speed through the keyframes, in order."""
    if len(keyframes) < 2:
        raise ConfigError(f"`keyframes` needs at least 2 poses, got {len(keyframes)}")
    if n < 2:
        raise ConfigError(f"`n` must be at least 2, got {n}")
    k = np.asarray(keyframes, np.float64)
    dense = _catmull_rom(k[:, :3, 3], 64)
    seg = np.linalg.norm(np.diff(dense, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    # keyframe parameter along the dense curve: keyframe i sits at sample i*64
    key_s = s[np.arange(len(k)) * 64]
    # equal distances; when the camera only turns, fall back to equal time
    targets = np.linspace(0.0, s[-1], n) if s[-1] > 1e-6 else np.zeros(n)
    rot = Slerp(np.arange(len(k)), Rotation.from_matrix(k[:, :3, :3]))
    poses = []
    for j, target in enumerate(targets):
        if s[-1] > 1e-6:
            idx = min(int(np.searchsorted(s, target)), len(dense) - 1)
            pos = dense[idx]
            u = float(np.interp(target, key_s, np.arange(len(k))))
        else:
            pos, u = k[0, :3, 3], (len(k) - 1) * j / (n - 1)
        T = np.eye(4)
        T[:3, :3] = rot(min(u, len(k) - 1)).as_matrix()
        T[:3, 3] = pos
        poses.append(T)
    return poses
