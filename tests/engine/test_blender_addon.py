"""The Blender add-on (engine_plugin/blender/vpbridge_blender) run headless in the `bpy` wheel against a
real server: import, labels, bookmark cameras, the camera round trip, time of day and live frames.

bpy has no event loop here, so timers never fire: the tests call the operators and `ops.tick()`.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

try:
    import bpy
except ImportError as exc:  # part of `make test`: fail loudly, never skip
    raise ImportError(
        "tests/engine/test_blender_addon.py needs the Blender `bpy` wheel (Python 3.11): "
        "pip install 'vpbridge[blender]'"
    ) from exc

from bridge import world
from bridge.client_sync import Client
from bridge.server import ServerConfig, ServerThread
from bridge.server.sources import source_factory
from bridge.world.scene import Environment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine_plugin" / "blender"))
import vpbridge_blender
from mathutils import Matrix
from vpbridge_blender import apply, coords, ops


def _close(a: Any, b: Any, tol: float) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), atol=tol, rtol=0.0))


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    scene = world.build_scene(world.load_spec("studio_set"))
    srv = ServerThread(
        ServerConfig(port=0, history_path=None), source_factory=source_factory("scene", scene), scene=scene
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def blender(server: ServerThread) -> Iterator[Any]:
    """A factory-empty Blender with the add-on registered, connected and the environment imported."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    vpbridge_blender.register()
    scene = bpy.context.scene
    scene.vpbridge.endpoint = server.endpoints["control"]
    assert bpy.ops.vpbridge.connect() == {"FINISHED"}, scene.vpbridge.status
    assert bpy.ops.vpbridge.import_environment() == {"FINISHED"}, scene.vpbridge.status
    yield scene
    vpbridge_blender.unregister()


def test_imported_objects_carry_the_manifest_labels(blender: Any) -> None:
    manifest = vpbridge_blender.link.current().manifest
    labelled = {o["vpbridge_object_id"]: o for o in bpy.data.objects if "vpbridge_object_id" in o}
    for entry in manifest["objects"]:
        obj = labelled.get(entry["id"])
        assert obj is not None, f"no Blender object for manifest object {entry['name']!r}"
        assert obj["vpbridge_label"] == entry["label"]
    labels = [o["vpbridge_label"] for o in bpy.data.objects if "vpbridge_label" in o and o.parent is None]
    assert sorted(set(labels)) == sorted(manifest["labels"])


def test_bookmarks_become_cameras_at_the_converted_pose(blender: Any) -> None:
    manifest = vpbridge_blender.link.current().manifest
    assert manifest["bookmarks"]
    for bm in manifest["bookmarks"]:
        cams = [o for o in bpy.data.objects if o.type == "CAMERA" and apply._base(o.name) == bm["name"]]
        assert len(cams) == 1, bm["name"]
        assert cams[0]["vpbridge_bookmark"] == bm["kind"]
        want = coords.blender_from_wire_pose(bm["T_world_camera"])
        # The GLB stores float32 node matrices and the importer decomposes them.
        assert _close(apply._rows(cams[0].matrix_world), want, 1e-4), bm["name"]


def test_camera_pose_survives_the_round_trip(blender: Any) -> None:
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = q, [1.25, 1.7, -3.5]
    assert _close(coords.wire_from_blender_pose(coords.blender_from_wire_pose(T.ravel())), T, 1e-12)
    cam = bpy.data.objects.new("rt", bpy.data.cameras.new("rt"))
    blender.collection.objects.link(cam)
    cam.matrix_world = Matrix(
        coords.blender_from_wire_pose(T.ravel())
    )  # rows; a bare list is read column-major
    bpy.context.view_layer.update()
    back = np.asarray(apply.camera_report(_with_camera(blender, cam)).T_world_camera).reshape(4, 4)
    assert _close(back, T, 1e-5)


def _with_camera(scene: Any, cam: Any) -> Any:
    scene.camera = cam
    return scene


def test_streamed_camera_appears_in_another_clients_state(blender: Any, server: ServerThread) -> None:
    cam = bpy.data.objects["set_wide"] if "set_wide" in bpy.data.objects else bpy.data.objects["rt"]
    blender.camera = cam
    cam.data.lens = 40.0
    blender.vpbridge.stream_camera = False
    assert bpy.ops.vpbridge.stream_camera() == {"FINISHED"}
    assert blender.vpbridge.stream_camera
    ops.tick(blender)
    want = coords.flat(coords.wire_from_blender_pose(apply._rows(cam.matrix_world)))
    with Client(server.endpoints["control"], name="watcher") as other:
        other.wait_state(lambda s: any(k.startswith("camera.") for k in s), 10.0)
        (value,) = [v for k, v in other.state.items() if k.startswith("camera.")]
    assert len(value) == 21
    assert _close(value[:16], want, 1e-5)
    assert value[16] == pytest.approx(40.0)
    blender.vpbridge.stream_camera = False


def test_time_of_day_from_a_director_moves_the_sun(blender: Any, server: ServerThread) -> None:
    lk = vpbridge_blender.link.current()
    with Client(server.endpoints["control"], role="director", name="director") as director:
        director.set_params({"time_of_day": 9.5, "exposure_ev": -1.5})
    deadline = time.monotonic() + 10.0
    while lk.state().get("time_of_day") != 9.5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bpy.ops.vpbridge.apply_time_of_day() == {"FINISHED"}, blender.vpbridge.status
    lat = float(lk.manifest["environment"]["latitude_deg"])
    az, el = Environment(time_of_day_h=9.5, latitude_deg=lat).sun_angles_deg()
    assert coords.sun_angles_deg(9.5, lat) == pytest.approx((az, el), abs=1e-9)
    sun = apply.sun_object(blender)
    assert sun.type == "LIGHT" and sun.data.type == "SUN"
    to_sun = sun.matrix_world.col[2].xyz.normalized()  # a Sun lamp shines down −Z
    assert math.degrees(math.asin(to_sun.z)) == pytest.approx(el, abs=1e-3)
    assert (math.degrees(math.atan2(to_sun.x, to_sun.y)) % 360.0) == pytest.approx(az, abs=1e-3)
    assert blender.view_settings.exposure == pytest.approx(-1.5)


def test_live_frames_fill_the_image_with_the_frame(blender: Any) -> None:
    blender.vpbridge.live_width, blender.vpbridge.live_height = 64, 36
    blender.vpbridge.live_frames = False
    assert bpy.ops.vpbridge.live_frames() == {"FINISHED"}, blender.vpbridge.status
    frame = apply.pull_frame(blender, vpbridge_blender.link.current(), 64, 36)
    img = bpy.data.images[apply.LIVE_IMAGE]
    assert tuple(img.size) == (64, 36)
    px = np.empty(64 * 36 * 4, np.float32)
    img.pixels.foreach_get(px)
    got = px.reshape(36, 64, 4)[::-1, :, :3]
    assert frame.color.shape[:2] == (36, 64)
    assert _close(got, frame.color[..., :3] / 255.0, 1.0 / 512)
    assert frame.color[..., :3].std() > 1.0  # a rendered set, not a blank image
    blender.vpbridge.live_frames = False
