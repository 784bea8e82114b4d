"""Interruptions: a new target mid-transition keeps pose, velocity and acceleration continuous, keeps
every preset limit measured across the switch (finite differences of sampled poses, from before the
switch on the old path into the new one), keeps the clearance, and does not crawl: it takes about a
fresh plan's time from a standing start plus the time to brake."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import bridge.world as world
from bridge.motion import PRESETS, Planner

from .helpers import GROUND, across_switch, box_scene, min_clearance


@pytest.fixture(scope="module")
def studio_planner() -> Planner:
    return Planner(world.build_scene(world.load_spec("studio_set")))


@pytest.fixture(scope="module")
def open_planner() -> Planner:
    """Open ground with one small block: long straight paths that cruise."""
    return Planner(box_scene([GROUND, ((0.0, 1.0, -60.0), (2.0, 2.0, 2.0))]))


# (planner fixture, preset, old start, old goal, switch at this fraction of the old path, new goal)
CASES: list[tuple[str, str, Any, Any, float, Any]] = [
    ("gap_planner", "cinematic", (6.0, 1.6, -6.0), (6.0, 1.6, -20.0), 0.4, (-5.0, 1.6, 7.0)),  # back, through the gap
    ("gap_planner", "fast", (6.0, 1.6, -6.0), (6.0, 1.6, -20.0), 0.6, (6.0, 1.6, -25.0)),  # straight on
    ("gap_planner", "comfortable", (6.0, 1.6, -6.0), (-5.0, 1.6, 7.0), 0.5, (12.0, 3.0, -4.0)),  # in a curve
    ("studio_planner", "comfortable", "spawn", "dolly_start", 0.5, "spawn"),  # tight interior, back
    ("studio_planner", "fast", "corner", "sofa_closeup", 0.5, "overhead"),
    ("open_planner", "comfortable", (0.0, 3.0, 0.0), (0.0, 3.0, -100.0), 0.3, (5.0, 3.0, -90.0)),  # cruising
]  # fmt: skip


def _goal(g: Any) -> Any:
    return g if isinstance(g, str) else np.array(g, np.float64)


@pytest.mark.parametrize(("which", "preset", "a", "b", "frac", "goal"), CASES)
def test_replanned_path_is_continuous_within_every_limit_across_the_switch_and_does_not_crawl(
    request: pytest.FixtureRequest, which: str, preset: str, a: Any, b: Any, frac: float, goal: Any
) -> None:
    planner: Planner = request.getfixturevalue(which)
    pr = PRESETS[preset]
    old = planner.plan(a, b, preset=preset)
    t_now = frac * old.duration
    new = planner.replan(old, t_now, _goal(goal), preset)
    (pose_old, vel_old), (pose_new, vel_new) = old.sample(t_now), new.sample(0.0)
    assert np.linalg.norm(vel_old) > 1.0  # really interrupted in motion
    assert np.allclose(pose_new, pose_old, atol=1e-6) and np.allclose(vel_new, vel_old, atol=1e-6)
    d = across_switch(old, t_now, new)
    k = int(d["switch"])
    # no kink at the switch: finite-difference velocity and acceleration just after match just before
    assert np.linalg.norm(d["pos"][k + 1] - d["pos"][k]) / 0.01 == pytest.approx(
        d["speed"][k - 1], abs=0.02 * pr.max_speed
    )
    assert abs(d["accel"][k] - d["accel"][k - 2]) < 0.05 * pr.max_accel
    # every limit, measured from before the switch to the end of the new path
    assert d["speed"].max() <= pr.max_speed
    assert d["accel"].max() <= pr.max_accel
    assert d["jerk"].max() <= pr.max_jerk
    assert d["yaw_rate"].max() <= math.radians(pr.max_yaw_rate_deg)
    assert d["pitch_rate"].max() <= math.radians(pr.max_yaw_rate_deg)
    assert new.meta["limits_checked"]
    assert min_clearance(planner.scene, d["pos"]) >= planner.clearance
    end = planner.endpoint(_goal(goal), "goal")[0]
    assert np.allclose(new.sample(new.duration)[0][:3, 3], end, atol=1e-6)
    # no crawl: about a fresh plan from a standing start at the switch pose plus a jerk-limited stop
    fresh = planner.plan(pose_old, _goal(goal), preset=preset)
    v0 = float(np.linalg.norm(vel_old))
    braking = v0 / pr.max_accel + pr.max_accel / pr.max_jerk
    assert new.duration <= 1.4 * (fresh.duration + braking), (new.duration, fresh.duration, braking)  # fmt: skip


def test_turning_on_the_move_wins_when_cruising_toward_the_goal(open_planner: Planner) -> None:
    old = open_planner.plan((0.0, 3.0, 0.0), (0.0, 3.0, -100.0), preset="comfortable")
    t_now = 0.3 * old.duration
    new = open_planner.replan(old, t_now, np.array([5.0, 3.0, -90.0]))
    assert new.meta["replan"] == "turn" and new.meta["limits_checked"]
    d = across_switch(old, t_now, new)
    far = np.linalg.norm(d["pos"][1:] - [5.0, 3.0, -90.0], axis=1) > 5.0
    assert d["speed"][int(d["switch"]) :][far[int(d["switch"]) :]].min() > 1.0  # no stop on the way


def test_replan_at_rest_plans_afresh(gap_planner: Planner) -> None:
    old = gap_planner.plan((6.0, 1.6, -6.0), (6.0, 1.6, -20.0))
    new = gap_planner.replan(old, old.duration, np.array([6.0, 1.6, -6.0]))
    assert gap_planner.last_stats["replan"] == "rest"
    assert np.allclose(new.sample(0.0)[0], old.sample(old.duration)[0], atol=1e-6)
