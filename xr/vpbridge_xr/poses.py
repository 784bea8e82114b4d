"""Pose maths shared by the viewer: quaternions (x, y, z, w) ↔ 4×4 rigid transforms, float64 numpy."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["matrix_from_pose", "pose_from_matrix", "quat_from_matrix", "quat_to_matrix", "yaw_matrix"]


def quat_to_matrix(q: tuple[float, float, float, float] | np.ndarray) -> np.ndarray:
    """3×3 rotation of a unit quaternion (x, y, z, w); normalised first."""
    x, y, z, w = (float(v) for v in q)
    n = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def quat_from_matrix(R: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w) of a 3×3 rotation (w ≥ 0)."""
    m = np.asarray(R, np.float64)
    t = m[0, 0] + m[1, 1] + m[2, 2]
    if t > 0.0:
        s = math.sqrt(t + 1.0) * 2.0
        q = ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2.0
        q = (0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s)
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2.0
        q = ((m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s)
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2.0
        q = ((m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s)
    x, y, z, w = (float(v) for v in q)
    n = math.sqrt(x * x + y * y + z * z + w * w)
    sign = -1.0 if w < 0 else 1.0
    return (sign * x / n, sign * y / n, sign * z / n, sign * w / n)


def matrix_from_pose(
    position: tuple[float, float, float] | np.ndarray, q: tuple[float, ...] | np.ndarray
) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = quat_to_matrix(q)  # type: ignore[arg-type]
    T[:3, 3] = np.asarray(position, np.float64)
    return T


def pose_from_matrix(T: np.ndarray) -> tuple[tuple[float, float, float], tuple[float, float, float, float]]:
    p = np.asarray(T, np.float64)
    return (float(p[0, 3]), float(p[1, 3]), float(p[2, 3])), quat_from_matrix(p[:3, :3])


def yaw_matrix(yaw: float) -> np.ndarray:
    """3×3 rotation about +Y by `yaw` radians (counter-clockwise seen from above)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
