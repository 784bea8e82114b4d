"""The frame-source contract between the server and whatever makes pixels.

The server turns pose requests into a `RenderJob`, calls `FrameSource.render` on its render thread
(the only thread that touches a source), and encodes the `RenderResult` onto the frames plane.
Nothing here imports GL or the server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "FovAngles",
    "FrameSource",
    "RenderJob",
    "RenderResult",
    "RenderedView",
    "View",
    "fov_from_vertical",
]


@dataclass(frozen=True)
class FovAngles:
    """Four angles in radians, OpenXR convention: left and down negative for a centred camera."""

    left: float
    right: float
    up: float
    down: float

    def intrinsics(self, width: int, height: int) -> tuple[float, float, float, float]:
        """(fx, fy, cx, cy) in pixels for an image of this size."""
        tl, tr, tu, td = (math.tan(a) for a in (self.left, self.right, self.up, self.down))
        fx = width / (tr - tl)
        fy = height / (tu - td)
        return fx, fy, -tl * fx, tu * fy

    @staticmethod
    def from_intrinsics(fx: float, fy: float, cx: float, cy: float, width: int, height: int) -> FovAngles:
        return FovAngles(
            left=math.atan(-cx / fx),
            right=math.atan((width - cx) / fx),
            up=math.atan(cy / fy),
            down=math.atan(-(height - cy) / fy),
        )

    def projection(self, near: float, far: float) -> np.ndarray:
        """OpenGL clip-from-camera matrix for this (possibly asymmetric) frustum."""
        tl, tr, tu, td = (math.tan(a) for a in (self.left, self.right, self.up, self.down))
        p = np.zeros((4, 4))
        p[0, 0] = 2.0 / (tr - tl)
        p[0, 2] = (tr + tl) / (tr - tl)
        p[1, 1] = 2.0 / (tu - td)
        p[1, 2] = (tu + td) / (tu - td)
        p[2, 2] = -(far + near) / (far - near)
        p[2, 3] = -2.0 * far * near / (far - near)
        p[3, 2] = -1.0
        return p


def fov_from_vertical(fov_y_rad: float, width: int, height: int) -> FovAngles:
    """A symmetric FOV with the given vertical angle and the image's aspect ratio."""
    ty = math.tan(fov_y_rad / 2.0)
    tx = ty * width / height
    return FovAngles(-math.atan(tx), math.atan(tx), math.atan(ty), -math.atan(ty))


@dataclass(frozen=True)
class View:
    """One camera to render: pose (4×4 T_world_camera, OpenGL convention) and FOV."""

    T_world_camera: np.ndarray
    fov: FovAngles


@dataclass
class RenderJob:
    """Everything a source needs for one frame. `views` has 1 entry (mono, equirect) or 2 (stereo eyes)."""

    views: list[View]
    width: int
    height: int
    near: float = 0.05
    far: float = 2000.0
    projection: Literal["mono", "stereo", "equirect", "equirect_stereo"] = "mono"
    ipd_m: float = 0.064
    want_color: bool = True
    want_depth: bool = True
    want_ids: bool = False
    depth_dtype: Literal["float32", "float16"] = "float32"
    """Precision of `RenderedView.depth`. float16 (11-bit mantissa: ≤0.1 % relative error, +inf kept, up
    to 65504 m) is what the wire carries, so the server asks for it and the GPU converts; a source may
    return float32 anyway (the server then converts on its render thread)."""
    params: dict[str, object] = field(default_factory=dict)
    """Live parameters (time_of_day, exposure_ev, look, grain, vignette, fog, ...)."""


@dataclass
class RenderedView:
    """Pixels of one view, row 0 at the top. Unless the result is `fresh`, the source may overwrite the
    arrays on its next render."""

    color: np.ndarray | None
    """(H, W, 4) uint8 sRGB RGBA."""
    depth: np.ndarray | None
    """(H, W) linear distance along −Z in metres, float32 (or float16 when the job's `depth_dtype` asks
    for it); +inf where nothing was hit (sky)."""
    ids: np.ndarray | None = None
    """(H, W) uint16 object ids (0 = none); map to labels with Scene.label_of."""


@dataclass
class RenderResult:
    views: list[RenderedView]
    scene_version: int = 0
    look: str = ""
    provenance: str = ""
    t_render_start_ns: int = 0
    t_render_end_ns: int = 0
    fresh: bool = False
    """True when the source will not write the arrays again while anything still references them (they
    are new, immutable, or pooled and recycled only once released), so the server sends them zero-copy
    and may cache them; False (the default) makes the server copy them before the source renders again."""


@runtime_checkable
class FrameSource(Protocol):
    """Anything that renders `RenderJob`s: the scene renderer, the test pattern, a neural pass."""

    name: str

    def render(self, job: RenderJob) -> RenderResult:
        """Render one job. Called only from the server's render thread."""
        ...

    def close(self) -> None:
        """Free GL/GPU resources; called on the render thread at shutdown."""
        ...
