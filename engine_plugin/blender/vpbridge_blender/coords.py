"""Wire <-> Blender frames and the sun model, in plain Python (no bpy) so they test anywhere.

Mirrors engine_plugin/cpp/include/vpbridge/coords.hpp: the wire is right-handed, Y up, metres, a
camera looks down −Z with +Y up; Blender is right-handed, Z up, metres, and its cameras use the same
local convention, so only the world axes change: Blender (X, Y, Z) = (x, −z, y) of wire (x, y, z).
Poses are 4×4 row-major lists of rows, column vectors (the wire's Mat4 reshaped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Mat4 = list[list[float]]

# wire -> Blender axes: a +90° rotation about X (what Blender's glTF importer applies).
_B = ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0))


def _rows(t: Sequence[float] | Sequence[Sequence[float]]) -> Mat4:
    flat = [float(v) for row in t for v in row] if isinstance(t[0], Sequence) else [float(v) for v in t]  # type: ignore[union-attr]
    if len(flat) != 16:
        raise ValueError(f"a pose must be 16 floats (4×4 row-major), got {len(flat)}")
    return [flat[0:4], flat[4:8], flat[8:12], flat[12:16]]


def _left(a: Sequence[Sequence[float]], t: Mat4) -> Mat4:
    """a (3×3) applied to the rotation rows and translation of t: a · t for a rigid t."""
    out = [[sum(a[i][k] * t[k][j] for k in range(3)) for j in range(4)] for i in range(3)]
    return [*out, [0.0, 0.0, 0.0, 1.0]]


def _transpose3(a: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(a[j][i] for j in range(3)) for i in range(3))


def blender_from_wire_point(p: Sequence[float]) -> tuple[float, float, float]:
    return (float(p[0]), -float(p[2]), float(p[1]))


def wire_from_blender_point(p: Sequence[float]) -> tuple[float, float, float]:
    return (float(p[0]), float(p[2]), -float(p[1]))


def blender_from_wire_pose(T_world_camera: Sequence[float] | Sequence[Sequence[float]]) -> Mat4:
    """A wire camera pose as a Blender camera's `matrix_world` (rows)."""
    return _left(_B, _rows(T_world_camera))


def wire_from_blender_pose(matrix_world: Sequence[float] | Sequence[Sequence[float]]) -> Mat4:
    """A Blender camera's `matrix_world` as the wire's T_world_camera (rows)."""
    return _left(_transpose3(_B), _rows(matrix_world))


def flat(t: Mat4) -> tuple[float, ...]:
    """Rows -> the wire's 16 floats."""
    return tuple(float(v) for row in t for v in row)


def sun_angles_deg(time_of_day_h: float, latitude_deg: float) -> tuple[float, float]:
    """(azimuth clockwise from north, elevation) in degrees: a copy of the server's model
    (bridge/world/scene.py `Environment.sun_angles_deg`, an equinox sun, 15°/h) so the add-on
    needs no vpbridge import; tests/engine checks the two agree."""
    h = math.radians((time_of_day_h - 12.0) * 15.0)
    lat = math.radians(latitude_deg)
    el = math.asin(max(-1.0, min(1.0, math.cos(lat) * math.cos(h))))
    az = math.atan2(math.sin(h), math.cos(h) * math.sin(lat))
    return (math.degrees(az) + 180.0) % 360.0, math.degrees(el)


def sun_direction_blender(
    azimuth_deg: float, elevation_deg: float, north_deg: float = 0.0
) -> tuple[float, ...]:
    """Unit vector towards the sun in Blender's frame (north is wire −Z, i.e. Blender +Y)."""
    az, el = math.radians(azimuth_deg + north_deg), math.radians(elevation_deg)
    wire = (math.sin(az) * math.cos(el), math.sin(el), -math.cos(az) * math.cos(el))
    return blender_from_wire_point(wire)


def fov_from_lens(
    focal_length_mm: float, sensor_width_mm: float, sensor_height_mm: float
) -> tuple[float, float]:
    """(half horizontal, half vertical) field of view in radians of a lens on a sensor."""
    return (
        math.atan(sensor_width_mm / (2.0 * focal_length_mm)),
        math.atan(sensor_height_mm / (2.0 * focal_length_mm)),
    )
