"""Named camera moves with the same comfort limits as planned paths: `orbit` (circle a point, looking
at it), `dolly` (along the view direction, orientation held) and `crane` (straight up or down,
optionally keeping a target in view). Given a `Planner`, a move that breaks the clearance is refused."""

from __future__ import annotations

import math

import numpy as np

from bridge.errors import ConfigError
from bridge.motion.path import CameraPath, angles_from_rotation
from bridge.motion.planner import Planner, PlanningError
from bridge.motion.presets import Preset, preset_from_name
from bridge.motion.smooth import Curve
from bridge.motion.timing import orient, time_path

__all__ = ["crane", "dolly", "orbit"]

Vec3 = np.ndarray | tuple[float, float, float]


def _finish(
    curve: Curve,
    angles: np.ndarray,
    preset: str | Preset,
    planner: Planner | None,
    name: str,
) -> CameraPath:
    pr = preset_from_name(preset)
    if planner is not None:
        d = planner.field.distance(curve.points)
        if float(d.min()) < planner.clearance:
            i = int(np.argmin(d))
            raise PlanningError(
                f"the {name} passes {d[i]:.2f} m from a collider at {np.round(curve.points[i], 2).tolist()}, "
                f"inside the clearance of {planner.clearance} m; change its size or position"
            )
    return time_path(curve, angles, pr, meta={"mode": name, "preset": pr.name})


def orbit(
    center: Vec3,
    radius: float,
    *,
    height: float = 0.0,
    start_deg: float = 0.0,
    sweep_deg: float = 90.0,
    preset: str | Preset = "cinematic",
    planner: Planner | None = None,
) -> CameraPath:
    """Circle `center` at `radius` metres and `height` above it, sweeping `sweep_deg` (positive is
    counter-clockwise seen from above) from `start_deg` (0 is +Z of the centre), looking at it."""
    if not radius > 0:
        raise ConfigError(f"`radius` must be positive metres, got {radius}")
    if sweep_deg == 0:
        raise ConfigError("`sweep_deg` must not be 0; give the angle to sweep, e.g. 90")
    c = np.asarray(center, np.float64)
    n = max(16, int(abs(sweep_deg)))
    a = np.radians(start_deg + np.linspace(0.0, sweep_deg, n + 1))
    pts = c + np.column_stack([radius * np.sin(a), np.full(len(a), height), radius * np.cos(a)])
    curve = Curve(pts)
    return _finish(curve, orient(curve, (0.0, 0.0), None, look_at=c, blend_m=0.0), preset, planner, "orbit")


def dolly(
    pose: np.ndarray, distance: float, *, preset: str | Preset = "cinematic", planner: Planner | None = None
) -> CameraPath:
    """Move `distance` metres along the camera's view direction (negative: back), orientation held."""
    if distance == 0:
        raise ConfigError("`distance` must not be 0; give metres to move, negative to pull back")
    pose = np.asarray(pose, np.float64)
    fwd = -pose[:3, 2]
    curve = Curve(np.vstack([pose[:3, 3], pose[:3, 3] + fwd * distance]))
    yaw, pitch, _ = angles_from_rotation(pose[:3, :3])
    angles = np.tile([yaw, pitch], (len(curve.s), 1))
    return _finish(curve, angles, preset, planner, "dolly")


def crane(
    pose: np.ndarray,
    rise: float,
    *,
    look_at: Vec3 | None = None,
    preset: str | Preset = "cinematic",
    planner: Planner | None = None,
) -> CameraPath:
    """Move straight up `rise` metres (negative: down), holding the view or keeping `look_at` in view."""
    if rise == 0:
        raise ConfigError("`rise` must not be 0; give metres to rise, negative to descend")
    pose = np.asarray(pose, np.float64)
    p0 = pose[:3, 3]
    curve = Curve(np.vstack([p0, p0 + np.array([0.0, rise, 0.0])]))
    yaw, pitch, _ = angles_from_rotation(pose[:3, :3])
    if look_at is None:
        angles = np.tile([yaw, pitch], (len(curve.s), 1))
    else:
        angles = orient(curve, (yaw, pitch), None, look_at=np.asarray(look_at, np.float64), blend_m=0.0)
        angles[:, 0] = yaw + (angles[:, 0] - angles[0, 0] + math.pi) % (2 * math.pi) - math.pi
    return _finish(curve, angles, preset, planner, "crane")
