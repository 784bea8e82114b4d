"""Orbit, dolly and crane keep their geometry; a path survives its JSON form (interruptions: test_replan)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridge.errors import ConfigError
from bridge.motion import PRESETS, CameraPath, Planner, PlanningError, crane, dolly, orbit
from bridge.world import look_at

from .helpers import GROUND, box_scene, derivatives


def test_orbit_circles_the_centre_looking_at_it() -> None:
    centre = np.array([0.0, 1.0, 0.0])
    path = orbit(centre, 5.0, height=1.0, sweep_deg=180.0, preset="cinematic")
    d = derivatives(path, fps=30)
    r = np.linalg.norm(d["pos"][:, [0, 2]] - centre[[0, 2]], axis=1)
    assert np.allclose(r, 5.0, atol=1e-3) and np.allclose(d["pos"][:, 1], 2.0, atol=1e-6)
    to_c = centre - d["pos"]
    fwd = -d["poses"][:, :3, 2]
    cosang = np.sum(fwd * to_c, axis=1) / np.linalg.norm(to_c, axis=1)
    assert cosang.min() > 0.9999
    assert d["accel"].max() <= PRESETS["cinematic"].max_accel


def test_dolly_moves_along_the_view_and_crane_rises_without_roll() -> None:
    start = look_at((0.0, 1.7, 0.0), (0.0, 1.7, -10.0))
    push = dolly(start, 4.0)
    assert np.allclose(push.sample(push.duration)[0][:3, 3], [0.0, 1.7, -4.0], atol=1e-6)
    assert np.allclose(push.sample(push.duration / 2)[0][:3, :3], start[:3, :3], atol=1e-9)
    up = crane(start, 6.0, look_at=(0.0, 0.0, -10.0))
    end = up.sample(up.duration)[0]
    assert np.allclose(end[:3, 3], [0.0, 7.7, 0.0], atol=1e-6)
    assert -end[1, 2] < 0.0  # tilted down toward the target
    assert np.abs(derivatives(up)["poses"][:, 1, 0]).max() < 1e-9  # right axis horizontal: no roll


def test_primitive_through_a_collider_is_refused() -> None:
    planner = Planner(box_scene([GROUND, ((0.0, 1.0, -3.0), (2.0, 2.0, 1.0))]))
    with pytest.raises(PlanningError, match="clearance"):
        dolly(look_at((0.0, 1.0, 0.0), (0.0, 1.0, -10.0)), 6.0, planner=planner)


def test_path_round_trips_through_json(gap_planner: Planner) -> None:
    path = gap_planner.plan((6.0, 1.6, -6.0), (-5.0, 1.6, 7.0))
    back = CameraPath.from_json(path.to_json())
    assert back.duration == pytest.approx(path.duration)
    for t in np.linspace(0.0, path.duration, 37):
        a, va = path.sample(float(t))
        b, vb = back.sample(float(t))
        assert np.allclose(a, b, atol=1e-4) and np.allclose(va, vb, atol=1e-3)
    assert back.meta["preset"] == "comfortable" and back.meta["mode"] == "fly"


def test_bad_preset_and_bad_json_name_the_problem(gap_planner: Planner) -> None:
    with pytest.raises(ConfigError, match="`preset` must be one of comfortable"):
        gap_planner.plan((6.0, 1.6, -6.0), (5.0, 1.6, -6.0), preset="warp")
    with pytest.raises(ConfigError, match="not a camera path"):
        CameraPath.from_json('{"format": "other"}')
    with pytest.raises(ConfigError, match="`mode`"):
        gap_planner.plan((6.0, 1.6, -6.0), (5.0, 1.6, -6.0), mode="swim")
    assert math.isfinite(gap_planner.plan((6.0, 1.6, -6.0), look_at((6.0, 1.6, -6.0), (0, 1.6, -6))).duration)
