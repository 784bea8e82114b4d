"""The tracking-space rig: where the headset's STAGE space sits in the world.

OpenXR reports the head and the controllers in the STAGE reference space (origin on the floor at the
centre of the play area, Y up). Locomotion never moves the user's body: it moves the rig, the world
pose of that STAGE origin, which is a position and a yaw (the floor stays level, so no pitch or roll).
`world = world_from_stage() @ stage`.

Conventions: metres, Y up, right-handed; poses are 4×4 matrices in the OpenGL camera convention
(−Z forward, +Y up); yaw is the rotation about +Y, counter-clockwise seen from above (a positive
yaw turns the view to the left). Quaternions are (x, y, z, w), as OpenXR's `XrQuaternionf`.
Nothing here imports OpenXR or GL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "Rig",
    "matrix_from_pose",
    "pose_from_matrix",
    "quat_from_matrix",
    "rot_y",
    "yaw_of",
]

ArrayLike = np.ndarray | Sequence[float]


def rot_y(angle: float) -> np.ndarray:
    """3×3 rotation about +Y by `angle` radians (counter-clockwise seen from above)."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def yaw_of(T: np.ndarray) -> float:
    """The heading of a pose: the yaw that turns −Z onto the pose's forward direction projected on
    the floor. Looking straight up or down, the head's up vector gives the heading instead."""
    R = np.asarray(T, np.float64)[:3, :3]
    f = -R[:, 2]
    if math.hypot(f[0], f[2]) < 1e-6:  # looking straight down (up): the top of the head points ahead (back)
        f = R[:, 1] * (-math.copysign(1.0, f[1]))
    return math.atan2(-f[0], -f[2])


