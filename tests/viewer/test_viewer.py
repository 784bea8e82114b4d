"""The headset viewer end to end: `vpbridge xr` against a real server, through pyopenxr's Khronos
loader, the project's headless OpenXR runtime (built here with the system compiler) and the Khronos
core validation layer. The runtime plays scripted head/controller poses and buttons and records what
the viewer submitted (layers, poses, FOVs, released pixels) for these tests to inspect."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge import world
from bridge.client_sync import Client
from bridge.render.renderer import SceneRenderer
from bridge.render.source import FovAngles, RenderJob, View
from bridge.server import ServerConfig, ServerThread
from bridge.server.sources import source_factory
from bridge.world.scene import Scene
from vpbridge_xr.headless import HeadlessRuntime, Recording, Script
from vpbridge_xr.local_scene import LocalScene
from vpbridge_xr.poses import matrix_from_pose, quat_from_matrix

EYE = (96, 80)
TOUCH = "/interaction_profiles/oculus/touch_controller"
IDENTITY_Q = (0.0, 0.0, 0.0, 1.0)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> HeadlessRuntime:
    return HeadlessRuntime.build(tmp_path_factory.mktemp("xr_runtime"))


@pytest.fixture(scope="module")
def studio() -> Scene:
    return world.build_scene(world.load_spec("studio_set"))


@pytest.fixture
def server(studio: Scene) -> Iterator[ServerThread]:
    srv = ServerThread(
        ServerConfig(port=0, history_path="none", cache_bytes=0), source_factory("scene", studio), studio
    ).start()
    yield srv
    srv.stop()


def _endpoint(srv: ServerThread) -> str:
    return srv.endpoints["control"]


def _script(tmp: Path, frames: int, **kw: Any) -> Script:
    s = Script(profile=kw.pop("profile", TOUCH), view_size=EYE, exit_after=frames, **kw)
    s.head(0, (0.0, 1.6, 0.0, *IDENTITY_Q))
    # Right controller held forward and pointing 30° down (towards the floor ahead).
    q = quat_from_matrix(_rot_x(-math.radians(30.0)))
    s.hand(0, "right", (0.2, 1.3, -0.3, *q))
    s.hand(0, "left", (-0.2, 1.3, -0.3, *IDENTITY_Q))
    return s


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _run_xr(
    runtime: HeadlessRuntime,
    endpoint: str,
    tmp: Path,
    script: Script,
    *args: str,
    validation: bool = True,
    timeout: float = 110,
) -> tuple[subprocess.CompletedProcess[str], Recording, dict[str, Any]]:
    script_path = script.write(tmp / "script.txt")
    record = tmp / "record"
    env = {**os.environ, **runtime.env(script_path, record, validation=validation)}
    summary = tmp / "summary.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bridge.cli",
            "xr",
            endpoint,
            "--summary",
            str(summary),
            "--stills",
            str(tmp / "stills"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if validation:
        assert (record / "validation.txt").is_file(), "the core validation layer was loaded"
    return proc, Recording.load(record), json.loads(summary.read_text())


def _view_pose(v: dict[str, Any]) -> np.ndarray:
    p = v["pose"]
    return matrix_from_pose(p[:3], p[3:])


def _space_pose(layer: dict[str, Any]) -> np.ndarray:
    p = layer["space"]["pose"]
    return matrix_from_pose(p[:3], p[3:])


def test_local_mode_session_lifecycle_eyes_pixels_and_validation(
    runtime: HeadlessRuntime, server: ServerThread, studio: Scene, tmp_path: Path
) -> None:
    frames = 8
    script = _script(
        tmp_path,
        frames,
        capture=[5],
        fov_left=(-0.80, 0.70, 0.75, -0.85),
        fov_right=(-0.70, 0.80, 0.75, -0.85),
    )
    proc, rec, summary = _run_xr(runtime, _endpoint(server), tmp_path, script, "--no-tools")
    assert rec.states[:5] == ["IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED"]
    assert rec.states[-3:] == ["STOPPING", "IDLE", "EXITING"]
    assert rec.validation_errors() == []
    submitted = [f for f in rec.frames if f["layers"]]
    assert len(submitted) >= frames - 3
    want = [(-0.80, 0.70, 0.75, -0.85), (-0.70, 0.80, 0.75, -0.85)]
    for f in submitted:
        (layer,) = f["layers"]
        assert layer["type"] == "projection"
        assert len(layer["views"]) == 2
        for v, fov in zip(layer["views"], want, strict=True):
            assert v["fov"] == pytest.approx(fov, abs=1e-6)
            assert v["rect"][2:] == list(EYE)
            assert v["depth"] is not None and v["depth"]["near"] > 0.0
    assert summary["depth_layer"] is True
    # The pixels released for frame 5 are the project's renderer's for that eye's pose and FOV.
    frame5 = next(f for f in rec.frames if f["frame"] == 5)
    caps = {(c["swapchain"], c["image"]): img for c, img in rec.captures if c["frame"] == 5}
    local = LocalScene.from_download(*_download(server))
    renderer = SceneRenderer(local.scene)
    try:
        for v in frame5["layers"][0]["views"]:
            img = caps[(v["swapchain"], v["image"])]
            # Without tools the layer space is the world itself: the view pose is the eye's world pose.
            assert np.allclose(_space_pose(frame5["layers"][0]), np.eye(4))
            job = RenderJob(
                views=[View(_view_pose(v), FovAngles(*v["fov"]))],
                width=EYE[0],
                height=EYE[1],
                near=v["depth"]["near"],
                far=v["depth"]["far"],
                params=local.params(_StateOnly(server)),
            )
            ref = renderer.render(job).views[0].color
            assert ref is not None
            assert img.shape == ref.shape
            diff = np.abs(img.astype(int) - ref.astype(int))
            assert diff.max() <= 1, f"max diff {diff.max()}"
    finally:
        renderer.close()


class _StateOnly:
    """A stand-in client for `LocalScene.params`: the server's current state."""

    def __init__(self, srv: ServerThread) -> None:
        with Client(_endpoint(srv), timeout=10) as c:
            self.state = dict(c.state)


