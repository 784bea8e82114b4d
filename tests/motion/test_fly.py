"""Fly mode: clearance kept at every sampled point (independent brute-force distances), limits kept
(finite differences), the straight line when it is open, a detour through a gap when it is not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridge.errors import ConfigError
from bridge.motion import PRESETS, Planner
from bridge.world import look_at

from .helpers import GROUND, box_scene, derivatives, min_clearance


@pytest.mark.parametrize("preset", list(PRESETS))
def test_path_through_a_gap_keeps_clearance_and_preset_limits(gap_planner: Planner, preset: str) -> None:
    path = gap_planner.plan((6.0, 1.6, -6.0), (-5.0, 1.6, 7.0), preset=preset)
    pr = PRESETS[preset]
    d = derivatives(path)
    assert min_clearance(gap_planner.scene, d["pos"]) >= gap_planner.clearance
    assert d["speed"].max() <= pr.max_speed
    assert d["accel"].max() <= pr.max_accel
    assert d["jerk"].max() <= pr.max_jerk
    assert d["yaw_rate"].max() <= math.radians(pr.max_yaw_rate_deg)
    crossing = d["pos"][np.argmin(np.abs(d["pos"][:, 2]))]
    assert abs(crossing[0]) < 1.2 - 0.4 and crossing[1] < 20.0  # through the gap, not over the wall


def test_path_starts_and_ends_at_rest_on_the_endpoints(gap_planner: Planner) -> None:
    start, goal = np.array([6.0, 1.6, -6.0]), np.array([-5.0, 1.6, 7.0])
    path = gap_planner.plan(start, goal)
    p0, v0 = path.sample(0.0)
    p1, v1 = path.sample(path.duration)
    assert np.allclose(p0[:3, 3], start, atol=1e-6) and np.allclose(p1[:3, 3], goal, atol=1e-6)
    assert np.linalg.norm(v0) < 1e-6 and np.linalg.norm(v1) < 1e-6


def test_open_route_is_the_straight_line() -> None:
    planner = Planner(box_scene([GROUND]))
    path = planner.plan((0.0, 2.0, 0.0), (10.0, 3.0, -5.0))
    assert planner.last_stats["straight"]
    pos = derivatives(path)["pos"]
    direction = np.array([10.0, 1.0, -5.0]) / np.linalg.norm([10.0, 1.0, -5.0])
    off_line = np.linalg.norm(np.cross(pos - [0.0, 2.0, 0.0], direction), axis=1)
    assert off_line.max() < 1e-3


def test_camera_never_rolls_and_ends_in_the_goal_orientation(gap_planner: Planner) -> None:
    goal = look_at((-5.0, 1.6, 7.0), (-5.0, 3.0, 20.0))
    path = gap_planner.plan((6.0, 1.6, -6.0), goal, preset="cinematic")
    poses = derivatives(path)["poses"]
    right = poses[:, :3, 0]
    assert np.abs(right[:, 1]).max() < 1e-9  # the right axis stays horizontal: no roll
    assert np.allclose(path.sample(path.duration)[0][:3, :3], goal[:3, :3], atol=1e-6)


def test_look_at_keeps_the_target_in_the_centre_of_view(gap_planner: Planner) -> None:
    target = np.array([0.0, 1.0, 15.0])
    path = gap_planner.plan((6.0, 1.6, -6.0), (-5.0, 1.6, 7.0), look_at=target)
    d = derivatives(path, fps=20)
    half = len(d["poses"]) // 2
    for pose in d["poses"][half - 3 : half + 3]:
        to_target = (target - pose[:3, 3]) / np.linalg.norm(target - pose[:3, 3])
        assert float(np.dot(-pose[:3, 2], to_target)) > 0.999


def test_endpoint_inside_the_clearance_is_refused_naming_it(gap_planner: Planner) -> None:
    with pytest.raises(ConfigError, match="`goal`.*clearance"):
        gap_planner.plan((6.0, 1.6, -6.0), (0.0, 0.2, 5.0))


@pytest.mark.parametrize("hop", [0.002, 0.0054, 0.05])
def test_a_hop_of_millimetres_takes_a_moment_not_a_minute(hop: float) -> None:
    """A curve made of its two end points once left the speed profile no room: a 5 mm hop crawled for
    54 s at the speed floor and its timing divided 0 by 0 (NaN poses)."""
    planner = Planner(box_scene([GROUND]))
    start, goal = np.array([0.0, 2.0, 0.0]), np.array([hop, 2.0, 0.0])
    path = planner.plan(start, goal, preset="cinematic")
    d = derivatives(path)
    assert np.isfinite(d["pos"]).all()
    assert path.duration < 2.0, f"a {hop * 1e3:g} mm hop took {path.duration:.1f} s"
    assert np.allclose(path.sample(path.duration)[0][:3, 3], goal, atol=1e-6)
    pr = PRESETS["cinematic"]
    assert d["speed"].max() <= pr.max_speed and d["accel"].max() <= pr.max_accel
