"""Scene settings (`scene.vpbridge`) and the sidebar panel (View3D > Sidebar > vpbridge)."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from . import link


class VPBridgeSettings(bpy.types.PropertyGroup):
    endpoint: StringProperty(name="Endpoint", default="tcp://127.0.0.1:5555")  # type: ignore[valid-type]
    keys_file: StringProperty(
        name="Keys", description="CURVE client keys file (remote servers)", subtype="FILE_PATH"
    )  # type: ignore[valid-type]
    role: EnumProperty(  # type: ignore[valid-type]
        name="Role",
        items=[("viewer", "Viewer", ""), ("director", "Director", ""), ("engine", "Engine", "")],
    )
    stream_camera: BoolProperty(name="Streaming camera", default=False)  # type: ignore[valid-type]
    live_frames: BoolProperty(name="Live frames", default=False)  # type: ignore[valid-type]
    follow_params: BoolProperty(
        name="Follow time of day", description="Apply the live parameters continuously", default=False
    )  # type: ignore[valid-type]
    live_width: IntProperty(name="Width", default=640, min=16, max=4096)  # type: ignore[valid-type]
    live_height: IntProperty(name="Height", default=360, min=16, max=4096)  # type: ignore[valid-type]
    latitude_deg: FloatProperty(name="Latitude", default=0.0, min=-90.0, max=90.0)  # type: ignore[valid-type]
    north_deg: FloatProperty(name="North", default=0.0)  # type: ignore[valid-type]
    sun_object: StringProperty(name="Sun", description="The Sun lamp time of day drives")  # type: ignore[valid-type]
    status: StringProperty(name="Status", default="disconnected")  # type: ignore[valid-type]


class VPBRIDGE_PT_panel(bpy.types.Panel):
    bl_label = "vpbridge"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "vpbridge"

    def draw(self, context: Any) -> None:
        s = context.scene.vpbridge
        col = self.layout.column()
        col.prop(s, "endpoint")
        col.prop(s, "keys_file")
        col.prop(s, "role")
        if link.connected():
            col.operator("vpbridge.disconnect")
            col.operator("vpbridge.import_environment", icon="IMPORT")
            col.operator("vpbridge.stream_camera", icon="CAMERA_DATA", depress=s.stream_camera)
            col.operator("vpbridge.apply_time_of_day", icon="LIGHT_SUN")
            col.prop(s, "follow_params")
            row = col.row()
            row.prop(s, "live_width")
            row.prop(s, "live_height")
            col.operator("vpbridge.live_frames", icon="IMAGE_DATA", depress=s.live_frames)
        else:
            col.operator("vpbridge.connect", icon="LINKED")
        col.label(text=s.status)


CLASSES = (VPBridgeSettings, VPBRIDGE_PT_panel)