def _download(srv: ServerThread) -> tuple[bytes, dict[str, Any]]:
    with Client(_endpoint(srv), timeout=30, follow_state=False) as c:
        return c.get_scene()


def test_snap_turn_and_teleport_move_the_reference_space(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = _script(tmp_path, 30)
    # Frame 6: flick the right stick right (one snap turn); frames 12-16: hold the trigger to aim the
    # teleport arc, release at 17.
    script.input(6, "/user/hand/right/input/thumbstick", 1.0, 0.0)
    script.input(8, "/user/hand/right/input/thumbstick", 0.0, 0.0)
    script.input(12, "/user/hand/right/input/trigger/value", 1.0)
    script.input(17, "/user/hand/right/input/trigger/value", 0.0)
    proc, rec, summary = _run_xr(runtime, _endpoint(server), tmp_path, script)
    assert rec.validation_errors() == []
    layers = {f["frame"]: f["layers"][0] for f in rec.frames if f["layers"]}
    head_stage = matrix_from_pose((0.0, 1.6, 0.0), IDENTITY_Q)

    def head_world(frame: int) -> np.ndarray:
        # Located poses are in the layer's space: world = inverse(space pose in STAGE) @ stage pose.
        return np.linalg.inv(_space_pose(layers[frame])) @ head_stage

    before, after_turn = head_world(5), head_world(11)
    assert np.allclose(before[:3, 3], after_turn[:3, 3], atol=1e-4), "a snap turn keeps the head in place"
    yaw = lambda T: math.atan2(-T[0, 2], -T[2, 2])  # noqa: E731 - heading of -Z
    turned = (yaw(after_turn) - yaw(before) + math.pi) % (2 * math.pi) - math.pi
    assert turned == pytest.approx(-math.radians(30.0), abs=1e-3)
    after_tp = head_world(25)
    moved = after_tp[:3, 3] - after_turn[:3, 3]
    assert np.linalg.norm(moved[[0, 2]]) > 0.5, "the teleport moved the viewer"
    assert after_tp[1, 3] == pytest.approx(after_turn[1, 3], abs=0.35), "eye height is kept over the floor"
    assert any("teleported" in e.get("event", "") for e in summary["tools"]["events"])


def test_a_bookmark_made_in_the_headset_appears_for_another_client(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = _script(tmp_path, 14)
    script.input(6, "/user/hand/right/input/b/click", 1.0)
    script.input(8, "/user/hand/right/input/b/click", 0.0)
    with Client(_endpoint(server), timeout=10) as other:
        _run_xr(runtime, _endpoint(server), tmp_path, script)
        deadline = time.monotonic() + 10
        while "scout-1" not in other.bookmarks() and time.monotonic() < deadline:
            time.sleep(0.05)
        shared = other.bookmarks()
    assert "scout-1" in shared
    assert shared["scout-1"].pose[1, 3] > 0.5, "the bookmark is at eye height in the world"


def test_stream_mode_submits_the_frames_render_pose_with_depth(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = _script(tmp_path, 10)
    for i in range(10):  # the head turns a little every frame
        q = quat_from_matrix(_rot_y(math.radians(2.0 * i)))
        script.head(i, (0.0, 1.6, 0.0, *q))
    proc, rec, summary = _run_xr(
        runtime, _endpoint(server), tmp_path, script, "--mode", "stream", "--no-tools"
    )
    assert rec.validation_errors() == []
    submitted = [f for f in rec.frames if f["layers"]]
    assert len(submitted) >= 6
    for f in submitted:
        for v in f["layers"][0]["views"]:
            assert v["depth"] is not None
    assert summary["stages"]["pose_to_submit_ms"]["mean"] > 0.0
    assert "xr: " in proc.stdout


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def test_holographic_review_shows_a_panorama_around_the_viewer(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = _script(tmp_path, 6, capture=[4])
    proc, rec, summary = _run_xr(
        runtime, _endpoint(server), tmp_path, script, "--mode", "holo", "--no-tools", "--holo-width", "256"
    )
    assert rec.validation_errors() == []
    imgs = [img for c, img in rec.captures if c["frame"] == 4 and img.ndim == 3]
    assert len(imgs) == 2
    assert all(float(img[..., :3].std()) > 3.0 for img in imgs), "the panorama is not blank"
    assert summary["stages"]["panorama_ms"]["mean"] > 0.0


def test_no_runtime_is_a_clear_message(server: ServerThread, tmp_path: Path) -> None:
    env = {**os.environ, "XR_RUNTIME_JSON": str(tmp_path / "missing.json"), "EGL_PLATFORM": "surfaceless"}
    proc = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "xr", _endpoint(server), "--frames", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode != 0
    assert "no OpenXR runtime found" in proc.stderr
    assert "Monado" in proc.stderr and "Traceback" not in proc.stderr


def test_measure_viewfinder_still_time_of_day_and_presence_in_one_session(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    menu, trigger = "/user/hand/left/input/menu/click", "/user/hand/right/input/trigger/value"
    stick = "/user/hand/right/input/thumbstick"
    script = _script(tmp_path, 70)
    for i in range(0, 70, 5):  # the head looks around a little, so presence has something to report
        q = quat_from_matrix(_rot_y(math.radians(i * 0.5)))
        script.head(i, (0.0, 1.6, 0.0, *q))
    script.input(4, menu, 1.0).input(6, menu, 0.0)  # teleport -> measure
    script.input(8, trigger, 1.0).input(10, trigger, 0.0)  # point A
    q_b = quat_from_matrix(_rot_x(-math.radians(45.0)))
    script.hand(11, "right", (0.2, 1.3, -0.3, *q_b))  # aim nearer the feet
    script.input(13, trigger, 1.0).input(15, trigger, 0.0)  # point B
    script.input(17, menu, 1.0).input(19, menu, 0.0)  # measure -> viewfinder
    script.input(21, trigger, 1.0).input(23, trigger, 0.0)  # capture a still
    script.input(25, menu, 1.0).input(27, menu, 0.0)  # viewfinder -> time of day
    script.input(29, stick, 0.0, 1.0).input(60, stick, 0.0, 0.0)  # push the sun forward
    with Client(_endpoint(server), timeout=10) as other:
        hours_before = float(other.state["time_of_day"])
        seen_cameras: set[str] = set()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridge.cli",
                "xr",
                _endpoint(server),
                "--summary",
                str(tmp_path / "summary.json"),
                "--stills",
                str(tmp_path / "stills"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **runtime.env(script.write(tmp_path / "script.txt"), tmp_path / "record")},
        )
        while proc.poll() is None:  # the other client watches the headset's presence as it happens
            seen_cameras |= {k for k in dict(other.state) if k.startswith("camera.")}
            time.sleep(0.02)
        out, err = proc.communicate(timeout=110)
        assert proc.returncode == 0, out + err
        deadline = time.monotonic() + 5
        while float(other.state["time_of_day"]) == hours_before and time.monotonic() < deadline:
            time.sleep(0.05)
        hours_after = float(other.state["time_of_day"])
    rec = Recording.load(tmp_path / "record")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert rec.validation_errors() == []
    tools = summary["tools"]
    said = [e.get("event", "") for e in tools["events"]]
    # Measuring: two floor points, a distance in metres shown.
    assert sum(e == "measure_point" for e in said) == 2
    assert " m" in tools["measurement"], tools["measurement"]
    # The viewfinder's still: rendered by the server at full quality, written with its pose and lens.
    assert len(tools["stills"]) == 1
    pngs = sorted((tmp_path / "stills").glob("*.png"))
    assert len(pngs) == 1 and pngs[0].with_suffix(".json").is_file()
    meta = json.loads(pngs[0].with_suffix(".json").read_text())
    assert "lens" in meta and len(np.asarray(meta["T_world_camera"]).reshape(-1)) == 16
    # Time of day: the stick moved the server's sun, which every client sees.
    assert "time_of_day" in said
    assert hours_after != pytest.approx(hours_before, abs=1e-3), (tools["events"], summary["messages"])
    # Presence: the headset's head was on the state plane for the other client.
    assert seen_cameras, "the headset reported its head pose"


def _saturation(rgba: np.ndarray) -> float:
    rgb = rgba[..., :3].astype(float)
    mx, mn = rgb.max(-1), rgb.min(-1)
    return float(np.mean((mx - mn) / np.maximum(mx, 1.0)))


def test_local_mode_follows_a_directors_live_look_change(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = Script(profile=TOUCH, view_size=EYE, exit_after=80, capture=[3, 75], throttle_hz=30.0)
    script.head(0, (0.0, 1.6, 0.0, *IDENTITY_Q))
    record = tmp_path / "record"
    env = {**os.environ, **runtime.env(script.write(tmp_path / "script.txt"), record)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "xr", _endpoint(server), "--no-tools"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        events = record / "events.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:  # wait until frame 5 was submitted
            if events.is_file() and '"frame":5,' in events.read_text().replace(" ", ""):
                break
            time.sleep(0.05)
        with Client(_endpoint(server), timeout=10, role="director") as director:
            director.set_params({"look": "noir"})
        out, err = proc.communicate(timeout=110)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out + err
    rec = Recording.load(record)
    assert rec.validation_errors() == []
    before = [img for c, img in rec.captures if c["frame"] == 3 and img.ndim == 3]
    after = [img for c, img in rec.captures if c["frame"] == 75 and img.ndim == 3]
    assert len(before) == 2 and len(after) == 2
    assert all(_saturation(img) > 0.05 for img in before), "the neutral look has colour"
    assert all(_saturation(img) < 0.01 for img in after), "noir, followed live from the state plane"


def test_stream_mode_viewer_reprojection_submits_the_current_head_pose(
    runtime: HeadlessRuntime, server: ServerThread, tmp_path: Path
) -> None:
    script = _script(tmp_path, 12, capture=[10])
    heads = {}
    for i in range(12):  # the head turns 3° every frame, faster than the server renders
        R = _rot_y(math.radians(3.0 * i))
        heads[i] = R
        script.head(i, (0.0, 1.6, 0.0, *quat_from_matrix(R)))
    proc, rec, summary = _run_xr(
        runtime,
        _endpoint(server),
        tmp_path,
        script,
        "--mode",
        "stream",
        "--no-tools",
        "--reproject",
        "viewer",
    )
    assert rec.validation_errors() == []
    submitted = [f for f in rec.frames if f["layers"]]
    assert len(submitted) >= 8
    for f in submitted:
        for v in f["layers"][0]["views"]:
            # Resampled here for the current head orientation, so submitted with the current pose.
            assert np.allclose(_view_pose(v)[:3, :3], heads[f["frame"]], atol=1e-4)
    imgs = [img for c, img in rec.captures if c["frame"] == 10 and img.ndim == 3]
    assert len(imgs) == 2 and all(float(img[..., :3].std()) > 3.0 for img in imgs)
