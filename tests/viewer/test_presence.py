"""Presence: other scouts' heads from the shared state (ours left out, stale ones dropped), stable
colours, frusta with the reported lens, and our own CameraReport at a limited rate — end to end
through a real server."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from bridge.client_sync import Client
from bridge.protocol import messages as m
from bridge.world.scene import look_at
from vpbridge_xr.lenses import SENSORS, Lens
from vpbridge_xr.presence import PoseReporter, PresenceTracker, draw_heads, head_model, session_color


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def camera_value(
    T: np.ndarray, focal: float = 35.0, sensor: tuple[float, float] = (36.0, 24.0)
) -> list[float]:
    """What the server publishes for a CameraReport: 16 row-major pose floats + the five lens values."""
    return [float(x) for x in T.reshape(16)] + [focal, 2.8, 10.0, sensor[0], sensor[1]]


POSE_A = look_at((1.0, 1.7, 3.0), (0.0, 1.5, 0.0))
POSE_B = look_at((-2.0, 1.6, 1.0), (0.0, 1.0, -4.0))


def test_tracker_lists_others_with_their_lens_and_name_and_leaves_us_out() -> None:
    state: dict[str, m.ParamValue] = {
        "camera.aaaaaaaa": camera_value(POSE_A, 50.0, (24.89, 18.66)),
        "presence.aaaaaaaa": "ana (director)",
        "camera.bbbbbbbb": camera_value(POSE_B),
        "camera.ourssess": camera_value(np.eye(4)),
        "camera.broken00": [1.0, 2.0],  # not 21 floats: ignored
        "camera.notrigid": [2.0, *camera_value(POSE_A)[1:]],  # last row is fine but ... see below
        "time_of_day": 14.0,
    }
    state["camera.notrigid"] = [*camera_value(POSE_A)[:12], 0.0, 0.0, 1.0, 1.0, *camera_value(POSE_A)[16:]]
    tracker = PresenceTracker("ourssession-token-in-full", clock=Clock())
    people = tracker.update(state)
    assert [p.session for p in people] == ["aaaaaaaa", "bbbbbbbb"]
    a, b = people
    assert a.label == "ana (director)" and b.label == "bbbbbbbb"
    assert a.T_world_camera == pytest.approx(POSE_A)
    assert a.lens.focal_mm == 50.0 and a.lens.sensor is SENSORS["Super 35"]
    assert b.lens == Lens(35.0, SENSORS["Full frame"])


def test_a_pose_unchanged_for_longer_than_stale_s_is_dropped_and_comes_back_when_it_moves() -> None:
    clock = Clock()
    tracker = PresenceTracker("mine0000", stale_s=5.0, clock=clock)
    state: dict[str, m.ParamValue] = {
        "camera.aaaaaaaa": camera_value(POSE_A),
        "camera.bbbbbbbb": camera_value(POSE_B),
    }
    assert len(tracker.update(state)) == 2
    clock.t += 3.0
    state["camera.bbbbbbbb"] = camera_value(POSE_B @ _shift(0.05))
    assert len(tracker.update(state)) == 2
    clock.t += 3.0  # a: 6 s unchanged (stale); b: 3 s
    assert [p.session for p in tracker.update(state)] == ["bbbbbbbb"]
    state["camera.aaaaaaaa"] = camera_value(POSE_A @ _shift(0.02))
    assert [p.session for p in tracker.update(state)] == ["aaaaaaaa", "bbbbbbbb"]
    del state["camera.bbbbbbbb"]  # the session left
    assert [p.session for p in tracker.update(state)] == ["aaaaaaaa"]


def _shift(dx: float) -> np.ndarray:
    T = np.eye(4)
    T[0, 3] = dx
    return T


def test_session_colours_are_stable_distinct_and_independent_of_hash_seeds() -> None:
    ids = [f"{i:08x}" for i in range(0, 4000, 97)]
    colors = [session_color(s) for s in ids]
    assert all(0.0 <= c <= 1.0 for rgb in colors for c in rgb)
    assert len(set(colors)) == len(ids)
    assert session_color("aaaaaaaa") == session_color("aaaaaaaa-rest-of-the-token")
    code = "from vpbridge_xr.presence import session_color; print(session_color('aaaaaaaa'))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {f"{session_color('aaaaaaaa')}\n"}


def test_head_model_frustum_has_the_lens_angles_in_the_camera_frame() -> None:
    lens = Lens(24.0, SENSORS["Full frame"])
    lines = head_model(POSE_A, lens, frustum_m=0.5).astype(np.float64)
    assert lines.shape[1] == 3 and len(lines) % 2 == 0
    inv = np.linalg.inv(POSE_A)
    local = lines @ inv[:3, :3].T + inv[:3, 3]
    far = local[np.isclose(local[:, 2], -0.5, atol=1e-5)]
    assert len(far)
    assert np.abs(far[:, 0]).max() == pytest.approx(0.5 * 18.0 / 24.0, abs=1e-5)  # tan(hfov/2) = 18/24
    assert np.abs(far[:, 1]).max() == pytest.approx(0.5 * 12.0 / 24.0 * 1.3, abs=1e-5)  # + the up tick
    head_pts = local[np.abs(local[:, 2]) <= 0.13]  # the head: an octahedron of radius 0.12 m at the eye
    assert len(head_pts) and np.linalg.norm(head_pts, axis=1).max() == pytest.approx(0.12, abs=1e-5)
    tracker = PresenceTracker("mine0000", clock=Clock())
    (draw,) = draw_heads(tracker.update({"camera.aaaaaaaa": camera_value(POSE_A)}))
    assert draw.color == session_color("aaaaaaaa") and draw.lines.dtype == np.float32
    assert draw.label_anchor == pytest.approx(POSE_A[:3, 3] + POSE_A[:3, 1] * 0.25)


def test_reporter_sends_at_most_max_hz_and_only_after_a_move_or_turn() -> None:
    clock = Clock()
    rep = PoseReporter(max_hz=10.0, min_move_m=0.01, min_turn_deg=1.0, keepalive_s=2.0, clock=clock)
    lens = Lens(35.0)
    head = look_at((0.0, 1.7, 0.0), (0.0, 1.7, -1.0))
    first = rep.report_pose(head, lens)
    assert first is not None and first["T_world_camera"] == tuple(head.reshape(16))
    m.CameraReport(rid=1, **first)  # the fields a CameraReport takes
    moved = head @ _shift(0.5)
    clock.t += 0.05
    assert rep.report_pose(moved, lens) is None  # 20 Hz is too soon
    clock.t += 0.06
    assert rep.report_pose(head @ _shift(0.008), lens) is None  # 8 mm: not a move
    assert rep.report_pose(moved, lens) is not None
    clock.t += 0.2

    def yawed(deg: float) -> np.ndarray:
        c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
        R = np.eye(4)
        R[[0, 0, 2, 2], [0, 2, 0, 2]] = [c, s, -s, c]
        return np.asarray(moved @ R)

    assert rep.report_pose(yawed(0.6), lens) is None
    assert rep.report_pose(yawed(1.5), lens) is not None
    clock.t += 0.2
    assert rep.report_pose(yawed(1.5), Lens(85.0)) is not None  # a new lens is news
    clock.t += 1.0
    assert rep.report_pose(yawed(1.5), Lens(85.0)) is None
    clock.t += 1.1  # 2.1 s since the last one: keep-alive
    assert rep.report_pose(yawed(1.5), Lens(85.0)) is not None


def test_a_report_goes_through_the_server_and_comes_back_as_presence(server: Any) -> None:
    lens = Lens(50.0, SENSORS["ARRI Alexa Mini"])
    head = look_at((2.0, 1.65, 4.0), (0.0, 1.0, 0.0))
    with Client(server.endpoints["control"], name="ana") as scout, Client(server.endpoints["control"]) as me:
        fields = PoseReporter().report_pose(head, lens)
        assert fields is not None
        scout.request(m.CameraReport(rid=0, **fields))
        me.wait_state(lambda s: any(k.startswith("camera.") for k in s))
        assert scout.welcome is not None and me.welcome is not None
        mine = PresenceTracker(me.welcome.session).update(me.state)
        assert len(mine) == 1 and mine[0].session == scout.welcome.session[:8]
        assert mine[0].T_world_camera == pytest.approx(head) and mine[0].lens == lens
        assert mine[0].label.startswith("ana")
        assert PresenceTracker(scout.welcome.session).update(scout.state) == []  # never ourselves
