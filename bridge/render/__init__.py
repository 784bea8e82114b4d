"""Rendering: the frame-source contract, the moderngl scene renderer (headless EGL), looks and the
test pattern. `SceneRenderer` must be created, used and closed on one thread (it owns a GL context).
"""

from bridge.render.looks import LOOKS
from bridge.render.renderer import SceneRenderer
from bridge.render.source import (
    FovAngles,
    FrameSource,
    RenderedView,
    RenderJob,
    RenderResult,
    View,
    fov_from_vertical,
)

__all__ = [
    "LOOKS",
    "FovAngles",
    "FrameSource",
    "RenderJob",
    "RenderResult",
    "RenderedView",
    "SceneRenderer",
    "View",
    "fov_from_vertical",
]
