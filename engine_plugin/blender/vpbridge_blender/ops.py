"""Operators (Connect, Import Environment, Stream Camera, Apply Time of Day, Live Frames) and the timer
that drives the live ones. `tick()` is the timer body; headless callers may call it directly."""

from __future__ import annotations

from typing import Any

import bpy

from . import apply, link

TIMER_S = 1.0 / 30.0


def tick(scene: Any = None) -> float | None:
    """One step of the live link: report the camera, apply parameters, fetch a frame."""
    scene = scene or bpy.context.scene
    s = scene.vpbridge
    if not link.connected() or not (s.stream_camera or s.live_frames or s.follow_params):
        return None  # unregisters the timer
    lk = link.current()
    try:
        if s.stream_camera and scene.camera is not None:
            apply.report_camera(scene, lk)
        if s.follow_params:
            apply.apply_params(scene, lk.state())
        if s.live_frames and scene.camera is not None:
            apply.pull_frame(scene, lk, s.live_width, s.live_height)
        s.status = "connected"
    except Exception as exc:  # a timer must not raise: show it and keep going (the client reconnects)
        s.status = f"error: {exc}"
    return TIMER_S


def _ensure_timer() -> None:
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=TIMER_S, persistent=True)


class _Op(bpy.types.Operator):
    bl_options = {"REGISTER"}

    def fail(self, exc: Exception, context: Any) -> set[str]:
        context.scene.vpbridge.status = f"error: {exc}"
        self.report({"ERROR"}, str(exc))
        return {"CANCELLED"}


class VPBRIDGE_OT_connect(_Op):
    bl_idname = "vpbridge.connect"
    bl_label = "Connect"
    bl_description = "Connect to the vpbridge server named in the panel"

    def execute(self, context: Any) -> set[str]:
        s = context.scene.vpbridge
        try:
            link.connect(s.endpoint, keys=bpy.path.abspath(s.keys_file) if s.keys_file else "", role=s.role)
        except Exception as exc:
            return self.fail(exc, context)
        s.status = "connected"
        return {"FINISHED"}


class VPBRIDGE_OT_disconnect(_Op):
    bl_idname = "vpbridge.disconnect"
    bl_label = "Disconnect"

    def execute(self, context: Any) -> set[str]:
        s = context.scene.vpbridge
        s.stream_camera = s.live_frames = s.follow_params = False
        link.disconnect()
        s.status = "disconnected"
        return {"FINISHED"}


class VPBRIDGE_OT_import_environment(_Op):
    bl_idname = "vpbridge.import_environment"
    bl_label = "Import Environment"
    bl_description = "Download the server's scene (GLB): labels become custom properties, bookmarks cameras"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: Any) -> set[str]:
        try:
            manifest = apply.import_environment(context, link.current())
        except Exception as exc:
            return self.fail(exc, context)
        self.report(
            {"INFO"}, f"imported {manifest.get('name', 'scene')}: {len(manifest.get('objects', []))} objects"
        )
        return {"FINISHED"}


class VPBRIDGE_OT_stream_camera(_Op):
    bl_idname = "vpbridge.stream_camera"
    bl_label = "Stream Active Camera"
    bl_description = "Send the active camera's pose and lens to the server 30 times a second (toggle)"

    def execute(self, context: Any) -> set[str]:
        s = context.scene.vpbridge
        try:
            apply.report_camera(context.scene, link.current())
        except Exception as exc:
            return self.fail(exc, context)
        s.stream_camera = not s.stream_camera
        _ensure_timer()
        return {"FINISHED"}


class VPBRIDGE_OT_apply_time_of_day(_Op):
    bl_idname = "vpbridge.apply_time_of_day"
    bl_label = "Apply Time of Day"
    bl_description = "Set the Sun lamp and exposure from the server's live parameters"

    def execute(self, context: Any) -> set[str]:
        try:
            az, el = apply.apply_params(context.scene, link.current().state())
        except Exception as exc:
            return self.fail(exc, context)
        self.report({"INFO"}, f"sun azimuth {az:.1f}°, elevation {el:.1f}°")
        return {"FINISHED"}


class VPBRIDGE_OT_live_frames(_Op):
    bl_idname = "vpbridge.live_frames"
    bl_label = "Live Frames"
    bl_description = (
        f"Show the server's frames for the active camera in the image '{apply.LIVE_IMAGE}' (toggle)"
    )

    def execute(self, context: Any) -> set[str]:
        s = context.scene.vpbridge
        try:
            apply.pull_frame(context.scene, link.current(), s.live_width, s.live_height)
        except Exception as exc:
            return self.fail(exc, context)
        s.live_frames = not s.live_frames
        _ensure_timer()
        return {"FINISHED"}


CLASSES = (
    VPBRIDGE_OT_connect,
    VPBRIDGE_OT_disconnect,
    VPBRIDGE_OT_import_environment,
    VPBRIDGE_OT_stream_camera,
    VPBRIDGE_OT_apply_time_of_day,
    VPBRIDGE_OT_live_frames,
)
