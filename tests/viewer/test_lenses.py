"""Viewfinder lenses: angles of view against published values, frame lines against the eye's projection
matrix, and the lens fields a CameraReport accepts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridge.protocol import messages as m
from bridge.render.source import FovAngles
from vpbridge_xr.lenses import FOCAL_LENGTHS_MM, SENSORS, Lens, LensPresets, Sensor


@pytest.mark.parametrize(
    ("focal", "sensor", "h_deg", "v_deg"),
    [
        (35.0, "Full frame", 54.43, 37.85),  # 2·atan(18/35), 2·atan(12/35)
        (50.0, "Super 35", 27.95, 21.14),  # 2·atan(12.445/50), 2·atan(9.33/50)
        (14.0, "Full frame", 104.25, 81.20),
        (24.0, "ARRI Alexa LF", 74.80, 56.03),
        (135.0, "Micro Four Thirds", 7.33, 5.51),
    ],
)
def test_angle_of_view_matches_hand_computed_values(
    focal: float, sensor: str, h_deg: float, v_deg: float
) -> None:
    lens = Lens(focal, SENSORS[sensor])
    assert lens.horizontal_fov_deg == pytest.approx(h_deg, abs=0.01)
    assert lens.vertical_fov_deg == pytest.approx(v_deg, abs=0.01)
    assert lens.aspect == pytest.approx(SENSORS[sensor].width_mm / SENSORS[sensor].height_mm)


def test_sensor_presets_are_the_published_gates() -> None:
    assert {n: (s.width_mm, s.height_mm) for n, s in SENSORS.items()} == {
        "Super 35": (24.89, 18.66),
        "Full frame": (36.0, 24.0),
        "ARRI Alexa LF": (36.70, 25.54),
        "ARRI Alexa Mini": (28.25, 18.17),
        "Micro Four Thirds": (17.3, 13.0),
    }
    assert FOCAL_LENGTHS_MM == (14, 18, 21, 24, 28, 35, 50, 85, 135)
    with pytest.raises(ValueError):
        Sensor("bad", 0.0, 10.0)
    with pytest.raises(ValueError):
        Lens(0.0)


def test_fov_angles_give_the_focal_length_in_pixels() -> None:
    # a still 1920 px wide on a 36 mm sensor: fx = f · 1920 / 36 (the pinhole model, independently)
    lens = Lens(50.0, SENSORS["Full frame"])
    fov = lens.fov()
    assert fov.left == -fov.right and fov.down == -fov.up
    w, h = lens.image_size(1920)
    assert (w, h) == (1920, 1280)
    fx, fy, cx, cy = fov.intrinsics(w, h)
    assert fx == pytest.approx(50.0 * 1920 / 36.0)
    assert fy == pytest.approx(50.0 * 1280 / 24.0)
    assert (cx, cy) == pytest.approx((960.0, 640.0))


def _ndc(fov: FovAngles, direction: np.ndarray) -> tuple[float, float]:
    clip = fov.projection(0.1, 100.0) @ np.append(direction, 1.0)
    return clip[0] / clip[3], clip[1] / clip[3]


@pytest.mark.parametrize(
    "eye",
    [
        FovAngles(-math.radians(45), math.radians(45), math.radians(45), -math.radians(45)),
        FovAngles(-math.radians(52), math.radians(41), math.radians(48), -math.radians(55)),  # a canted eye
    ],
)
def test_frame_lines_are_where_the_eye_projects_the_frame_corners(eye: FovAngles) -> None:
    lens = Lens(50.0, SENSORS["Super 35"])
    lines = lens.frame_lines(eye)
    left, right, bottom, top = lines.ndc
    # the frame's corners are the directions (±w/2f, ±h/2f, −1) in the eye's camera frame
    tx, ty = 24.89 / 100.0, 18.66 / 100.0
    assert _ndc(eye, np.array([-tx, -ty, -1.0])) == pytest.approx((left, bottom))
    assert _ndc(eye, np.array([tx, ty, -1.0])) == pytest.approx((right, top))
    assert not lines.clipped and lines.visible_fraction == pytest.approx(1.0)
    u0, u1, v0, v1 = lines.uv
    assert (u0, u1) == pytest.approx(((left + 1) / 2, (right + 1) / 2))
    assert (v0, v1) == pytest.approx(((1 - top) / 2, (1 - bottom) / 2))  # row 0 at the top
    assert lines.corners_ndc()[0] == (left, bottom)


def test_a_lens_wider_than_the_headset_is_clipped_and_says_how_much_shows() -> None:
    eye = FovAngles(-math.radians(45), math.radians(45), math.radians(45), -math.radians(45))
    lines = Lens(14.0, SENSORS["Full frame"]).frame_lines(eye)
    assert lines.clipped
    tx, ty = 18.0 / 14.0, 12.0 / 14.0  # 1.286 > tan 45° = 1 horizontally, 0.857 fits vertically
    assert lines.ndc[1] == pytest.approx(tx)
    assert lines.visible_fraction == pytest.approx((2 * 1.0) * (2 * ty) / (4 * tx * ty))


def test_lens_report_is_what_a_camera_report_carries_and_reads_back() -> None:
    lens = Lens(85.0, SENSORS["ARRI Alexa Mini"], aperture_f=2.0, focus_distance_m=4.0)
    report = m.CameraReport(rid=1, T_world_camera=tuple(np.eye(4).reshape(16)), **lens.report())
    assert (report.focal_length_mm, report.sensor_width_mm, report.sensor_height_mm) == (85.0, 28.25, 18.17)
    back = Lens.from_report(lens.report())
    assert back == lens and back.sensor is SENSORS["ARRI Alexa Mini"]
    odd = Lens.from_report({"focal_length_mm": 40.0, "sensor_width_mm": 23.76, "sensor_height_mm": 13.365})
    assert odd.sensor.name == "reported" and odd.horizontal_fov_deg == pytest.approx(
        math.degrees(2 * math.atan(23.76 / 80.0))
    )
    assert "85 mm" in lens.label() and "ARRI Alexa Mini" in lens.label()


def test_presets_step_through_the_primes_and_stop_at_the_ends() -> None:
    p = LensPresets(sensor="Full frame", focal_mm=35.0)
    assert p.lens.focal_mm == 35.0
    assert [p.next().focal_mm for _ in range(4)] == [50.0, 85.0, 135.0, 135.0]
    assert [p.prev().focal_mm for _ in range(9)] == [85.0, 50.0, 35.0, 28.0, 24.0, 21.0, 18.0, 14.0, 14.0]
    assert LensPresets(focal_mm=40.0).lens.focal_mm == 35.0  # nearest prime
    names = [p.next_sensor().name for _ in range(len(SENSORS))]
    assert names[-1] == "Full frame" and set(names) == set(SENSORS)
    assert p.lens.sensor.name == "Full frame"