def quat_from_matrix(R: np.ndarray) -> np.ndarray:
    """Unit quaternion (x, y, z, w) of a 3×3 rotation, w ≥ 0 (Shepperd's method)."""
    m = np.asarray(R, np.float64)[:3, :3]
    tr = float(np.trace(m))
    if tr > 0.0:
        s = math.sqrt(tr + 1.0) * 2.0
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2.0
        q = [0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s]
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2.0
        q = [(m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s]
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2.0
        q = [(m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s]
    out = np.asarray(q, np.float64)
    out /= np.linalg.norm(out)
    return -out if out[3] < 0 else out


def matrix_from_pose(position: ArrayLike, orientation_xyzw: ArrayLike) -> np.ndarray:
    """4×4 pose from an OpenXR `XrPosef` (position, quaternion x y z w)."""
    x, y, z, w = (float(v) for v in orientation_xyzw)
    n = math.sqrt(x * x + y * y + z * z + w * w)
    if n < 1e-12:
        raise ValueError("`orientation_xyzw` is a zero quaternion (an untracked pose?)")
    x, y, z, w = x / n, y / n, z / n, w / n
    T = np.eye(4)
    T[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    T[:3, 3] = np.asarray(position, np.float64)[:3]
    return T


def pose_from_matrix(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position (3,), quaternion x y z w (4,)) of a rigid 4×4 pose."""
    T = np.asarray(T, np.float64)
    return T[:3, 3].copy(), quat_from_matrix(T[:3, :3])


class Rig:
    """World pose of the STAGE origin: a position and a yaw. Every locomotion tool moves this.

    `head_in_stage` arguments are the head's (or the view's) 4×4 pose in STAGE space as the runtime
    reports it this frame; the rig never changes what the runtime tracks, only where it is in the world.
    """

    def __init__(self, position: ArrayLike = (0.0, 0.0, 0.0), yaw: float = 0.0) -> None:
        self.position = np.asarray(position, np.float64).reshape(3).copy()
        self.yaw = float(yaw)

    def __repr__(self) -> str:
        p = ", ".join(f"{v:.3f}" for v in self.position)
        return f"Rig(position=({p}), yaw={math.degrees(self.yaw):.1f}°)"

    # -- transforms -----------------------------------------------------------------------------

    def world_from_stage(self) -> np.ndarray:
        """4×4 transform from STAGE to world coordinates."""
        T = np.eye(4)
        T[:3, :3] = rot_y(self.yaw)
        T[:3, 3] = self.position
        return T

    def stage_from_world(self) -> np.ndarray:
        """The inverse of `world_from_stage`."""
        T = np.eye(4)
        R = rot_y(-self.yaw)
        T[:3, :3] = R
        T[:3, 3] = -R @ self.position
        return T

    def to_world(self, T_stage: np.ndarray) -> np.ndarray:
        """A STAGE pose (4×4, or a stack (N, 4, 4)) in world coordinates."""
        return np.asarray(self.world_from_stage() @ np.asarray(T_stage, np.float64))

    def point_to_world(self, p_stage: ArrayLike) -> np.ndarray:
        """A STAGE point (3,) or points (N, 3) in world coordinates."""
        p = np.asarray(p_stage, np.float64)
        return np.asarray(p @ rot_y(self.yaw).T + self.position)

    def direction_to_world(self, d_stage: ArrayLike) -> np.ndarray:
        """A STAGE direction (3,) or directions (N, 3) in world coordinates (rotation only)."""
        return np.asarray(np.asarray(d_stage, np.float64) @ rot_y(self.yaw).T)

    def reference_space_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """(position, quaternion x y z w) to pass as `poseInReferenceSpace` when creating a STAGE
        reference space, so that poses located in that space are world poses.

        With `XrReferenceSpaceCreateInfo.poseInReferenceSpace = P`, the new space's origin sits at P in
        STAGE, so a pose the runtime tracks at T_stage is reported as inv(P) @ T_stage. World poses need
        inv(P) = world_from_stage, hence P = stage_from_world.
        """
        return pose_from_matrix(self.stage_from_world())

    # -- locomotion -----------------------------------------------------------------------------

    def head_world(self, head_in_stage: np.ndarray) -> np.ndarray:
        """World position (3,) of the head."""
        return np.asarray(self.to_world(head_in_stage)[:3, 3])

    def teleport(self, target_floor_point: ArrayLike, head_in_stage: np.ndarray) -> None:
        """Move (without turning) so that the head is straight above `target_floor_point` and the
        STAGE floor lies on it: the user stands on the target at their own real height."""
        target = np.asarray(target_floor_point, np.float64).reshape(3)
        h = np.asarray(head_in_stage, np.float64)[:3, 3]
        offset = rot_y(self.yaw) @ np.array([h[0], 0.0, h[2]])
        self.position = target - offset

    def snap_turn(self, angle_rad: float, head_in_stage: np.ndarray) -> None:
        """Turn by `angle_rad` about the vertical axis through the head (positive = to the left): the
        head keeps its world position, only the view direction changes."""
        h = self.head_world(head_in_stage)
        R = rot_y(angle_rad)
        self.position = h + R @ (self.position - h)
        self.yaw = _wrap_angle(self.yaw + angle_rad)

    def fly(self, direction_world: ArrayLike, dt: float, speed: float) -> None:
        """Translate along `direction_world` (its length, clipped to 1, scales the speed) for `dt`
        seconds at `speed` m/s."""
        d = np.asarray(direction_world, np.float64).reshape(3)
        n = float(np.linalg.norm(d))
        if n > 1.0:
            d = d / n
        self.position = self.position + d * (float(speed) * float(dt))

    def translate(self, delta_world: ArrayLike) -> None:
        """Move the rig (and so the user) by `delta_world` metres."""
        self.position = self.position + np.asarray(delta_world, np.float64).reshape(3)

    def set_from_bookmark(self, T_world_camera: np.ndarray, head_in_stage: np.ndarray) -> None:
        """Jump so that the head is at the bookmark's eye and faces its heading (yaw only: the user's
        own pitch and roll stay theirs). The eye height is the bookmark's: the floor of the play area
        ends up the user's tracked head height below the bookmark's eye."""
        Tc = np.asarray(T_world_camera, np.float64)
        Th = np.asarray(head_in_stage, np.float64)
        self.yaw = _wrap_angle(yaw_of(Tc) - yaw_of(Th))
        self.position = Tc[:3, 3] - rot_y(self.yaw) @ Th[:3, 3]


def _wrap_angle(a: float) -> float:
    """`a` in (−π, π]."""
    return math.pi - (math.pi - a) % (2.0 * math.pi)
