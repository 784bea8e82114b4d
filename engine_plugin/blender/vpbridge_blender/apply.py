"""What the operators do to the Blender scene: import the environment, report the camera, apply
parameters, show frames. Plain functions of (scene, link) so timers, operators and tests share them."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import bpy
from mathutils import Matrix, Vector

from . import coords
from .link import Link

LIVE_IMAGE = "vpbridge_live"
SUN_NAME = "vpbridge_sun"


def _rows(m: Any) -> list[list[float]]:
    return [[float(m[i][j]) for j in range(4)] for i in range(4)]


def _base(name: str) -> str:
    """'floor.001' -> 'floor' (Blender's suffix for a name already taken)."""
    stem, dot, tail = name.rpartition(".")
    return stem if dot and tail.isdigit() else name


def import_environment(context: Any, link: Link) -> dict[str, Any]:
    """Download the scene, import the GLB, label objects, make bookmark cameras. Returns the manifest."""
    glb, manifest = link.client.get_scene()
    link.manifest = manifest
    before = set(bpy.data.objects)
    fd, path = tempfile.mkstemp(suffix=".glb", prefix="vpbridge_")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(glb)
        bpy.ops.import_scene.gltf(filepath=path)
    finally:
        os.unlink(path)
    new = [o for o in bpy.data.objects if o not in before]
    _label_objects(new, manifest)
    _bookmark_cameras(context.scene, new, manifest)
    settings = context.scene.vpbridge
    env = manifest.get("environment", {})
    settings.latitude_deg = float(env.get("latitude_deg", 0.0))
    settings.north_deg = float(env.get("north_deg", 0.0))
    suns = [o for o in new if o.type == "LIGHT" and o.data.type == "SUN"]
    settings.sun_object = suns[0].name if suns else ""
    return manifest


def _label_objects(new: list[Any], manifest: dict[str, Any]) -> None:
    # glTF node extras arrive as custom properties ("object_id", "label"); match on the id first,
    # the node name second.
    by_id = {o.get("object_id"): o for o in new if o.get("object_id") is not None}
    by_name = {_base(o.name): o for o in new}
    for entry in manifest.get("objects", []):
        obj = by_id.get(entry["id"]) or by_name.get(entry["name"])
        if obj is None:
            continue
        for o in [obj, *obj.children_recursive]:
            o["vpbridge_label"] = entry["label"]
            o["vpbridge_object_id"] = int(entry["id"])


def _bookmark_cameras(scene: Any, new: list[Any], manifest: dict[str, Any]) -> None:
    cams = {_base(o.name): o for o in new if o.type == "CAMERA"}
    for bm in manifest.get("bookmarks", []):
        obj = cams.get(bm["name"])
        if obj is None:  # an importer that dropped the camera node: build it from the manifest
            obj = bpy.data.objects.new(bm["name"], bpy.data.cameras.new(bm["name"]))
            scene.collection.objects.link(obj)
            obj.matrix_world = Matrix(coords.blender_from_wire_pose(bm["T_world_camera"]))
            obj.data.sensor_fit = "VERTICAL"
            obj.data.angle_y = float(bm["fov_y_deg"]) * 3.141592653589793 / 180.0
        obj["vpbridge_bookmark"] = bm["kind"]
        obj["vpbridge_description"] = bm.get("description", "")


def camera_report(scene: Any) -> Any:
    """The active camera as a CameraReport (pose in the wire frame, lens from the camera data)."""
    from bridge.protocol import messages as m

    cam = scene.camera
    if cam is None:
        raise RuntimeError("the scene has no active camera to stream: set one (Ctrl+Numpad0)")
    d = cam.data
    return m.CameraReport(
        rid=0,
        T_world_camera=coords.flat(coords.wire_from_blender_pose(_rows(cam.matrix_world))),
        focal_length_mm=float(d.lens),
        aperture_f=float(d.dof.aperture_fstop),
        focus_distance_m=float(d.dof.focus_distance),
        sensor_width_mm=float(d.sensor_width),
        sensor_height_mm=float(d.sensor_height),
    )


def report_camera(scene: Any, link: Link) -> None:
    link.client.request(camera_report(scene))


def sun_object(scene: Any) -> Any:
    """The imported Sun lamp, or one created for the add-on."""
    obj = bpy.data.objects.get(scene.vpbridge.sun_object) or bpy.data.objects.get(SUN_NAME)
    if obj is None:
        obj = bpy.data.objects.new(SUN_NAME, bpy.data.lights.new(SUN_NAME, type="SUN"))
        scene.collection.objects.link(obj)
        scene.vpbridge.sun_object = obj.name
    return obj


def apply_params(scene: Any, state: dict[str, Any]) -> tuple[float, float]:
    """time_of_day / sun_azimuth / sun_elevation -> the Sun lamp; exposure_ev -> view exposure.
    Returns the (azimuth, elevation) applied, degrees."""
    s = scene.vpbridge
    az, el = coords.sun_angles_deg(float(state.get("time_of_day", 14.0)), s.latitude_deg)
    if state.get("sun_azimuth") is not None and state.get("sun_elevation") is not None:
        az, el = float(state["sun_azimuth"]), float(state["sun_elevation"])
    to_sun = Vector(coords.sun_direction_blender(az, el, s.north_deg))
    obj = sun_object(scene)
    # A Sun lamp shines down its local −Z, so its +Z points at the sun.
    rot = to_sun.to_track_quat("Z", "Y").to_matrix().to_4x4()
    obj.matrix_world = Matrix.Translation(obj.matrix_world.translation) @ rot
    if "exposure_ev" in state and state["exposure_ev"] is not None:
        scene.view_settings.exposure = float(state["exposure_ev"])
    return az, el


def pull_frame(scene: Any, link: Link, width: int, height: int) -> Any:
    """Render the active camera's view on the server and write its colour into `vpbridge_live`."""
    import numpy as np

    from bridge.protocol import messages as m

    if link.stream is None or link.stream_size != (width, height):
        if link.stream is not None:
            link.stream.close()
        link.stream = link.client.open_stream(width=width, height=height, color="rgba8", depth="none")
        link.stream_size = (width, height)
    report = camera_report(scene)
    f = coords.fov_from_lens(
        report.focal_length_mm, report.sensor_width_mm, report.sensor_width_mm * height / width
    )
    frame = link.stream.render(report.T_world_camera, fov=m.Fov(left=-f[0], right=f[0], up=f[1], down=-f[1]))
    rgb = frame.color
    h, w = rgb.shape[:2]
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., : min(4, rgb.shape[2])] = rgb[..., :4].astype(np.float32) / 255.0
    img = bpy.data.images.get(LIVE_IMAGE)
    if img is None:
        img = bpy.data.images.new(LIVE_IMAGE, width=w, height=h, alpha=True)
    elif tuple(img.size) != (w, h):
        img.scale(w, h)
    img.pixels.foreach_set(rgba[::-1].ravel())  # Blender images start at the bottom row
    img.update()
    return frame
