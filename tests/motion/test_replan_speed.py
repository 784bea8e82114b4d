"""An interruption's inherited velocity must not slow the rest of the new path to a crawl."""

from __future__ import annotations

import numpy as np

import bridge.world as world
from bridge.motion import Planner


def test_replanned_path_is_not_much_slower_than_a_fresh_plan_from_the_switch_pose() -> None:
    scene = world.build_scene(world.load_spec("studio_set"))
    planner = Planner(scene)
    names = [b.name for b in scene.bookmarks]
    path = planner.plan(names[0], names[1], preset="comfortable")
    t_switch = 0.3 * path.duration
    replanned = planner.replan(path, t_switch, names[4], preset="comfortable")
    fresh = planner.plan(path.sample(t_switch)[0], names[4], preset="comfortable")
    (pose_a, vel_a), (pose_b, vel_b) = path.sample(t_switch), replanned.sample(0.0)
    assert np.allclose(pose_a[:3, 3], pose_b[:3, 3]) and np.allclose(vel_a, vel_b)
    # Before the limits check skipped the inherited-velocity transient this was 5.5x (46.8 s vs 8.5 s).
    assert replanned.duration < 3.0 * fresh.duration, (replanned.duration, fresh.duration)
    assert replanned.meta["limits_checked"]
