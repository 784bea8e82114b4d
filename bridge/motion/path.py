"""`CameraPath`: a timed camera trajectory. Positions and yaw/pitch/roll angles are C2 cubic splines in
time through knots (50 per second by default); `sample(t)` gives `T_world_camera` and the velocity.
The JSON form lists the knots as poses with timestamps, so any tool can check or replay a path."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from bridge.errors import ConfigError

__all__ = ["FORMAT", "CameraPath", "rotation_from_angles", "angles_from_rotation"]

FORMAT = "vpbridge.camera_path"
VERSION = 1


def rotation_from_angles(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """R = Ry(yaw) Rx(pitch) Rz(roll): yaw 0 looks down −Z, positive pitch looks up; roll 0 keeps
    the camera's up vector in the vertical plane through its view direction."""
    cy, sy, cp, sp, cr, sr = (
        math.cos(yaw),
        math.sin(yaw),
        math.cos(pitch),
        math.sin(pitch),
        math.cos(roll),
        math.sin(roll),
    )
    ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    rz = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
    return np.asarray(ry @ rx @ rz)


def angles_from_rotation(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in radians of a camera rotation (inverse of `rotation_from_angles`)."""
    f = -np.asarray(r, np.float64)[:3, 2]
    pitch = math.asin(max(-1.0, min(1.0, float(f[1]))))
    yaw = math.atan2(-float(f[0]), -float(f[2]))
    m = rotation_from_angles(yaw, pitch).T @ np.asarray(r, np.float64)[:3, :3]
    return yaw, pitch, math.atan2(float(m[1, 0]), float(m[0, 0]))


def heading_of(direction: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) of a camera looking along `direction`."""
    d = np.asarray(direction, np.float64)
    d = d / max(float(np.linalg.norm(d)), 1e-12)
    return math.atan2(-float(d[0]), -float(d[2])), math.asin(max(-1.0, min(1.0, float(d[1]))))


@dataclass
class CameraPath:
    """A timed camera path. Build one with `Planner.plan`, a primitive, or `CameraPath.from_json`."""

    times: np.ndarray
    """(N,) seconds from the start, increasing, first 0."""
    positions: np.ndarray
    """(N, 3) world positions of the camera, metres."""
    angles: np.ndarray
    """(N, 3) yaw, pitch, roll in radians; yaw unwrapped (continuous), roll 0 unless asked."""
    velocities: np.ndarray
    """(N, 3) world velocity at each knot, metres per second."""
    meta: dict[str, Any] = field(default_factory=dict)
    """mode, preset, clearance and other facts written into the JSON."""

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, np.float64)
        self.positions = np.asarray(self.positions, np.float64).reshape(-1, 3)
        self.angles = np.asarray(self.angles, np.float64).reshape(-1, 3)
        self.velocities = np.asarray(self.velocities, np.float64).reshape(-1, 3)
        n = len(self.times)
        if n < 2 or not (len(self.positions) == len(self.angles) == len(self.velocities) == n):
            raise ConfigError("a CameraPath needs at least 2 knots with matching times, positions and angles")
        if np.any(np.diff(self.times) <= 0):
            raise ConfigError("CameraPath `times` must be strictly increasing")
        self._pos = CubicSpline(
            self.times, self.positions, axis=0, bc_type=((1, self.velocities[0]), (1, self.velocities[-1]))
        )
        self._ang = CubicSpline(self.times, self.angles, axis=0)

    @property
    def duration(self) -> float:
        return float(self.times[-1])

    @property
    def length(self) -> float:
        """Arc length in metres (summed over the knots)."""
        return float(np.linalg.norm(np.diff(self.positions, axis=0), axis=1).sum())

    def position(self, t: float | np.ndarray) -> np.ndarray:
        return np.asarray(self._pos(np.clip(t, 0.0, self.duration)))

    def velocity(self, t: float | np.ndarray) -> np.ndarray:
        return np.asarray(self._pos(np.clip(t, 0.0, self.duration), 1))

    def sample(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(T_world_camera 4×4, velocity (3,)) at time `t` seconds (clamped to the path)."""
        tc = float(np.clip(t, 0.0, self.duration))
        yaw, pitch, roll = (float(a) for a in self._ang(tc))
        pose = np.eye(4)
        pose[:3, :3] = rotation_from_angles(yaw, pitch, roll)
        pose[:3, 3] = self._pos(tc)
        return pose, np.asarray(self._pos(tc, 1))

    def poses(self, fps: float) -> list[tuple[float, np.ndarray]]:
        """(t, T_world_camera) at `fps` frames per second, first at 0 and last at `duration`."""
        if not fps > 0:
            raise ConfigError(f"`fps` must be positive, got {fps}")
        n = max(2, int(math.ceil(self.duration * fps)) + 1)
        return [(float(t), self.sample(float(t))[0]) for t in np.linspace(0.0, self.duration, n)]

    def to_dict(self) -> dict[str, Any]:
        poses = []
        for t, p, a, v in zip(self.times, self.positions, self.angles, self.velocities, strict=True):
            pose = np.eye(4)
            pose[:3, :3] = rotation_from_angles(*a)
            pose[:3, 3] = p
            poses.append(
                {
                    "t": round(float(t), 6),
                    "T_world_camera": [[round(float(x), 7) for x in row] for row in pose],
                    "velocity": [round(float(x), 6) for x in v],
                    "yaw_deg": round(math.degrees(a[0]), 5),
                    "pitch_deg": round(math.degrees(a[1]), 5),
                    "roll_deg": round(math.degrees(a[2]), 5),
                }
            )
        return {
            "format": FORMAT,
            "version": VERSION,
            "duration_s": round(self.duration, 6),
            "length_m": round(self.length, 4),
            **self.meta,
            "poses": poses,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, data: str | dict[str, Any]) -> CameraPath:
        """A path from `to_json` text (or its dict); positions from the poses, angles from the degree
        fields (which keep yaw unwrapped)."""
        try:
            d = json.loads(data) if isinstance(data, str) else data
            if d.get("format") != FORMAT:
                raise ConfigError(f"not a camera path: `format` must be {FORMAT!r}, got {d.get('format')!r}")
            poses = d["poses"]
            times = [p["t"] for p in poses]
            positions = [[row[3] for row in p["T_world_camera"][:3]] for p in poses]
            angles = [[math.radians(p[k]) for k in ("yaw_deg", "pitch_deg", "roll_deg")] for p in poses]
            velocities = [p["velocity"] for p in poses]
        except (KeyError, TypeError, IndexError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"camera path JSON is malformed ({exc!r}); write it with CameraPath.to_json"
            ) from exc
        meta = {
            k: v for k, v in d.items() if k not in ("format", "version", "duration_s", "length_m", "poses")
        }
        return cls(np.array(times), np.array(positions), np.array(angles), np.array(velocities), meta)
