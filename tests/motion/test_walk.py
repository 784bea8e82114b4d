"""Walk mode: the eye keeps its height over steps, the walker falls (with gravity) off a ledge, and a
wall too high to step onto sends it round."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.motion import Planner, PlanningError

from .helpers import GROUND, box_scene, derivatives

EYE = 1.7


def test_eye_height_holds_over_steps() -> None:
    # four 0.2 m steps, 1 m deep, up along +z, then a landing at 0.8 m
    steps = [((0.0, 0.1 + 0.1 * i, 1.5 + i), (4.0, 0.2 + 0.2 * i, 1.0)) for i in range(4)]
    landing = ((0.0, 0.4, 8.0), (4.0, 0.8, 6.0))
    planner = Planner(box_scene([GROUND, *steps, landing]))
    path = planner.plan((0.0, EYE, -2.0), (0.0, 0.8 + EYE, 8.0), mode="walk")
    d = derivatives(path)
    for i in range(4):  # at the middle of each tread the eye is at tread height + eye height
        k = int(np.argmin(np.abs(d["pos"][:, 2] - (1.5 + i))))
        assert d["pos"][k, 1] == pytest.approx(0.2 * (i + 1) + EYE, abs=0.05)
    assert d["pos"][-1, 1] == pytest.approx(0.8 + EYE, abs=1e-3)
    assert d["speed"].max() <= 1.2 * 1.05 + 1.0  # walking pace plus the lift over each riser


def test_walker_falls_off_a_ledge_under_gravity() -> None:
    platform = ((0.0, 1.0, -4.0), (10.0, 2.0, 8.0))  # top at 2 m, edge at z = 0
    planner = Planner(box_scene([GROUND, platform]))
    path = planner.plan((0.0, 2.0 + EYE, -3.0), (0.0, EYE, 5.0), mode="walk")
    d = derivatives(path)
    y, t = d["pos"][:, 1], d["t"]
    assert y[0] == pytest.approx(2.0 + EYE, abs=1e-3) and y[-1] == pytest.approx(EYE, abs=1e-3)
    vy = np.diff(y) / np.diff(t)
    ay = np.diff(vy) / np.diff(t)[1:]
    falling = np.nonzero(vy < -0.5)[0]
    assert len(falling) > 10
    mid = falling[len(falling) // 4 : 3 * len(falling) // 4]  # away from take-off and landing
    assert np.median(ay[mid]) == pytest.approx(-9.81, rel=0.1)
    assert d["pos"][falling[0], 2] > -0.1  # the fall starts at the edge, not before


def test_too_high_wall_is_walked_around() -> None:
    wall = ((-2.0, 0.5, 0.0), (6.0, 1.0, 0.4))  # 1 m high, ends at x = 1
    planner = Planner(box_scene([GROUND, wall]))
    path = planner.plan((-2.0, EYE, -3.0), (-2.0, EYE, 3.0), mode="walk")
    pos = derivatives(path)["pos"]
    k = int(np.argmin(np.abs(pos[:, 2])))
    assert pos[k, 0] > 1.0 + 0.3 and np.abs(pos[:, 1] - EYE).max() < 0.02


def test_walk_without_ground_is_refused() -> None:
    planner = Planner(box_scene([((0.0, -0.05, 0.0), (4.0, 0.1, 4.0))]))
    with pytest.raises(Exception, match="no ground|walkable"):
        planner.plan((0.0, EYE, 0.0), (30.0, EYE, 0.0), mode="walk")
    assert issubclass(PlanningError, Exception)
