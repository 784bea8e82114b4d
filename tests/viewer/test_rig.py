"""The tracking-space rig: teleport lands the feet on the target under the head, snap turns pivot about
the head, bookmarks put the eye where they look from, and the reference-space offset makes the runtime
report world poses. Checked against scipy's rotations and hand-built transforms, not the rig's own."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from bridge.world.scene import look_at
from vpbridge_xr.rig import Rig, matrix_from_pose, pose_from_matrix, yaw_of


def pose(
    position: tuple[float, float, float], yaw_deg: float, pitch_deg: float = 0.0, roll_deg: float = 0.0
) -> np.ndarray:
    """A head pose built with scipy: yaw about +Y, then pitch about the local X, then roll about −Z."""
    T = np.eye(4)
    T[:3, :3] = Rotation.from_euler("YXZ", [yaw_deg, pitch_deg, roll_deg], degrees=True).as_matrix()
    T[:3, 3] = position
    return T


def heading_deg(T: np.ndarray) -> float:
    """Compass heading of a pose's forward (−Z) projected on the floor, counter-clockwise from −Z."""
    f = -T[:3, 2]
    return math.degrees(math.atan2(-f[0], -f[2]))


def angle_diff_deg(a: float, b: float) -> float:
    return (a - b + 180.0) % 360.0 - 180.0


RNG = np.random.default_rng(7)


def random_rig() -> Rig:
    return Rig(RNG.uniform(-20, 20, 3), float(RNG.uniform(-math.pi, math.pi)))


def random_head() -> np.ndarray:
    return pose(
        (float(RNG.uniform(-1.5, 1.5)), float(RNG.uniform(1.2, 1.9)), float(RNG.uniform(-1.5, 1.5))),
        float(RNG.uniform(-180, 180)),
        float(RNG.uniform(-60, 60)),
        float(RNG.uniform(-20, 20)),
    )


def test_world_from_stage_is_a_yaw_then_a_translation() -> None:
    rig = Rig((2.0, 0.5, -3.0), math.radians(90.0))
    W = rig.world_from_stage()
    # a yaw of +90° turns stage −Z (forward) onto world −X, and keeps Y
    assert W[:3, :3] @ np.array([0, 0, -1.0]) == pytest.approx([-1.0, 0.0, 0.0], abs=1e-12)
    assert W[:3, 3] == pytest.approx([2.0, 0.5, -3.0])
    T = random_head()
    assert rig.to_world(T) == pytest.approx(W @ T)
    assert rig.stage_from_world() @ W == pytest.approx(np.eye(4), abs=1e-12)
    assert rig.point_to_world([1.0, 0.0, 0.0]) == pytest.approx([2.0, 0.5, -4.0])
    stack = np.stack([random_head() for _ in range(3)])
    assert rig.to_world(stack) == pytest.approx(np.einsum("ij,njk->nik", W, stack))


@pytest.mark.parametrize("trial", range(5))
def test_teleport_puts_the_head_above_the_target_and_the_floor_on_it(trial: int) -> None:
    rig, head = random_rig(), random_head()
    yaw_before = rig.yaw
    heading_before = heading_deg(rig.to_world(head))
    target = np.array([3.0, 0.5 * trial, -7.0])
    rig.teleport(target, head)
    hw = rig.to_world(head)
    assert hw[0, 3] == pytest.approx(target[0], abs=1e-9)
    assert hw[2, 3] == pytest.approx(target[2], abs=1e-9)
    assert hw[1, 3] == pytest.approx(target[1] + head[1, 3], abs=1e-9)  # real head height above the target
    feet_stage = np.array([head[0, 3], 0.0, head[2, 3]])  # the floor straight under the tracked head
    assert rig.point_to_world(feet_stage) == pytest.approx(target, abs=1e-9)
    assert rig.yaw == yaw_before
    assert heading_deg(hw) == pytest.approx(heading_before, abs=1e-9)


@pytest.mark.parametrize("angle_deg", [15.0, -30.0, 45.0, 90.0, 180.0])
def test_snap_turn_pivots_about_the_head(angle_deg: float) -> None:
    rig, head = random_rig(), random_head()
    before = rig.to_world(head)
    rig.snap_turn(math.radians(angle_deg), head)
    after = rig.to_world(head)
    assert after[:3, 3] == pytest.approx(before[:3, 3], abs=1e-9)
    assert angle_diff_deg(heading_deg(after), heading_deg(before)) == pytest.approx(
        angle_diff_deg(angle_deg, 0.0), abs=1e-9
    )
    # the floor stays level: world up is still the stage's up
    assert rig.world_from_stage()[:3, 1] == pytest.approx([0.0, 1.0, 0.0])


