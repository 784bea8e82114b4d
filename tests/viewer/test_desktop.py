"""`vpbridge view`: local mode renders the server's scene exactly as the server does, follows live
parameters and scene switches, tours headless to PNGs, and drives a fly camera from key names."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

import bridge.world as world
from bridge.cli import main
from bridge.client_sync import Client
from bridge.errors import ConfigError, RemoteError, SceneError
from bridge.protocol import messages as m
from bridge.render.renderer import SceneRenderer
from bridge.render.source import RenderJob, View, fov_from_vertical
from bridge.server import ServerConfig, ServerThread
from bridge.server.sources import source_factory
from bridge.world.scene import (
    Bookmark,
    Environment,
    Light,
    Material,
    Mesh,
    PointCloud,
    Provenance,
    Scene,
    look_at,
)
from vpbridge_xr import desktop
from vpbridge_xr.desktop import DesktopViewer, FlyCamera, tour_poses
from vpbridge_xr.local_scene import LocalScene, render_params, scene_from_glb, shared_bookmarks

SIZE = (160, 90)


@pytest.fixture(scope="module")
def studio() -> Scene:
    return world.build_scene(world.load_spec("studio_set"))


def _start(scene: Scene) -> ServerThread:
    config = ServerConfig(port=0, history_path="none", cache_bytes=0)
    return ServerThread(config, source_factory("scene", scene), scene).start()


@pytest.fixture(scope="module")
def scene_server(studio: Scene) -> Iterator[ServerThread]:
    """A server rendering studio_set; tests using it leave its parameters alone."""
    srv = _start(studio)
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(studio: Scene) -> Iterator[ServerThread]:
    """A server of its own, for tests that change parameters or the scene."""
    srv = _start(studio)
    yield srv
    srv.stop()


def _view(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", "view", *args], capture_output=True, text=True, timeout=timeout
    )


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


# -- end to end: the CLI against a real server -------------------------------------------------------


def test_headless_tour_writes_frames_that_equal_the_servers_own(
    scene_server: ServerThread, tmp_path: Path
) -> None:
    ep = scene_server.endpoints["control"]
    out = tmp_path / "view"
    r = _view(ep, "--headless", "--frames", "3", "--out", str(out), "--size", "160x90")
    assert r.returncode == 0, r.stderr
    assert "3 frames 160x90 of studio_set v1" in r.stdout and "render p50" in r.stdout
    record = json.loads((out / "view.json").read_text())
    assert [f["file"] for f in record["frames"]] == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    assert record["frames"][0]["at"] == "spawn" and record["scene"]["name"] == "studio_set"
    with Client(ep, follow_state=False) as c:
        stream = c.open_stream(width=SIZE[0], height=SIZE[1], depth="none")
        for f in record["frames"]:
            local = _png(out / f["file"])
            assert local.shape == (90, 160, 3)
            assert local.std() > 10, "not a blank frame"
            assert f["params"]["time_of_day"] == 13.0 and f["render_ms"] > 0
            assert f["fov_y_deg"] > 0 and len(f["T_world_camera"]) == 4
            # The server renders the same pose, FOV and (live) parameters over a stream.
            frame = stream.render(np.array(f["T_world_camera"]), fov=m.Fov(**f["fov"]), timeout=60)
            assert frame.color is not None
            served = np.asarray(frame.color)[..., :3].astype(int)
            diff = np.abs(served - local.astype(int))
            assert diff.max() <= 1 and diff.mean() < 0.01, f"frame {f['index']}: local differs from server"


def test_local_frames_follow_a_time_of_day_change_by_another_client(
    fresh_server: ServerThread, tmp_path: Path
) -> None:
    ep = fresh_server.endpoints["control"]
    out = tmp_path / "view"
    cmd = [sys.executable, "-m", "bridge.cli", "view", ep, "--headless", "--frames", "10", "--tour", "still"]
    cmd += ["--interval", "0.3", "--out", str(out), "--size", "160x90"]
    with Client(ep, role="director", name="dana") as director:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not (out / "frame_0000.png").exists():
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the viewer wrote no frame in 60 s"
                time.sleep(0.05)
            director.set_params({"time_of_day": 22.0}, message="night")
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, stderr
    frames = json.loads((out / "view.json").read_text())["frames"]
    hours = [f["params"]["time_of_day"] for f in frames]
    assert hours[0] == 13.0 and hours[-1] == 22.0 and hours == sorted(hours)
    assert "1 live parameter change(s) followed" in stdout
    day, night = _png(out / "frame_0000.png").mean(), _png(out / frames[-1]["file"]).mean()
    assert night < day * 0.6, f"night frame (mean {night:.1f}) is not darker than day ({day:.1f})"


def test_viewer_follows_a_live_scene_switch(fresh_server: ServerThread) -> None:
    ep = fresh_server.endpoints["control"]
    said: list[str] = []
    with Client(ep, name="vic") as viewer_client, Client(ep, role="director") as director:
        local = LocalScene.fetch(viewer_client)
        assert not local.scene_changed(viewer_client)
        viewer = DesktopViewer(viewer_client, local, say=said.append)
        try:
            viewer.key_down("w")
            viewer.update(0.5)
            director.generate(spec="coastal_village", timeout=90)
            viewer_client.wait_state(lambda s: viewer_client.inner.scene_version == 2, timeout=30)
            assert viewer.local.scene_changed(viewer_client)
            assert viewer.sync_scene()
            assert viewer.local.version == 2 and viewer.local.scene.name == "coastal_village"
            assert viewer.at == "spawn" and "scene switched to coastal_village v2" in said[-1]
            assert not viewer.sync_scene(), "one switch, one fetch"
            result, record = viewer.render(64, 48)
            assert record.scene_version == 2 and result.scene_version == 2
        finally:
            viewer.close()


@pytest.mark.parametrize(
    ("args", "needle", "code"),
    [
        (["not-an-endpoint", "--headless", "--frames", "1", "--out", "OUT", "--timeout", "1"], "not-an-endpoint", 1),
        (["tcp://127.0.0.1:1", "--headless", "--frames", "1", "--out", "OUT", "--timeout", "1"], "is the server running", 1),
        (["tcp://127.0.0.1:1", "--size", "12by7", "--headless", "--out", "OUT"], "--size", 2),
        (["tcp://127.0.0.1:1", "--headless", "--frames", "0", "--out", "OUT"], "--frames", 1),
        (["tcp://127.0.0.1:1", "--headless"], "--out", 1),
        (["tcp://127.0.0.1:1", "--frames", "3"], "only apply with --headless", 1),
        (["tcp://127.0.0.1:1", "--fov", "300", "--headless", "--out", "OUT"], "--fov", 1),
    ],
)  # fmt: skip
def test_bad_arguments_give_one_line(
    args: list[str], needle: str, code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    try:
        rc = main(["view", *args])
    except SystemExit as exc:  # argparse
        rc = int(exc.code or 0)
    err = capsys.readouterr().err
    assert rc == code
    assert needle in err and "Traceback" not in err
    assert err.strip().splitlines()[0].startswith("vpbridge")
    assert not (tmp_path / "out").exists()


def test_no_display_without_headless_says_to_use_headless(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    t0 = time.monotonic()
    assert main(["view", "tcp://127.0.0.1:1", "--timeout", "30"]) == 1
    assert time.monotonic() - t0 < 10, "fails before trying to connect"
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "no display" in err and "--headless --frames N --out DIR" in err


def test_missing_window_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "glfw", None)
    with pytest.raises(ConfigError, match="needs the `glfw` package.*--headless"):
        desktop.require_window({"DISPLAY": ":0"})
    assert desktop.display_available({"WAYLAND_DISPLAY": "wayland-0"})
    assert not desktop.display_available({})


def test_unknown_bookmark_and_a_scene_less_server_are_one_line_errors(
    scene_server: ServerThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "v")
    ep = scene_server.endpoints["control"]
    assert main(["view", ep, "--headless", "--frames", "1", "--out", out, "--bookmark", "moon"]) == 1
    err = capsys.readouterr().err
    assert "'moon' is not a bookmark" in err and "spawn, set_wide" in err
    with ServerThread(ServerConfig(port=0, history_path="none")) as bare:
        assert main(["view", bare.endpoints["control"], "--headless", "--frames", "1", "--out", out]) == 1
    assert "has no scene" in capsys.readouterr().err


# -- LocalScene: the GLB round trip ------------------------------------------------------------------


def _assert_same(a: Any, b: Any, path: str = "scene") -> None:
    import dataclasses

    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape, path
        if path.endswith("direction"):
            np.testing.assert_allclose(b, a, atol=1e-9, err_msg=path)
        else:
            assert np.array_equal(a, b), path
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _kitchen_sink() -> Scene:
    """Everything the GLB carries: textures, HDR and night-only emissive, instances, points, splats,
    lights, a panorama, a pinned sun, a rotated north, bookmarks with timeline marks."""
    rng = np.random.default_rng(3)
    env = Environment(
        time_of_day_h=9.0, latitude_deg=48.0, north_deg=30.0, sun_color=(1.0, 0.8, 0.6), sun_intensity=2.0,
        sun_azimuth_deg=120.0, sun_elevation_deg=25.0, sky="panorama", fog_density=0.01, exposure_ev=0.5,
        weather="overcast", turbidity=3.0,
        panorama=rng.integers(0, 255, (16, 32, 3), dtype=np.uint8),
    )  # fmt: skip
    s = Scene(
        "sink", Provenance("test", "2", "a prompt", 7, "model/x", [("a.glb", "ff")], ["zz"], ["n"]), env
    )
    tex = rng.integers(0, 255, (8, 8, 4), dtype=np.uint8)
    s.add_material(Material("ground", (0.5, 0.6, 0.7, 1.0), 0.9, 0.0))
    s.add_material(Material("neon", (0.1, 0.1, 0.1, 0.5), 0.3, 0.2, (3.7, 0.3, 1.1), True, tex))
    quad = np.array([[-5, 0, -5], [5, 0, -5], [5, 0, 5], [-5, 0, 5]], np.float32)
    normals = np.tile(np.array([0, 1, 0], np.float32), (4, 1))
    faces = np.array([[0, 2, 1], [0, 3, 2]], np.uint32)
    s.add_mesh(Mesh("ground", "terrain", quad, normals, faces, 0, colors=rng.random((4, 3), np.float32)))
    inst = np.stack([np.eye(4, dtype=np.float32)] * 3)
    inst[:, :3, 3] = [[0, 1, 0], [2, 1, 0], [-2, 1.5, 1]]
    uvs = rng.random((4, 2), np.float32)
    s.add_mesh(Mesh("signs", "prop", quad * 0.1, normals, faces, 1, uvs=uvs, instances=inst, collider=False))
    pts = rng.random((50, 3), np.float32)
    s.add_points(PointCloud("scan", "scan", pts, rng.random((50, 3), np.float32), point_size_m=0.05))
    s.add_points(
        PointCloud(
            "splat", "splat", pts + 1, rng.random((50, 3), np.float32), "splats",
            rng.random(50, np.float32), rng.random((50, 3), np.float32), rng.random((50, 4), np.float32), 0.1,
        )
    )  # fmt: skip
    s.lights = [
        Light("lamp", "point", (1.0, 2.0, 3.0), (0.0, -1.0, 0.0), (1.0, 0.5, 0.2), 40.0, 12.0, 45.0, True),
        Light("spot", "spot", (0.0, 4.0, 0.0), (0.6, -0.8, 0.0), (0.9, 0.9, 1.0), 80.0, 25.0, 60.0, False),
    ]
    s.bookmarks = [
        Bookmark("spawn", look_at((0, 1.7, 8), (0, 1, 0)), 55.0, "spawn", "start"),
        Bookmark("shot", look_at((4, 3, 4), (0, 0, 0)), 40.0, "shot", "", at_s=2.5),
    ]
    return s


def test_glb_round_trip_rebuilds_the_exact_scene(studio: Scene) -> None:
    for original in (studio, _kitchen_sink()):
        local = LocalScene.from_download(world.export_glb(original), world.manifest(original))
        copy = local.scene
        for name in ("meshes", "point_clouds", "materials", "lights", "bookmarks", "colliders"):
            _assert_same(getattr(original, name), getattr(copy, name), name)
        _assert_same(original.environment, copy.environment, "environment")
        _assert_same(original.provenance, copy.provenance, "provenance")
        assert (copy.name, copy.version, copy.description) == (
            original.name,
            original.version,
            original.description,
        )
    # The GLB carries turbidity, north and latitude: nothing had to be inferred.
    assert not any("turbidity" in n or "north" in n or "latitude" in n for n in local.notes), local.notes


def test_local_render_of_the_round_trip_equals_the_original(studio: Scene) -> None:
    sink = _kitchen_sink()
    copy = LocalScene.from_download(world.export_glb(sink), world.manifest(sink)).scene
    job = RenderJob(
        [View(sink.bookmarks[0].T_world_camera, fov_from_vertical(math.radians(55), 64, 48))],
        64, 48, params={"time_of_day": 21.5, "look": "vibrant", "grain": 0.2},
    )  # fmt: skip
    renderer = SceneRenderer(sink, shadow_size=512)
    try:
        a = np.array(renderer.render(job).views[0].color)
        renderer.set_scene(copy)
        b = np.array(renderer.render(job).views[0].color)
    finally:
        renderer.close()
    assert a.std() > 1 and np.array_equal(a, b)


def test_download_is_checked_against_its_manifest(studio: Scene) -> None:
    glb, man = world.export_glb(studio), world.manifest(studio)
    with pytest.raises(SceneError, match="SHA-256"):
        LocalScene.from_download(glb, {**man, "sha256": "00" * 32})
    with pytest.raises(SceneError, match="manifest says 1"):
        LocalScene.from_download(glb, {**man, "triangles": 1})
    with pytest.raises(SceneError, match="not a GLB"):
        LocalScene.from_download(b"PK\x03\x04" + glb[4:], man)


def test_glbs_from_other_tools_use_the_generic_importer() -> None:
    import trimesh

    glb = trimesh.creation.box((1, 2, 3)).export(file_type="glb")
    scene, notes = scene_from_glb(glb)
    assert scene.triangle_count == 12 and scene.bookmarks and "generically" in notes[-1]


class FakeClient:
    """What LocalScene and DesktopViewer read from a client, with settable state."""

    def __init__(self, role: str = "viewer", state: dict[str, Any] | None = None, version: int = 1) -> None:
        self.welcome = SimpleNamespace(role=role)
        self.inner = SimpleNamespace(state=dict(state or {}), scene_version=version, state_seq=1)
        self.sent: list[dict[str, Any]] = []
        self.refuse = False

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.inner.state)

    def set_params(self, values: dict[str, Any], **kw: Any) -> int:
        if self.refuse:
            raise RemoteError("FORBIDDEN", "no")
        self.sent.append(values)
        self.inner.state.update(values)
        return 2


def test_params_follow_the_state_and_scene_changes_are_detected(studio: Scene) -> None:
    local = LocalScene.from_download(world.export_glb(studio), world.manifest(studio))
    state = {"time_of_day": 13.0, "look": "noir", "presence.ab12": "vic (viewer)", "history.head": 3}
    client = FakeClient(state=state)
    assert (
        local.params(client)
        == render_params(state)
        == {"time_of_day": 13.0, "look": "noir", "history.head": 3}
    )
    assert local.params(client, {"time_of_day": 2.0})["time_of_day"] == 2.0
    client.inner.state["look"] = "vibrant"
    assert local.params(client)["look"] == "vibrant", "read live every call"
    assert not local.scene_changed(client)
    client.inner.scene_version = 2
    assert local.scene_changed(client)
    # A download newer than the state that announced it (the delta is still on its way): no re-fetch loop.
    local._announced = 2
    local.version = 3
    assert not local.scene_changed(client)
    client.inner.scene_version = 3
    assert not local.scene_changed(client)
    client.inner.scene_version = 0
    assert not local.scene_changed(client), "0 = no scene announced (yet)"


def test_shared_bookmarks_from_the_state_follow_the_scenes_own(studio: Scene) -> None:
    T = look_at((1, 2, 3), (0, 0, 0))
    state = {
        "bookmark.tower": [*T.ravel().tolist(), 35.0],
        "bookmark.bad": [1.0, 2.0],
        "bookmark.spawn": [*T.ravel().tolist()],
    }
    marks = shared_bookmarks(state)
    assert [b.name for b in marks] == ["spawn", "tower"] and marks[1].fov_y_deg == 35.0
    assert np.allclose(marks[1].T_world_camera, T)
    local = LocalScene.from_download(world.export_glb(studio), world.manifest(studio))
    names = [b.name for b in local.bookmarks(FakeClient(state=state))]
    assert names == [b.name for b in studio.bookmarks] + ["tower"], "scene names win over shared ones"


# -- the fly camera and the viewer's keys, without a window ---------------------------------------------


def test_fly_camera_starts_at_a_pose_and_has_no_roll() -> None:
    T = look_at((1.0, 2.0, 3.0), (4.0, 1.0, -2.0))
    cam = FlyCamera.from_pose(T, 50.0)
    np.testing.assert_allclose(cam.pose(), T, atol=1e-12)
    rolled = T.copy()
    c, s = math.cos(0.3), math.sin(0.3)
    rolled[:3, :2] = T[:3, :2] @ np.array([[c, -s], [s, c]])
    cam.set_pose(rolled)
    np.testing.assert_allclose(cam.forward(), -T[:3, 2], atol=1e-12)
    assert abs(cam.pose()[1, 0]) < 1e-12, "the right vector stays horizontal"
    down = FlyCamera.from_pose(look_at((0, 10, 0), (0, 0, 0)))
    assert down.pitch_deg == -89.0 and np.isfinite(down.pose()).all()


def test_fly_camera_keys_move_it() -> None:
    cam = FlyCamera(np.zeros(3), speed_mps=2.0, fast_factor=4.0)
    assert cam.press("w") and not cam.press("x")
    assert cam.update(0.25)
    np.testing.assert_allclose(cam.position, [0, 0, -0.5], atol=1e-12)  # yaw 0 looks down -Z
    cam.press("shift")
    cam.update(0.25)
    np.testing.assert_allclose(cam.position, [0, 0, -2.5], atol=1e-12)
    cam.release("w")
    cam.release("shift")
    assert not cam.update(1.0), "nothing held, nothing moves"
    cam.press("right")  # arrows alias WASD
    cam.press("e")
    cam.update(0.25)
    d = 0.5 / math.sqrt(2)
    np.testing.assert_allclose(cam.position, [d, d, -2.5], atol=1e-12)
    cam.release_all()
    cam.press("q")
    cam.update(10.0)
    assert cam.position[1] == pytest.approx(d - 2.0 * FlyCamera.MAX_DT), "a stalled frame moves a little"
    cam.release_all()
    cam.look(100.0, 0.0)
    assert cam.yaw_deg == pytest.approx(-15.0)  # mouse right turns right
    cam.press("w")
    cam.update(0.25)
    assert cam.position[0] > d
    cam.look(0.0, 10_000.0)
    assert cam.pitch_deg == -89.0


def test_viewer_keys_jump_to_bookmarks_and_change_the_time_of_day(studio: Scene) -> None:
    local = LocalScene.from_download(world.export_glb(studio), world.manifest(studio))
    said: list[str] = []
    client = FakeClient(state={"time_of_day": 13.0})
    viewer = DesktopViewer(client, local, say=said.append)
    try:
        assert viewer.at == "spawn"
        viewer.key_down("3")
        assert viewer.at == studio.bookmarks[2].name and said[-1].startswith("bookmark 3: overhead")
        np.testing.assert_allclose(viewer.camera.pose(), studio.bookmarks[2].T_world_camera, atol=1e-9)
        assert viewer.camera.fov_y_deg == studio.bookmarks[2].fov_y_deg
        viewer.key_down("9")
        assert "no bookmark 9: the scene has 6" in said[-1]
        viewer.key_down("1")
        result, day = viewer.render(*SIZE)
        assert result.views[0].color is not None
        day_mean = float(result.views[0].color[..., :3].mean())  # read now: the renderer reuses its arrays
        for _ in range(18):  # a viewer: applied here only, with a message
            viewer.key_down("T")
        assert viewer.overrides == {"time_of_day": 22.0} and client.sent == []
        assert "on this screen only" in said[-1] and "--role director" in said[-1] and "22:00" in said[-1]
        result, night = viewer.render(*SIZE)
        assert night.params["time_of_day"] == 22.0 and day.params["time_of_day"] == 13.0
        assert result.views[0].color is not None and result.views[0].color[..., :3].mean() < 0.6 * day_mean
        viewer.key_down("g")
        assert viewer.overrides["time_of_day"] == 21.5
        viewer.key_down("0")
        assert viewer.overrides == {} and viewer.params()["time_of_day"] == 13.0
        viewer.key_down("w")
        viewer.update(0.2)
        assert viewer.at == "" and viewer.camera.held == {"w"}
        viewer.key_up("W")
        assert viewer.camera.held == set()
        viewer.key_down("h")
        assert "bookmarks:" in said[-1] and "1: spawn" in said[-1]
        viewer.key_down("escape")
        assert viewer.quit
    finally:
        viewer.close()


def test_a_director_changes_the_time_of_day_for_everyone(studio: Scene) -> None:
    local = LocalScene.from_download(world.export_glb(studio), world.manifest(studio))
    said: list[str] = []
    client = FakeClient(role="director", state={"time_of_day": 23.75})
    viewer = DesktopViewer(client, local, say=said.append, fov_y_deg=40.0, bookmark="corner")
    try:
        assert viewer.at == "corner" and viewer.camera.fov_y_deg == 40.0
        viewer.key_down("t")
        assert client.sent == [{"time_of_day": 0.25}] and viewer.overrides == {}
        assert "00:15 (sent to the server)" in said[-1]
        client.refuse = True
        viewer.key_down("g")
        assert viewer.overrides == {"time_of_day": 23.75} and "server refused (FORBIDDEN)" in said[-1]
    finally:
        viewer.close()


def test_tours_walk_through_every_bookmark_pan_and_hold(studio: Scene) -> None:
    marks = studio.bookmarks
    walk = tour_poses(marks[0], marks, 2 * (len(marks) - 1) + 1)
    assert [t.label for t in walk[::2]] == [b.name for b in marks]
    for t, b in zip(walk[::2], marks, strict=True):
        np.testing.assert_allclose(t.position, b.T_world_camera[:3, 3], atol=1e-12)
        assert t.fov_y_deg == pytest.approx(b.fov_y_deg)
    steps = [float(np.linalg.norm(b.position - a.position)) for a, b in zip(walk, walk[1:], strict=False)]
    assert max(steps) < 30.0
    pan = tour_poses(marks[1], marks, 4, "pan", fov_y_deg=70.0)
    assert [round((t.yaw_deg - pan[0].yaw_deg) % 360) for t in pan] == [0, 90, 180, 270]
    assert all(t.fov_y_deg == 70.0 and np.array_equal(t.position, pan[0].position) for t in pan)
    still = tour_poses(marks[1], marks, 3, "still")
    assert len({(tuple(t.position), t.yaw_deg) for t in still}) == 1
    alone = tour_poses(marks[0], [marks[0]], 3, "walk")
    assert alone[1].yaw_deg != alone[0].yaw_deg, "a walk with nowhere to go pans"


# -- the window loop, with a scripted stand-in for GLFW --------------------------------------------------


class FakeGlfw:
    """The GLFW calls `run_window` makes; each event wait runs the next scripted step."""

    PRESS, RELEASE = 1, 0

    def __init__(self, steps: list[Any], size: tuple[int, int]) -> None:
        names = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *(f"KP_{d}" for d in range(10))]
        names += ["LEFT_SHIFT", "RIGHT_SHIFT", "ESCAPE", "UP", "DOWN", "LEFT", "RIGHT"]
        for i, n in enumerate(names):
            setattr(self, f"KEY_{n}", 1000 + i)
        self.steps, self.size, self.swaps, self.title = list(steps), size, 0, ""
        self.callbacks: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("set_") and name.endswith("_callback"):
            return lambda _w, cb: self.callbacks.__setitem__(name[4:-9], cb)
        raise AttributeError(name)

    def key(self, name: str, action: int) -> None:
        self.callbacks["key"](None, getattr(self, f"KEY_{name}"), 0, action, 0)

    def _step(self, *_: Any) -> None:
        if self.steps:
            self.steps.pop(0)(self)

    poll_events = wait_events_timeout = _step

    def window_should_close(self, _w: Any) -> bool:
        return not self.steps

    def get_framebuffer_size(self, _w: Any) -> tuple[int, int]:
        return self.size

    def get_cursor_pos(self, _w: Any) -> tuple[float, float]:
        return (0.0, 0.0)

    def swap_buffers(self, _w: Any) -> None:
        self.swaps += 1

    def set_window_title(self, _w: Any, title: str) -> None:
        self.title = title


def test_window_loop_renders_on_change_and_draws_the_frame_upright(studio: Scene) -> None:
    local = LocalScene.from_download(world.export_glb(studio), world.manifest(studio))
    viewer = DesktopViewer(FakeClient(state={"time_of_day": 13.0}), local, say=lambda _: None)
    ctx = viewer.renderer.ctx
    target = ctx.simple_framebuffer(SIZE, components=4)
    start = viewer.camera.position.copy()
    steps = [
        lambda g: None,  # first frame
        lambda g: None,  # idle: nothing new to render
        lambda g: g.key("W", g.PRESS),
        lambda g: time.sleep(0.05),
        lambda g: g.key("W", g.RELEASE),
        lambda g: (g.callbacks["mouse_button"](None, 0, g.PRESS, 0), g.callbacks["cursor_pos"](None, 40.0, 0.0)),
        lambda g: g.callbacks["mouse_button"](None, 0, g.RELEASE, 0),
        lambda g: g.key("ESCAPE", g.PRESS),
        lambda g: None,
    ]  # fmt: skip
    glfw = FakeGlfw(steps, SIZE)
    try:
        frames = desktop.run_window(viewer, glfw, None, ctx, settle_s=0.0, target=target)
        assert viewer.quit, "Esc quits"
        assert 3 <= frames <= 6 and glfw.swaps == frames, "renders only on change, draws each new frame"
        moved = viewer.camera.position - start
        assert (
            float(np.dot(moved, -FlyCamera.from_pose(studio.bookmarks[0].T_world_camera).pose()[:3, 2])) > 0
        )
        assert viewer.camera.yaw_deg != FlyCamera.from_pose(studio.bookmarks[0].T_world_camera).yaw_deg
        assert glfw.title.startswith("vpbridge view: studio_set v1")
        color, _ = viewer.renderer.output_textures(SIZE)
        rendered = np.frombuffer(color.read(), np.uint8).reshape(SIZE[1], SIZE[0], 4)[..., :3]
        drawn = np.frombuffer(target.read(components=3), np.uint8).reshape(SIZE[1], SIZE[0], 3)[::-1]
        assert rendered.std() > 10 and np.array_equal(drawn, rendered), "the window shows the frame upright"
    finally:
        target.release()
        viewer.close()


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private X server (Xvfb) for the real-window test; its display name."""
    import os
    import shutil

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (the window test needs an X server)")
    pytest.importorskip("glfw")
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_real_window_opens_renders_and_closes_on_ctrl_c(scene_server: ServerThread, x_display: str) -> None:
    import os
    import signal

    env = {**os.environ, "DISPLAY": x_display}
    env.pop("WAYLAND_DISPLAY", None)
    cmd = [sys.executable, "-m", "bridge.cli", "view", scene_server.endpoints["control"], "--size", "160x90"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert "window open" in lines[1], lines
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    rendered = int(stdout.split("closed after ")[1].split()[0])
    assert rendered >= 1 and "Traceback" not in stderr
