"""Viewfinder lenses: cinema focal lengths on common sensors, their field of view, and the frame lines a
scout sees inside the headset's eye view.

A lens of focal length f on a sensor w × h covers 2·atan(w / 2f) horizontally and 2·atan(h / 2f)
vertically (a rectilinear lens focused at infinity). `Lens.report()` is the lens part of a
`CameraReport`, so a still request or the presence entry carries exactly what the scout framed.
Nothing here imports OpenXR or GL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridge.render.source import FovAngles

__all__ = [
    "FOCAL_LENGTHS_MM",
    "SENSORS",
    "FrameLines",
    "Lens",
    "LensPresets",
    "Sensor",
]

FOCAL_LENGTHS_MM: tuple[float, ...] = (14.0, 18.0, 21.0, 24.0, 28.0, 35.0, 50.0, 85.0, 135.0)
"""The prime set a scout steps through."""


@dataclass(frozen=True)
class Sensor:
    """An imaging area (the recorded gate), millimetres."""

    name: str
    width_mm: float
    height_mm: float

    def __post_init__(self) -> None:
        if not (self.width_mm > 0.0 and self.height_mm > 0.0):
            raise ValueError(f"sensor {self.name!r}: width and height must be positive millimetres")

    @property
    def aspect(self) -> float:
        return self.width_mm / self.height_mm

    @property
    def diagonal_mm(self) -> float:
        return math.hypot(self.width_mm, self.height_mm)


SENSORS: dict[str, Sensor] = {
    s.name: s
    for s in (
        Sensor("Super 35", 24.89, 18.66),
        Sensor("Full frame", 36.0, 24.0),
        Sensor("ARRI Alexa LF", 36.70, 25.54),
        Sensor("ARRI Alexa Mini", 28.25, 18.17),
        Sensor("Micro Four Thirds", 17.3, 13.0),
    )
}
"""Sensor presets by display name, in menu order."""


@dataclass(frozen=True)
class FrameLines:
    """Where a lens's frame falls inside one eye's view.

    `ndc` is (left, right, bottom, top) in that eye's normalised device coordinates (−1…1, +Y up), as
    the frame-line quad is drawn; values beyond ±1 lie outside the eye's view. `uv` is the same
    rectangle as (u_left, u_right, v_top, v_bottom) in 0…1 image coordinates (row 0 at the top).
    `clipped` is True when part of the frame lies outside the eye's view (a lens wider than the
    headset); `visible_fraction` is the share of the frame's area that the eye shows.
    """

    ndc: tuple[float, float, float, float]
    uv: tuple[float, float, float, float]
    clipped: bool
    visible_fraction: float

    def corners_ndc(self) -> list[tuple[float, float]]:
        """The four corners counter-clockwise from bottom-left, for a line loop."""
        left, right, bottom, top = self.ndc
        return [(left, bottom), (right, bottom), (right, top), (left, top)]


@dataclass(frozen=True)
class Lens:
    """A spherical prime on a sensor, focused at infinity."""

    focal_mm: float
    sensor: Sensor = SENSORS["Full frame"]
    aperture_f: float = 2.8
    focus_distance_m: float = 10.0

    def __post_init__(self) -> None:
        if not self.focal_mm > 0.0:
            raise ValueError(f"focal length must be positive millimetres, got {self.focal_mm}")

    @property
    def horizontal_fov_rad(self) -> float:
        return 2.0 * math.atan(self.sensor.width_mm / (2.0 * self.focal_mm))

    @property
    def vertical_fov_rad(self) -> float:
        return 2.0 * math.atan(self.sensor.height_mm / (2.0 * self.focal_mm))

    @property
    def diagonal_fov_rad(self) -> float:
        return 2.0 * math.atan(self.sensor.diagonal_mm / (2.0 * self.focal_mm))

    @property
    def horizontal_fov_deg(self) -> float:
        return math.degrees(self.horizontal_fov_rad)

    @property
    def vertical_fov_deg(self) -> float:
        return math.degrees(self.vertical_fov_rad)

    @property
    def aspect(self) -> float:
        """Width over height of the frame (the sensor's)."""
        return self.sensor.aspect

    def fov(self) -> FovAngles:
        """The lens's (symmetric) frustum in the OpenXR angle convention, radians."""
        hx, hy = self.horizontal_fov_rad / 2.0, self.vertical_fov_rad / 2.0
        return FovAngles(left=-hx, right=hx, up=hy, down=-hy)

    def frame_lines(self, eye_fov: FovAngles) -> FrameLines:
        """The lens's frame inside an eye view of `eye_fov` (which may be asymmetric), both centred on
        the same optical axis (the eye's −Z)."""
        tl, tr, tu, td = (math.tan(a) for a in (eye_fov.left, eye_fov.right, eye_fov.up, eye_fov.down))
        if not (tr > tl and tu > td):
            raise ValueError(f"eye FOV {eye_fov} is empty")
        # the lens's half-extents on the image plane at distance 1 (tangents)
        lx = self.sensor.width_mm / (2.0 * self.focal_mm)
        ly = self.sensor.height_mm / (2.0 * self.focal_mm)

        def ndc_x(t: float) -> float:
            return (2.0 * t - (tr + tl)) / (tr - tl)

        def ndc_y(t: float) -> float:
            return (2.0 * t - (tu + td)) / (tu - td)

        left, right, bottom, top = ndc_x(-lx), ndc_x(lx), ndc_y(-ly), ndc_y(ly)
        vis_w = max(0.0, min(lx, tr) - max(-lx, tl))
        vis_h = max(0.0, min(ly, tu) - max(-ly, td))
        frac = (vis_w * vis_h) / (4.0 * lx * ly)
        clipped = left < -1.0 or right > 1.0 or bottom < -1.0 or top > 1.0
        uv = ((left + 1.0) / 2.0, (right + 1.0) / 2.0, (1.0 - top) / 2.0, (1.0 - bottom) / 2.0)
        return FrameLines((left, right, bottom, top), uv, clipped, frac)

    def image_size(self, width: int) -> tuple[int, int]:
        """(width, height) in pixels of a still with this frame's aspect (height even)."""
        h = max(2, int(round(width / self.aspect / 2.0)) * 2)
        return int(width), h

    def report(self) -> dict[str, float]:
        """The lens fields of a `CameraReport` (also what a still request carries)."""
        return {
            "focal_length_mm": float(self.focal_mm),
            "aperture_f": float(self.aperture_f),
            "focus_distance_m": float(self.focus_distance_m),
            "sensor_width_mm": float(self.sensor.width_mm),
            "sensor_height_mm": float(self.sensor.height_mm),
        }

    def label(self) -> str:
        """Short text for the viewfinder's corner, e.g. ``35 mm · Full frame · 54.4°×37.8°``."""
        return (
            f"{self.focal_mm:g} mm · {self.sensor.name} · "
            f"{self.horizontal_fov_deg:.1f}°×{self.vertical_fov_deg:.1f}°"
        )

    @staticmethod
    def from_report(values: dict[str, float]) -> Lens:
        """A lens from `CameraReport` lens fields (missing fields take CameraReport's defaults)."""
        sensor = Sensor(
            "reported",
            float(values.get("sensor_width_mm", 36.0)),
            float(values.get("sensor_height_mm", 24.0)),
        )
        for s in SENSORS.values():
            if math.isclose(s.width_mm, sensor.width_mm, abs_tol=1e-3) and math.isclose(
                s.height_mm, sensor.height_mm, abs_tol=1e-3
            ):
                sensor = s
                break
        return Lens(
            float(values.get("focal_length_mm", 35.0)),
            sensor,
            float(values.get("aperture_f", 2.8)),
            float(values.get("focus_distance_m", 10.0)),
        )


class LensPresets:
    """The viewfinder's current lens: a focal length from a preset list on a chosen sensor."""

    def __init__(
        self,
        focal_lengths_mm: tuple[float, ...] = FOCAL_LENGTHS_MM,
        sensor: Sensor | str = "Full frame",
        focal_mm: float = 35.0,
    ) -> None:
        if not focal_lengths_mm:
            raise ValueError("need at least one focal length")
        self.focal_lengths_mm = tuple(sorted(float(f) for f in focal_lengths_mm))
        self.sensor = SENSORS[sensor] if isinstance(sensor, str) else sensor
        diffs = [abs(f - focal_mm) for f in self.focal_lengths_mm]
        self.index = diffs.index(min(diffs))

    @property
    def lens(self) -> Lens:
        return Lens(self.focal_lengths_mm[self.index], self.sensor)

    def step(self, n: int) -> Lens:
        """Move `n` presets longer (n < 0: wider), stopping at the ends."""
        self.index = max(0, min(len(self.focal_lengths_mm) - 1, self.index + n))
        return self.lens

    def next(self) -> Lens:
        return self.step(1)

    def prev(self) -> Lens:
        return self.step(-1)

    def next_sensor(self) -> Sensor:
        """Cycle through `SENSORS` (from a custom sensor: the first preset)."""
        names = list(SENSORS)
        i = names.index(self.sensor.name) + 1 if self.sensor.name in SENSORS else 0
        self.sensor = SENSORS[names[i % len(names)]]
        return self.sensor