def test_many_snap_turns_do_not_drift() -> None:
    rig, head = random_rig(), random_head()
    start = rig.to_world(head)
    for _ in range(12):
        rig.snap_turn(math.radians(30.0), head)
    assert rig.to_world(head) == pytest.approx(start, abs=1e-9)


def test_fly_moves_the_rig_by_speed_times_time_and_clips_the_direction() -> None:
    rig = Rig((1.0, 0.0, 1.0), 0.3)
    rig.fly([0.0, 0.0, -0.5], dt=0.1, speed=4.0)
    assert rig.position == pytest.approx([1.0, 0.0, 0.8])
    rig.fly([3.0, 4.0, 0.0], dt=0.5, speed=2.0)  # |d| = 5 → unit
    assert rig.position == pytest.approx([1.6, 0.8, 0.8])
    assert rig.yaw == 0.3


@pytest.mark.parametrize("trial", range(4))
def test_set_from_bookmark_puts_the_eye_at_the_bookmark_facing_its_heading(trial: int) -> None:
    rig, head = random_rig(), random_head()
    eye = np.array([4.0, 1.8 + trial, -2.0])
    bookmark = look_at(eye, eye + np.array([1.0, -0.3, 2.0]))
    rig.set_from_bookmark(bookmark, head)
    hw = rig.to_world(head)
    assert hw[:3, 3] == pytest.approx(eye, abs=1e-9)
    assert angle_diff_deg(heading_deg(hw), heading_deg(bookmark)) == pytest.approx(0.0, abs=1e-7)
    # yaw only: the user's own pitch is untouched (forward's vertical part as tracked)
    assert hw[1, 2] == pytest.approx(head[1, 2], abs=1e-12)
    assert rig.world_from_stage()[:3, 1] == pytest.approx([0.0, 1.0, 0.0])


def test_reference_space_pose_makes_the_runtime_report_world_poses() -> None:
    for _ in range(10):
        rig = random_rig()
        position, q = rig.reference_space_pose()
        # poseInReferenceSpace P: the new space's origin at P in STAGE; a pose at T_stage is reported
        # in the new space as inv(P) @ T_stage — with P built by scipy from the returned quaternion
        P = np.eye(4)
        P[:3, :3] = Rotation.from_quat(q).as_matrix()  # scipy takes (x, y, z, w)
        P[:3, 3] = position
        assert q[0] == pytest.approx(0.0, abs=1e-12) and q[2] == pytest.approx(0.0, abs=1e-12)  # a pure yaw
        assert np.linalg.norm(q) == pytest.approx(1.0)
        for _ in range(5):
            T_stage = random_head()
            assert np.linalg.inv(P) @ T_stage == pytest.approx(rig.to_world(T_stage), abs=1e-9)


def test_pose_conversions_match_scipy() -> None:
    for _ in range(20):
        q = Rotation.random(random_state=int(RNG.integers(1 << 30))).as_quat()
        p = RNG.uniform(-5, 5, 3)
        T = matrix_from_pose(p, q)
        assert T[:3, :3] == pytest.approx(Rotation.from_quat(q).as_matrix(), abs=1e-12)
        p2, q2 = pose_from_matrix(T)
        assert p2 == pytest.approx(p)
        assert abs(float(np.dot(q2, q))) == pytest.approx(1.0, abs=1e-12)  # same rotation (q ~ −q)
    with pytest.raises(ValueError, match="zero quaternion"):
        matrix_from_pose((0, 0, 0), (0, 0, 0, 0))


def test_yaw_of_a_head_looking_straight_down_follows_the_top_of_the_head() -> None:
    down = pose((0, 1.7, 0), 40.0, -90.0)
    assert math.degrees(yaw_of(down)) == pytest.approx(40.0, abs=1e-6)
    up = pose((0, 1.7, 0), -120.0, 90.0)
    assert math.degrees(yaw_of(up)) == pytest.approx(-120.0, abs=1e-6)
