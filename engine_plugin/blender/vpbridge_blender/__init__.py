"""vpbridge for Blender 4.2+: connect to a server, import its environment (labels as custom
properties, bookmarks as cameras), stream the active camera, apply time of day to a Sun lamp and
show live frames in the image `vpbridge_live`. See engine_plugin/blender/README.md."""

from __future__ import annotations

import bpy

from . import link, ops, ui

bl_info = {  # read by Blender when the folder is installed as a legacy add-on instead of an extension
    "name": "vpbridge",
    "blender": (4, 2, 0),
    "category": "Camera",
    "description": "Live link to a vpbridge virtual-production server",
}


def register() -> None:
    for cls in (*ui.CLASSES, *ops.CLASSES):
        bpy.utils.register_class(cls)
    bpy.types.Scene.vpbridge = bpy.props.PointerProperty(type=ui.VPBridgeSettings)


def unregister() -> None:
    if bpy.app.timers.is_registered(ops.tick):
        bpy.app.timers.unregister(ops.tick)
    link.disconnect()
    del bpy.types.Scene.vpbridge
    for cls in reversed((*ui.CLASSES, *ops.CLASSES)):
        bpy.utils.unregister_class(cls)
