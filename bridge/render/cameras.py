"""Camera maths for the renderer: view/projection matrices, stereo eyes, the six faces of a cube
atlas for 360° renders, a sun shadow frustum fitted to what the cameras see, and frustum culling.
All matrices are float64 numpy, OpenGL conventions (−Z forward, clip z in −1..1).
"""

from __future__ import annotations

import math

import numpy as np

from bridge.render.source import FovAngles, View

__all__ = [
    "CUBE_FOV",
    "cube_faces",
    "eye_views",
    "frustum_corners",
    "frustum_planes",
    "shadow_matrix",
    "visible",
]

CUBE_FOV = FovAngles(-math.pi / 4, math.pi / 4, math.pi / 4, -math.pi / 4)


def _rot(forward: tuple[float, float, float], up: tuple[float, float, float]) -> np.ndarray:
    """camera_from_face rotation: the face looks along `forward` with `up` as its +Y."""
    f, u = np.array(forward, float), np.array(up, float)
    r = np.cross(f, u)
    return np.stack([r, u, -f], axis=1)


# Faces in atlas order: +X, −X, +Y, −Y, +Z, −Z of the camera frame (−Z is straight ahead).
_FACES = [
    _rot((1, 0, 0), (0, 1, 0)),
    _rot((-1, 0, 0), (0, 1, 0)),
    _rot((0, 1, 0), (0, 0, 1)),
    _rot((0, -1, 0), (0, 0, -1)),
    _rot((0, 0, 1), (0, 1, 0)),
    _rot((0, 0, -1), (0, 1, 0)),
]


def cube_faces() -> list[np.ndarray]:
    """The six camera_from_face rotations (3×3) of a cube atlas."""
    return [f.copy() for f in _FACES]


def eye_views(views: list[View], ipd_m: float) -> list[View]:
    """Two eye views: as given when there are two, else the one view offset ±ipd/2 along its x axis."""
    if len(views) >= 2:
        return views[:2]
    out = []
    for dx in (-ipd_m / 2.0, ipd_m / 2.0):
        T = np.array(views[0].T_world_camera, np.float64, copy=True)
        T[:3, 3] += T[:3, 0] * dx
        out.append(View(T, views[0].fov))
    return out


def frustum_corners(T: np.ndarray, fov: FovAngles, near: float, far: float) -> np.ndarray:
    """(8, 3) world-space corners of a view frustum between `near` and `far`."""
    tl, tr, tu, td = (math.tan(a) for a in (fov.left, fov.right, fov.up, fov.down))
    pts = [(x * d, y * d, -d) for d in (near, far) for x in (tl, tr) for y in (td, tu)]
    cam = np.array(pts)
    return np.asarray(cam @ T[:3, :3].T + T[:3, 3])


def shadow_matrix(
    sun_dir: np.ndarray, corners: np.ndarray, scene_lo: np.ndarray, scene_hi: np.ndarray, size_px: int
) -> tuple[np.ndarray, float]:
    """Light clip-from-world matrix covering `corners` (what the cameras see) and every caster in the
    scene bounds between them and the sun; the texel size in metres (for the normal-offset bias).
    The window is quantised (size and whole-texel position) so shadows do not shimmer as the camera
    moves and the same map serves many nearby poses."""
    f = -np.asarray(sun_dir, float)
    up = np.array([0.0, 1.0, 0.0]) if abs(f[1]) < 0.99 else np.array([0.0, 0.0, 1.0])
    r = np.cross(f, up)
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    light_from_world = np.eye(4)
    light_from_world[0, :3], light_from_world[1, :3], light_from_world[2, :3] = r, u, -f
    pl = corners @ light_from_world[:3, :3].T
    lo, hi = pl.min(0), pl.max(0)
    box = np.array(
        [
            [x, y, z]
            for x in (scene_lo[0], scene_hi[0])
            for y in (scene_lo[1], scene_hi[1])
            for z in (scene_lo[2], scene_hi[2])
        ]
    )
    bz = (box @ light_from_world[:3, :3].T)[:, 2]
    # A window that stays put while the camera moves a little, so the map can be reused: its size
    # rounded up to a quarter octave, its centre snapped to a grid of `grid_px` whole texels, with a
    # margin of one grid step each side so the snapped window still holds the whole frustum.
    fit = float(max(hi[0] - lo[0], hi[1] - lo[1])) * 1.02 + 1e-3
    grid_px = max(1, size_px // 16)
    step = 2.0 ** (math.ceil(math.log2(fit) * 4.0) / 4.0)
    extent = step * size_px / (size_px - 2 * grid_px)
    texel = extent / size_px
    grid = grid_px * texel
    cx = round((lo[0] + hi[0]) / 2.0 / grid) * grid
    cy = round((lo[1] + hi[1]) / 2.0 / grid) * grid
    # Depth spans the scene's bounds only: every receiver and caster lies inside them.
    z_near = -float(bz.max()) - 1.0
    z_far = -float(bz.min()) + 1.0
    half = extent / 2.0
    ortho = np.eye(4)
    ortho[0, 0], ortho[0, 3] = 1.0 / half, -cx / half
    ortho[1, 1], ortho[1, 3] = 1.0 / half, -cy / half
    ortho[2, 2] = -2.0 / (z_far - z_near)
    ortho[2, 3] = -(z_far + z_near) / (z_far - z_near)
    return ortho @ light_from_world, texel


def frustum_planes(clip_from_world: np.ndarray) -> np.ndarray:
    """(6, 4) inward planes (a, b, c, d) of a clip-space frustum (Gribb-Hartmann)."""
    m = clip_from_world
    planes = np.array([m[3] + m[0], m[3] - m[0], m[3] + m[1], m[3] - m[1], m[3] + m[2], m[3] - m[2]])
    return np.asarray(planes / np.linalg.norm(planes[:, :3], axis=1, keepdims=True))


def visible(planes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether an axis-aligned box may intersect the frustum (conservative)."""
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    dist = planes[:, :3] @ centre + planes[:, 3]
    reach = np.abs(planes[:, :3]) @ half
    return bool(np.all(dist + reach >= 0.0))
