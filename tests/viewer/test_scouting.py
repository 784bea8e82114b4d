"""The scouting tools against scenes whose answers are known by hand: a floor, a wall, ramps at 20° and
50°, a low roof, a pillar and a table (boxes), plus the shipped studio set. Teleport targets are
compared with the analytic parabola, measurements with hand-intersected rays, flying with the plane
distance to the wall."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import trimesh

from bridge.client import SharedBookmark
from bridge.client_sync import Client
from bridge.motion.field import DistanceField
from bridge.server import ServerConfig, ServerThread
from bridge.server.bookmarks import check_name
from bridge.server.sources import load_scene
from bridge.studio.params import validate
from bridge.world.scene import Bookmark, Material, Mesh, Provenance, Scene, look_at
from vpbridge_xr.lenses import LensPresets
from vpbridge_xr.rig import Rig
from vpbridge_xr.scouting import (
    AxisFlick,
    BookmarkTool,
    Flyer,
    MeasuringTool,
    SceneRays,
    SnapTurn,
    Teleporter,
    TimeOfDayDial,
    Viewfinder,
    as_bookmark,
    feet_inches,
    tilt_axis,
)

G = 9.81
WALL_Z = -5.9  # the wall's face (it spans z in [-6.1, -5.9])


def _box(
    scene: Scene,
    name: str,
    centre: tuple[float, float, float],
    extents: tuple[float, float, float],
    rot_x_deg: float = 0.0,
    collider: bool = True,
) -> None:
    b = trimesh.creation.box(extents=extents)
    if rot_x_deg:
        b.apply_transform(trimesh.transformations.rotation_matrix(math.radians(rot_x_deg), [1, 0, 0]))
    b.apply_translation(centre)
    scene.add_mesh(
        Mesh(
            name,
            "wall",
            b.vertices.astype(np.float32),
            b.vertex_normals.astype(np.float32),
            b.faces,
            collider=collider,
        )
    )


def course() -> Scene:
    s = Scene("course", Provenance("tests"))
    s.add_material(Material("grey"))
    _box(s, "ground", (0.0, -0.05, 0.0), (40.0, 0.1, 40.0))  # top at y = 0, x and z in [-20, 20]
    _box(s, "wall", (0.0, 2.0, -6.0), (10.0, 4.0, 0.2))
    _box(s, "ramp20", (10.0, 1.0, 0.0), (4.0, 0.2, 6.0), rot_x_deg=20.0)
    _box(s, "ramp50", (-10.0, 1.5, 0.0), (4.0, 0.2, 6.0), rot_x_deg=50.0)
    _box(s, "low_roof", (8.0, 1.3, 8.0), (4.0, 0.2, 4.0))  # underside at 1.2 m over x 6..10, z 6..10
    _box(s, "pillar", (-4.0, 1.5, 8.0), (0.4, 3.0, 0.4))  # faces at x = -4.2 … -3.8
    _box(s, "table", (4.0, 0.375, -2.0), (1.2, 0.75, 0.8))  # top at 0.75
    _box(s, "glass", (0.0, 1.0, 12.0), (4.0, 2.0, 0.02), collider=False)  # drawn, not blocking
    return s


@pytest.fixture(scope="module")
def rays() -> SceneRays:
    return SceneRays(course())


@pytest.fixture(scope="module")
def teleporter(rays: SceneRays) -> Teleporter:
    return Teleporter(rays)


def unit(v: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(v, np.float64)
    return np.asarray(a / np.linalg.norm(a))


def head_pose(
    position: Sequence[float], yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0
) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    T = np.eye(4)
    T[:3, :3] = Rotation.from_euler("YXZ", [yaw_deg, pitch_deg, roll_deg], degrees=True).as_matrix()
    T[:3, 3] = position
    return T


# -- teleport ------------------------------------------------------------------------------------


def test_the_arc_lands_where_the_analytic_parabola_meets_the_floor(teleporter: Teleporter) -> None:
    o, d = np.array([0.0, 1.2, 4.0]), unit([0.0, 0.3, -1.0])
    aim = teleporter.aim(o, d)
    assert aim.valid and aim.reason == ""
    v = d * teleporter.launch_speed
    t = (v[1] + math.sqrt(v[1] ** 2 + 2 * G * o[1])) / G  # y(t) = 0
    expected = o + v * t + np.array([0.0, -0.5 * G * t * t, 0.0])
    assert aim.target == pytest.approx(expected, abs=0.02)  # chords of the parabola sag < 1 cm
    assert aim.target[1] == pytest.approx(0.0, abs=1e-5) and aim.normal == pytest.approx([0, 1, 0], abs=1e-6)
    assert aim.arc[0] == pytest.approx(o) and aim.arc[-1] == pytest.approx(aim.target, abs=1e-5)
    ts = (aim.arc[1:-1, 2] - o[2]) / v[2]  # every drawn point lies on the parabola
    assert aim.arc[1:-1, 1] == pytest.approx(o[1] + v[1] * ts - 0.5 * G * ts**2, abs=1e-4)


def test_a_wall_is_not_a_floor(rays: SceneRays) -> None:
    straight = Teleporter(rays, mode="straight")
    aim = straight.aim([0.0, 1.5, 0.0], [0.0, 0.0, -1.0])
    assert not aim.valid and aim.reason == "a wall, not a floor"
    assert aim.target == pytest.approx([0.0, 1.5, WALL_Z], abs=1e-5)
    assert aim.normal == pytest.approx([0.0, 0.0, 1.0], abs=1e-6)  # faces the viewer
    assert len(aim.arc) == 2


@pytest.mark.parametrize(("x", "slope", "ok"), [(10.0, 20.0, True), (-10.0, 50.0, False)])
def test_slopes_up_to_35_degrees_are_walkable(rays: SceneRays, x: float, slope: float, ok: bool) -> None:
    straight = Teleporter(rays, mode="straight")
    aim = straight.aim([x, 6.0, 0.3], [0.0, -1.0, 0.0])
    assert aim.normal is not None and aim.normal[1] == pytest.approx(math.cos(math.radians(slope)), abs=1e-5)
    assert aim.valid is ok
    if not ok:
        assert aim.reason == "too steep: 50° (max 35°)"


def test_no_landing_under_a_low_roof(rays: SceneRays) -> None:
    straight = Teleporter(rays, mode="straight")
    o = np.array([8.0, 0.9, 11.0])
    aim = straight.aim(o, np.array([8.0, 0.0, 8.5]) - o)
    assert aim.target == pytest.approx([8.0, 0.0, 8.5], abs=1e-5)
    assert not aim.valid and aim.reason == "no headroom: 1.20 m clear (needs 1.80 m)"
    outside = straight.aim([8.0, 3.0, 13.0], [0.0, -1.0, 0.0])  # the open floor beside it is fine
    assert outside.valid


def test_the_body_must_fit_beside_a_pillar(rays: SceneRays) -> None:
    straight = Teleporter(rays, mode="straight")
    near = straight.aim([-3.7, 4.0, 8.0], [0.0, -1.0, 0.0])  # 0.1 m from the pillar's face
    assert not near.valid and near.reason.startswith("too close to a wall: 0.10 m")
    assert straight.aim([-3.4, 4.0, 8.0], [0.0, -1.0, 0.0]).valid  # 0.4 m away


def test_targets_outside_the_set_and_misses_are_refused(rays: SceneRays) -> None:
    straight = Teleporter(rays, mode="straight")
    edge = straight.aim([19.9, 3.0, 0.0], [0.0, -1.0, 0.0])  # on the ground but within 0.3 m of its rim
    assert not edge.valid and edge.reason == "outside the set"
    fenced = Teleporter(rays, mode="straight", bounds=((-5.0, -5.0), (5.0, 5.0)))
    assert fenced.aim([8.0, 3.0, 13.0], [0.0, -1.0, 0.0]).reason == "outside the set"
    sky = Teleporter(rays, mode="straight").aim([0.0, 1.5, 0.0], [0.0, 1.0, 0.0])
    assert not sky.valid and sky.target is None and sky.reason == "no surface in reach"
    assert sky.arc[-1] == pytest.approx([0.0, 41.5, 0.0])  # max_distance 40 m
    over = Teleporter(rays).aim([19.0, 1.5, 0.0], [1.0, 0.0, 0.0])  # over the rim of the world
    assert not over.valid and over.reason == "no surface in reach"
    lowest = rays.lo[1]  # the 50° ramp reaches below the ground slab
    assert len(over.arc) == 41 and over.arc[-1][1] == pytest.approx(lowest - 1.0, abs=1e-4)  # below it all


def test_going_to_a_target_puts_the_user_there(teleporter: Teleporter) -> None:
    rig, head = Rig((3.0, 0.0, 2.0), 0.7), head_pose((0.3, 1.7, -0.4), 20.0)
    aim = teleporter.aim(rig.head_world(head) + [0.2, -0.4, 0.0], unit([-1.0, 0.3, 0.5]))
    assert teleporter.go(rig, aim, head)
    hw = rig.head_world(head)
    assert hw == pytest.approx(aim.target + np.array([0.0, 1.7, 0.0]), abs=1e-9)
    bad = teleporter.aim([0.0, 1.5, 0.0], [0.0, 0.2, -1.0])  # into the wall
    assert not teleporter.go(rig, bad, head) and rig.head_world(head) == pytest.approx(hw)


@pytest.fixture(scope="module")
def studio() -> Scene:
    return load_scene("studio_set")


def test_teleport_in_the_studio_set_lands_on_its_floor(studio: Scene) -> None:
    rays = SceneRays(studio)
    tp = Teleporter(rays)
    spawn = studio.bookmark("spawn").T_world_camera
    hand = spawn[:3, 3] + np.array([0.2, -0.5, 0.0])
    aim = tp.aim(hand, unit(-spawn[:3, 2] + np.array([0.0, -0.2, 0.0])))
    assert aim.valid and aim.target is not None
    ground, ny = DistanceField(studio).ground(aim.target[None] + [0.0, 1.0, 0.0])  # the walk mode's ray
    assert aim.target[1] == pytest.approx(ground[0], abs=1e-4) and ny[0] == pytest.approx(1.0)
    wall = Teleporter(rays, mode="straight").aim(hand, [1.0, 0.0, 0.0])  # the set's side wall
    assert not wall.valid and wall.reason == "a wall, not a floor"


@pytest.mark.parametrize("name", ["studio_set", None])  # None = the default scene (neon_city)
def test_aiming_costs_well_under_a_frame_at_90_hz(name: str | None) -> None:
    scene = load_scene(name)
    rays = SceneRays(scene)
    tp = Teleporter(rays)
    spawn = next(b for b in scene.bookmarks if b.kind == "spawn").T_world_camera
    rng = np.random.default_rng(1)
    dirs = [unit(-spawn[:3, 2] + rng.normal(0.0, 0.4, 3)) for _ in range(200)]
    times = []
    for d in dirs:
        t0 = time.perf_counter()
        tp.aim(spawn[:3, 3] - [0.0, 0.4, 0.0], d)
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 3e-3  # a whole arc (40 rays) plus its checks; ~0.1 ms measured


# -- fly -----------------------------------------------------------------------------------------


def test_fly_velocity_is_in_the_heads_frame_without_roll() -> None:
    fly = Flyer(None, preset=2)  # 4 m/s
    head = head_pose((0, 1.7, 0), yaw_deg=90.0, roll_deg=30.0)  # facing −X, head tilted
    assert fly.velocity((0.0, 1.0), head) == pytest.approx([-4.0, 0.0, 0.0], abs=1e-9)
    right = fly.velocity((1.0, 0.0), head)
    assert right == pytest.approx([0.0, 0.0, -4.0], abs=1e-9)  # level strafe despite the roll
    up = fly.velocity((0.0, 1.0), head_pose((0, 1.7, 0), pitch_deg=30.0))
    assert up == pytest.approx([0.0, 2.0, -4.0 * math.cos(math.radians(30))], abs=1e-9)  # look up, rise
    assert fly.velocity((0.1, -0.05), head) == pytest.approx([0, 0, 0])  # dead zone
    half = np.linalg.norm(fly.velocity((0.0, 0.575), head))
    assert half == pytest.approx(4.0 * (0.575 - 0.15) / 0.85)
    assert fly.velocity_toward(head_pose((0, 1, 0), yaw_deg=180.0)) == pytest.approx([0, 0, 4.0], abs=1e-9)
    assert [fly.next_speed() for _ in range(4)] == ["drone", "slow", "walk", "jog"]


def test_flying_into_a_wall_stops_at_the_clearance(rays: SceneRays) -> None:
    fly = Flyer(rays, clearance=0.3, preset=3)  # 12 m/s, 13 cm a frame
    rig, head = Rig((0.0, 0.0, -3.0)), head_pose((0.0, 1.5, 0.0))
    for _ in range(90):
        fly.step(rig, fly.velocity((0.0, 1.0), rig.to_world(head)), 1 / 90, head)
        z = rig.head_world(head)[2]
        assert z - WALL_Z >= 0.3 - 1e-3  # the wall plane, independently: never inside the clearance
    assert rig.head_world(head)[2] - WALL_Z == pytest.approx(0.3, abs=0.01)


def test_flying_at_a_wall_slides_along_it(rays: SceneRays) -> None:
    fly = Flyer(rays, clearance=0.3, preset=1)  # 1.5 m/s
    rig, head = Rig((-2.0, 0.0, -5.0)), head_pose((0.0, 1.5, 0.0), yaw_deg=-45.0)  # facing (+x, −z)
    for _ in range(90):
        fly.step(rig, fly.velocity((0.0, 1.0), rig.to_world(head)), 1 / 90, head)
    p = rig.head_world(head)
    assert p[2] - WALL_Z == pytest.approx(0.3, abs=0.01)
    assert p[0] > -2.0 + 0.9  # kept most of its sideways motion (1.06 m unobstructed)


def test_a_head_already_too_close_can_back_off_but_not_come_closer(rays: SceneRays) -> None:
    fly = Flyer(rays, clearance=0.3)
    head = np.array([0.0, 1.5, WALL_Z + 0.1])
    assert fly.clip(head, np.array([0.0, 0.0, -0.05]))[2] == pytest.approx(0.0, abs=1e-3)
    assert fly.clip(head, np.array([0.0, 0.0, 0.2])) == pytest.approx([0.0, 0.0, 0.2])
    assert Flyer(None).clip(head, np.array([0.0, 0.0, -1.0])) == pytest.approx([0.0, 0.0, -1.0])


# -- snap turn -----------------------------------------------------------------------------------


def test_one_flick_is_one_turn_with_hysteresis() -> None:
    turn = SnapTurn(30.0)
    a = math.radians(30.0)
    xs = [0.0, 0.5, 0.8, 0.95, 1.0, 0.8, 0.5, 0.8, 0.2, 0.0, 0.75, -0.1, -0.9, -1.0, -0.25]
    out = [turn.update(x) for x in xs]
    #        0   .5  .8  .95 1  .8 .5 .8 (not re-armed) .2 (re-arm) 0 .75  -.1  -.9  -1 -.25
    assert out == [0, 0, -a, 0, 0, 0, 0, 0, 0, 0, -a, 0, a, 0, 0]
    assert SnapTurn(45).update(-0.8) == pytest.approx(math.radians(45))  # left = counter-clockwise
    noisy = AxisFlick(fire_at=0.7, rearm_below=0.3, dead_zone=0.2)
    assert [noisy.update(x) for x in (0.9, 0.35, 0.9, 0.15, 0.9, 0.25, 0.9)] == [1, 0, 0, 0, 1, 0, 1]


def test_snap_angles_cycle_and_the_head_stays_put() -> None:
    turn = SnapTurn(30.0)
    assert [turn.cycle_angle() for _ in range(4)] == [45.0, 90.0, 15.0, 30.0]
    with pytest.raises(ValueError):
        SnapTurn(0.0)
    rig, head = Rig((1.0, 0.0, 2.0), 0.4), head_pose((0.5, 1.6, -0.3), 10.0)
    before = rig.head_world(head)
    rig.snap_turn(turn.update(1.0), head)
    assert rig.head_world(head) == pytest.approx(before, abs=1e-12)
    assert rig.yaw == pytest.approx(0.4 - math.radians(30.0))


def test_turn_toward_where_the_simple_controller_points() -> None:
    turn = SnapTurn(30.0)
    head = head_pose((0, 1.7, 0))  # facing −Z
    assert turn.toward(head, [-1.0, 0.0, -1.0]) == pytest.approx(math.radians(30))  # 45° to the left
    assert turn.toward(head, [1.0, -0.3, -0.2]) == pytest.approx(-math.radians(30))
    assert turn.toward(head, [0.2, 0.0, -1.0]) == 0.0  # 11° off: within half a snap
    assert turn.toward(head, [0.0, -1.0, 0.0]) == 0.0


# -- measuring -----------------------------------------------------------------------------------


def test_measuring_between_two_hand_intersected_points(rays: SceneRays) -> None:
    tool = MeasuringTool(rays)
    assert tool.text() == "Measure: press to place point A"
    # A: from (0, 1.5, 2) through (1, 0, 0.5): reaches y = 0 at s = 1 → exactly (1, 0, 0.5)
    a = tool.press(np.array([0.0, 1.5, 2.0]), np.array([1.0, -1.5, -1.5]))
    assert a is not None and a.point == pytest.approx([1.0, 0.0, 0.5], abs=1e-5)
    assert "A placed · 0.00 m above ground" in tool.text()
    tool.hover(np.array([2.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0]))
    assert "to cursor" in tool.text()
    # B: straight at the wall from (2, 1, 0): (2, 1, −5.9)
    b = tool.press(np.array([2.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0]))
    assert b is not None and b.point == pytest.approx([2.0, 1.0, WALL_Z], abs=1e-5)
    m = tool.measurement
    assert m is not None
    dist = math.sqrt(1.0**2 + 1.0**2 + (WALL_Z - 0.5) ** 2)
    assert m.distance_m == pytest.approx(dist, abs=1e-5)
    assert m.horizontal_m == pytest.approx(math.hypot(1.0, WALL_Z - 0.5), abs=1e-5)
    assert m.vertical_m == pytest.approx(1.0, abs=1e-5)
    text = tool.text()
    inches = dist / 0.0254
    assert f"{dist:.2f} m ({int(inches // 12)} ft {inches % 12:.1f} in)" in text
    assert "B 1.00 m above ground" in text and "vertical +1.00 m" in text
    seg = tool.segment()
    assert seg is not None and seg[1] == pytest.approx(b.point, abs=1e-5)
    # a miss changes nothing; the third press starts again with a new A
    assert tool.press(np.array([0.0, 1.5, 0.0]), np.array([0.0, 1.0, 0.0])) is None
    assert tool.measurement is not None
    tool.press(np.array([4.0, 2.0, -2.0]), np.array([0.0, -1.0, 0.0]))  # onto the table top
    assert (
        tool.measurement is None and tool.a is not None and tool.a.point[1] == pytest.approx(0.75, abs=1e-5)
    )


def test_heights_above_ground_and_visual_geometry() -> None:
    scene = course()
    visual, colliders = SceneRays(scene, "visual"), SceneRays(scene)
    tool = MeasuringTool(visual)
    side = tool.press(np.array([4.0, 0.5, 0.0]), np.array([0.0, 0.0, -1.0]))  # the table's front face
    assert side is not None and side.point == pytest.approx([4.0, 0.5, -1.6], abs=1e-5)
    assert tool.height_above_ground(side) == pytest.approx(0.5, abs=1e-4)
    # the glass is drawn but does not block: measuring sees it, the teleporter's colliders do not
    glass = visual.first_hit(np.array([0.0, 1.0, 15.0]), np.array([0.0, 0.0, -1.0]))
    assert glass is not None and glass.point[2] == pytest.approx(12.01, abs=1e-4)
    assert colliders.first_hit(np.array([0.0, 1.0, 15.0]), np.array([0.0, 0.0, -1.0]), 8.0) is None
    with pytest.raises(ValueError):
        SceneRays(scene, "pretty")  # not a geometry


def test_feet_and_inches() -> None:
    assert feet_inches(3.42) == "11 ft 2.6 in"  # 134.65 in
    assert feet_inches(0.3048) == "1 ft 0.0 in"
    assert feet_inches(0.3047) == "1 ft 0.0 in"  # 11.996 in rounds up into the next foot
    assert feet_inches(-1.0) == "-3 ft 3.4 in"


# -- viewfinder ----------------------------------------------------------------------------------


def test_viewfinder_still_is_level_and_carries_the_lens() -> None:
    vf = Viewfinder(LensPresets(sensor="Super 35", focal_mm=50.0))
    head = head_pose((1.0, 1.6, 2.0), yaw_deg=30.0, pitch_deg=-10.0, roll_deg=15.0)
    still = vf.still(head)
    T = still.T_world_camera
    assert T[:3, 3] == pytest.approx(head[:3, 3])
    assert T[:3, 2] == pytest.approx(head[:3, 2], abs=1e-12)  # same view direction
    assert T[1, 0] == pytest.approx(0.0, abs=1e-12)  # camera +X is level: no roll
    assert T[:3, :3].T @ T[:3, :3] == pytest.approx(np.eye(3), abs=1e-12)
    assert still.fov == vf.lens.fov() and still.lens.focal_mm == 50.0
    assert (still.width, still.height) == (1920, 2 * round(1920 / (24.89 / 18.66) / 2))
    assert not Viewfinder(level_horizon=False).still(head).T_world_camera[1, 0] == pytest.approx(
        0.0, abs=1e-3
    )
    assert vf.toggle() and not vf.toggle()
    assert vf.zoom(0.9) is not None and vf.lens.focal_mm == 85.0
    assert vf.zoom(1.0) is None and vf.zoom(0.1) is None
    assert vf.zoom(-0.8) is not None and vf.lens.focal_mm == 50.0
    eye = vf.lens.fov()
    assert vf.frame_lines(eye).ndc == pytest.approx((-1.0, 1.0, -1.0, 1.0))


# -- time of day ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = 10.0

    def __call__(self) -> float:
        return self.t


def run_dial(dial: TimeOfDayDial, clock: Clock, axis: float, seconds: float, hz: float = 90.0) -> None:
    for _ in range(round(seconds * hz)):
        clock.t += 1.0 / hz
        dial.update(axis, 1.0 / hz)


def test_time_of_day_moves_at_the_rate_and_sends_at_most_ten_times_a_second() -> None:
    sent: list[tuple[float, float]] = []
    clock = Clock()
    dial = TimeOfDayDial(lambda h: sent.append((clock.t, h)), hours=14.0, rate_h_per_s=2.0, clock=clock)
    run_dial(dial, clock, 1.0, 1.0)
    assert dial.hours == pytest.approx(16.0)
    assert 9 <= len(sent) <= 10
    assert min(np.diff([t for t, _ in sent])) >= 0.1 - 1e-9
    run_dial(dial, clock, 0.0, 0.5)  # let go: the final value goes out once, then silence
    assert sent[-1][1] == pytest.approx(16.0) and len(sent) <= 11
    n = len(sent)
    run_dial(dial, clock, 0.0, 1.0)
    assert len(sent) == n
    validate({"time_of_day": sent[-1][1]})  # a value the server admits
    half = TimeOfDayDial(lambda h: None, hours=12.0, rate_h_per_s=2.0, dead_zone=0.15, clock=clock)
    run_dial(half, clock, 0.575, 1.0)  # half-way between the dead zone and the stop: half the rate
    assert half.hours == pytest.approx(13.0)


def test_time_of_day_wraps_through_midnight_both_ways() -> None:
    clock = Clock()
    values: list[float] = []
    dial = TimeOfDayDial(values.append, hours=23.5, rate_h_per_s=2.0, clock=clock)
    run_dial(dial, clock, 1.0, 0.5)
    assert dial.hours == pytest.approx(0.5)
    run_dial(dial, clock, -1.0, 0.5)
    assert dial.hours == pytest.approx(23.5)
    assert all(0.0 <= v < 24.0 for v in values)
    assert dial.text() == "Time of day 23:30"


def test_the_dial_takes_the_servers_value_only_when_idle() -> None:
    clock = Clock()
    dial = TimeOfDayDial(lambda h: None, hours=14.0, clock=clock)
    dial.sync(9.0)
    assert dial.hours == 9.0
    clock.t += 1.0
    dial.update(1.0, 0.1)  # turning: sent right away
    clock.t += 0.01
    dial.update(1.0, 0.1)  # turning, not sent yet (rate limit)
    dial.sync(3.0)
    assert dial.hours != 3.0
    dial.update(0.0, 0.01)  # released, the final value still pending
    dial.sync(3.0)
    assert dial.hours != 3.0
    clock.t += 0.2
    dial.update(0.0, 0.01)  # sent
    dial.sync(3.0)
    assert dial.hours == 3.0


def test_tilt_axis_for_the_simple_controller() -> None:
    assert tilt_axis(head_pose((0, 1, 0), pitch_deg=30.0)) == pytest.approx((30 - 8) / (45 - 8))
    assert tilt_axis(head_pose((0, 1, 0), pitch_deg=-60.0)) == -1.0
    assert tilt_axis(head_pose((0, 1, 0), yaw_deg=70.0, pitch_deg=5.0)) == 0.0


# -- bookmarks -----------------------------------------------------------------------------------


def test_bookmarks_step_jump_and_share_new_ones(studio: Scene) -> None:
    shared: list[tuple[str, np.ndarray, float, str]] = []
    tool = BookmarkTool(studio.bookmarks, lambda *a: shared.append(a))
    names = [b.name for b in studio.bookmarks]
    assert [b.name for b in tool.entries] == names
    assert tool.next() is studio.bookmarks[0] and tool.prev() is studio.bookmarks[-1]
    assert tool.next() is studio.bookmarks[0]
    rig, head = Rig(), head_pose((0.4, 1.55, -0.2), 75.0, -10.0)
    b = tool.jump(rig, head, studio.bookmark("corner"))
    assert b is not None and rig.head_world(head) == pytest.approx(b.T_world_camera[:3, 3], abs=1e-9)

    view = head_pose((2.0, 1.7, 1.0), 40.0, -5.0, 12.0)
    first = tool.create(None, view, fov_y_deg=37.8, note="wide from the door")
    second = tool.create("", view)
    assert (first.name, second.name) == ("scout-1", "scout-2")
    name, T, fov, note = shared[0]
    assert (name, fov, note) == ("scout-1", 37.8, "wide from the door")
    assert T[:3, 3] == pytest.approx(view[:3, 3]) and T[1, 0] == pytest.approx(0.0, abs=1e-12)  # level
    assert shared[1][2] == 60.0
    assert tool.current is second and [b.name for b in tool.entries][-2:] == ["scout-1", "scout-2"]
    assert tool.create("Sofa, wide!", view).name == "sofa-wide-1"

    # the server's list replaces ours; the selection follows the name
    server_list = [Bookmark("scout-7", look_at((0, 1.7, 0), (0, 1.7, -1)))] + tool.shared
    tool.set_shared(server_list)
    assert tool.current is not None and tool.current.name == "sofa-wide-1"
    assert tool.unique_name("scout") == "scout-8"
    tool.set_shared([Bookmark("spawn", np.eye(4))])  # a clash with a scene name stays hidden
    assert [b.name for b in tool.entries] == names and tool.current is None


def test_a_failed_share_adds_nothing() -> None:
    def refuse(*_: object) -> None:
        raise ConnectionError("offline")

    tool = BookmarkTool([], refuse)
    with pytest.raises(ConnectionError):
        tool.create("x", np.eye(4))
    assert tool.entries == [] and tool.next() is None
    assert tool.jump(Rig(), np.eye(4)) is None
    assert [b.name for b in BookmarkTool([], None).entries] == []


def test_shared_bookmarks_from_the_client_become_scene_bookmarks() -> None:
    pose = look_at((1.0, 1.7, 2.0), (0.0, 1.0, 0.0))
    cam = as_bookmark(SharedBookmark("a", tuple(pose.reshape(16)), 40.0, note="why", kind="cam_a"))
    assert cam.T_world_camera == pytest.approx(pose) and (cam.fov_y_deg, cam.description) == (40.0, "why")
    assert cam.kind == "bookmark"  # a label the scene model does not know
    assert as_bookmark(SharedBookmark("b", tuple(pose.reshape(16)), kind="shot")).kind == "shot"
    own = Bookmark("c", pose)
    assert as_bookmark(own) is own


def test_created_bookmarks_go_through_the_server_and_come_back_shared(studio: Scene, tmp_path: Path) -> None:
    config = ServerConfig(port=0, history_path=tmp_path / "history.sqlite")
    with ServerThread(config, scene=studio) as srv:
        ep = srv.endpoints["control"]
        with Client(ep, name="scout", role="viewer") as scout, Client(ep, name="other") as other:
            mine = BookmarkTool(
                studio.bookmarks,
                lambda n, T, fov, note: scout.save_bookmark(n, T, fov_y_deg=fov, note=note),
            )
            view = head_pose((2.0, 1.7, 1.0), 40.0, -5.0, 12.0)
            made = [
                mine.create(hint, view, fov_y_deg=37.8, note="door") for hint in (None, "_Sofa wide!", "")
            ]
            assert [b.name for b in made] == ["scout-1", "sofa-wide-1", "scout-2"]
            assert all(check_name(0, b.name) is None for b in made)  # the server's own name rule
            other.wait_state(lambda s: all(f"bookmark.{b.name}" in s for b in made))
            theirs = BookmarkTool(studio.bookmarks)
            theirs.set_shared(other.bookmarks().values())
            got = {b.name: b for b in theirs.entries}
            assert got["sofa-wide-1"].T_world_camera == pytest.approx(made[1].T_world_camera)
            assert got["sofa-wide-1"].fov_y_deg == pytest.approx(37.8)
            assert got["sofa-wide-1"].description == "door"
            assert theirs.unique_name(None) == "scout-3"
            rig, head = Rig(), head_pose((0.2, 1.6, 0.1), 30.0)
            theirs.jump(rig, head, got["scout-2"])
            assert rig.head_world(head) == pytest.approx(view[:3, 3], abs=1e-6)
