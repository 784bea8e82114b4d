"""Vectorised primitive geometry for the procedural builders: many boxes or quads in one call,
heightfields, cylinders, cones and spheres. Everything returns a `Part` (positions, normals,
indices, uvs, optional colours) that `merge` concatenates; UVs are in metres so textures tile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Part",
    "boxes",
    "cone",
    "cylinder",
    "gable_roofs",
    "heightfield",
    "merge",
    "quads",
    "sphere",
    "transform",
]


@dataclass
class Part:
    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    uvs: np.ndarray
    colors: np.ndarray | None = None

    @property
    def triangles(self) -> int:
        return len(self.indices)


def merge(parts: list[Part]) -> Part:
    """Concatenate parts into one; colours default to white where a part has none."""
    parts = [p for p in parts if len(p.indices)]
    if not parts:
        z = np.zeros((0, 3), np.float32)
        return Part(z, z.copy(), np.zeros((0, 3), np.uint32), np.zeros((0, 2), np.float32))
    offsets = np.cumsum([0] + [len(p.positions) for p in parts[:-1]])
    idx = np.concatenate([p.indices.astype(np.int64) + o for p, o in zip(parts, offsets, strict=True)])
    colors = None
    if any(p.colors is not None for p in parts):
        colors = np.concatenate(
            [p.colors if p.colors is not None else np.ones((len(p.positions), 3), np.float32) for p in parts]
        ).astype(np.float32)
    return Part(
        np.concatenate([p.positions for p in parts]).astype(np.float32),
        np.concatenate([p.normals for p in parts]).astype(np.float32),
        idx.astype(np.uint32),
        np.concatenate([p.uvs for p in parts]).astype(np.float32),
        colors,
    )


# Unit cube faces: (normal, u axis, v axis); corners are c + 0.5*(n + s_u*u + s_v*v) in unit space.
_FACES = np.array(
    [
        [[1, 0, 0], [0, 0, -1], [0, 1, 0]],
        [[-1, 0, 0], [0, 0, 1], [0, 1, 0]],
        [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
        [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
        [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
        [[0, 0, -1], [-1, 0, 0], [0, 1, 0]],
    ],
    np.float32,
)
_SIGNS = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32)
_QUAD = np.array([[0, 1, 2], [0, 2, 3]], np.int64)


def boxes(
    centers: ArrayLike,
    sizes: ArrayLike,
    yaw: np.ndarray | None = None,
    colors: ArrayLike | None = None,
    skip_bottom: bool = True,
) -> Part:
    """Axis-aligned (or yawed about +Y) boxes: centers (K,3), sizes (K,3); flat-shaded, 24 verts each."""
    centers = np.asarray(centers, np.float32).reshape(-1, 3)
    sizes = np.asarray(sizes, np.float32).reshape(-1, 3)
    faces = _FACES[[0, 1, 2, 4, 5]] if skip_bottom else _FACES
    nf = len(faces)
    k = len(centers)
    # local corner offsets (F, 4, 3) in unit cube
    local = 0.5 * (
        faces[:, None, 0] + _SIGNS[None, :, :1] * faces[:, None, 1] + _SIGNS[None, :, 1:] * faces[:, None, 2]
    )
    pos = local[None] * sizes[:, None, None, :]  # (K, F, 4, 3)
    nrm = np.broadcast_to(faces[None, :, None, 0], (k, nf, 4, 3)).copy()
    if yaw is not None:
        c, s = np.cos(yaw).astype(np.float32), np.sin(yaw).astype(np.float32)
        rot = np.zeros((k, 3, 3), np.float32)
        rot[:, 0, 0], rot[:, 0, 2], rot[:, 1, 1], rot[:, 2, 0], rot[:, 2, 2] = c, s, 1, -s, c
        pos = np.einsum("kij,kfvj->kfvi", rot, pos)
        nrm = np.einsum("kij,kfvj->kfvi", rot, nrm)
    # UVs in metres along each face's axes
    su = np.abs(np.einsum("fj,kj->kf", faces[:, 1], sizes))
    sv = np.abs(np.einsum("fj,kj->kf", faces[:, 2], sizes))
    uv = np.empty((k, nf, 4, 2), np.float32)
    uv[..., 0] = (_SIGNS[None, None, :, 0] * 0.5 + 0.5) * su[..., None]
    uv[..., 1] = (_SIGNS[None, None, :, 1] * 0.5 + 0.5) * sv[..., None]
    pos = pos + centers[:, None, None, :]
    base = (np.arange(k * nf, dtype=np.int64) * 4)[:, None, None]
    idx = (base + _QUAD[None]).reshape(-1, 3)
    col = None
    if colors is not None:
        col = np.repeat(np.asarray(colors, np.float32).reshape(-1, 3), nf * 4, axis=0)
    return Part(pos.reshape(-1, 3), nrm.reshape(-1, 3), idx.astype(np.uint32), uv.reshape(-1, 2), col)


def quads(centers: ArrayLike, normals: ArrayLike, us: ArrayLike, sizes: ArrayLike) -> Part:
    """Flat rectangles: centre (K,3), unit normal (K,3), unit u axis (K,3), size (K,2) along u and n×u."""
    centers = np.asarray(centers, np.float32).reshape(-1, 3)
    n = np.asarray(normals, np.float32).reshape(-1, 3)
    u = np.asarray(us, np.float32).reshape(-1, 3)
    v = np.cross(n, u)
    sizes = np.asarray(sizes, np.float32).reshape(-1, 2)
    k = len(centers)
    pos = (
        centers[:, None]
        + 0.5 * _SIGNS[None, :, :1] * (u * sizes[:, :1])[:, None]
        + 0.5 * _SIGNS[None, :, 1:] * (v * sizes[:, 1:])[:, None]
    )
    uv = (_SIGNS[None] * 0.5 + 0.5) * np.ones((k, 1, 2), np.float32)
    idx = ((np.arange(k, dtype=np.int64) * 4)[:, None, None] + _QUAD[None]).reshape(-1, 3)
    return Part(
        pos.reshape(-1, 3),
        np.repeat(n, 4, axis=0),
        idx.astype(np.uint32),
        uv.reshape(-1, 2).astype(np.float32),
    )


def heightfield(heights: np.ndarray, size_m: float, colors: np.ndarray | None = None) -> Part:
    """A square grid (n×n heights) centred on the origin, smooth normals from central differences."""
    n = heights.shape[0]
    xs = np.linspace(-size_m / 2, size_m / 2, n, dtype=np.float32)
    gx, gz = np.meshgrid(xs, xs)  # row = z, column = x
    pos = np.stack([gx, heights.astype(np.float32), gz], -1).reshape(-1, 3)
    cell = size_m / (n - 1)
    dhdx = np.gradient(heights, cell, axis=1)
    dhdz = np.gradient(heights, cell, axis=0)
    nrm = np.stack([-dhdx, np.ones_like(dhdx), -dhdz], -1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    i = np.arange(n * n, dtype=np.int64).reshape(n, n)
    a, b, c, d = i[:-1, :-1], i[:-1, 1:], i[1:, :-1], i[1:, 1:]
    # counter-clockwise seen from +Y
    idx = np.stack([np.stack([a, c, b], -1), np.stack([b, c, d], -1)], 2).reshape(-1, 3)
    uv = np.stack([gx, gz], -1).reshape(-1, 2)
    col = None if colors is None else colors.reshape(-1, 3).astype(np.float32)
    return Part(pos, nrm.reshape(-1, 3).astype(np.float32), idx.astype(np.uint32), uv.astype(np.float32), col)


def _revolve(profile: np.ndarray, segments: int) -> Part:
    """Surface of revolution about +Y from a (P, 2) profile of (radius, y), smooth normals."""
    ang = np.linspace(0, 2 * np.pi, segments + 1, dtype=np.float64)
    c, s = np.cos(ang), np.sin(ang)
    r, y = profile[:, 0:1], profile[:, 1:2]
    pos = np.stack([r * c, np.broadcast_to(y, (len(profile), segments + 1)), -r * s], -1)
    dr = np.gradient(profile[:, 0])
    dy = np.gradient(profile[:, 1])
    nr, ny = dy, -dr  # outward normal of the profile curve
    ln = np.hypot(nr, ny) + 1e-12
    nr, ny = nr / ln, ny / ln
    nrm = np.stack(
        [nr[:, None] * c, np.broadcast_to(ny[:, None], (len(profile), segments + 1)), -nr[:, None] * s], -1
    )
    p = len(profile)
    i = np.arange(p * (segments + 1), dtype=np.int64).reshape(p, segments + 1)
    a, b, cc, d = i[:-1, :-1], i[:-1, 1:], i[1:, :-1], i[1:, 1:]
    idx = np.stack([np.stack([a, b, d], -1), np.stack([a, d, cc], -1)], 2).reshape(-1, 3)
    flat = pos.reshape(-1, 3)
    area = np.linalg.norm(
        np.cross(flat[idx[:, 1]] - flat[idx[:, 0]], flat[idx[:, 2]] - flat[idx[:, 0]]), axis=1
    )
    idx = idx[area > 1e-9]  # rings of radius 0 (poles, cap centres) make degenerate triangles
    uv = np.stack(np.meshgrid(ang / (2 * np.pi), profile[:, 1]), -1).reshape(-1, 2)
    return Part(
        pos.reshape(-1, 3).astype(np.float32),
        nrm.reshape(-1, 3).astype(np.float32),
        idx.astype(np.uint32),
        uv.astype(np.float32),
    )


def cylinder(radius: float, height: float, segments: int = 12, top_radius: float | None = None) -> Part:
    """Open-bottom cylinder (or frustum) standing on y=0, with a capped top."""
    tr = radius if top_radius is None else top_radius
    return _revolve(np.array([[radius, 0.0], [tr, height], [tr * 0.5, height], [0.0, height]]), segments)


def cone(radius: float, height: float, segments: int = 12, base_y: float = 0.0) -> Part:
    return _revolve(
        np.array(
            [[0.0, base_y], [radius, base_y], [radius * 0.5, base_y + height * 0.5], [0.0, base_y + height]]
        ),
        segments,
    )


def sphere(radius: float, rings: int = 8, segments: int = 12, center_y: float = 0.0) -> Part:
    t = np.linspace(np.pi, 0, rings + 1)
    prof = np.stack([radius * np.sin(t), center_y + radius * np.cos(t)], -1)
    prof[0, 0] = prof[-1, 0] = 0.0
    return _revolve(prof, segments)


def gable_roofs(
    centers: ArrayLike, sizes: ArrayLike, heights: ArrayLike, colors: ArrayLike | None = None
) -> Part:
    """Pitched roofs over boxes: centers (K,3) at the eaves, sizes (K,2) x/z, ridge along the longer side."""
    centers = np.asarray(centers, np.float32).reshape(-1, 3)
    sizes = np.asarray(sizes, np.float32).reshape(-1, 2)
    h = np.asarray(heights, np.float32).reshape(-1)
    out = []
    for along_x in (True, False):
        sel = (sizes[:, 0] >= sizes[:, 1]) == along_x
        if not sel.any():
            continue
        c, s, hh = centers[sel], sizes[sel], h[sel]
        a, b = (s[:, 0] / 2, s[:, 1] / 2) if along_x else (s[:, 1] / 2, s[:, 0] / 2)
        # in a frame where the ridge runs along local x: 2 slopes (quads) + 2 gables (triangles)
        zero = np.zeros_like(a)
        p = np.stack(
            [
                np.stack([-a, zero, b], -1),
                np.stack([a, zero, b], -1),
                np.stack([a, hh, zero], -1),
                np.stack([-a, hh, zero], -1),
                np.stack([a, zero, -b], -1),
                np.stack([-a, zero, -b], -1),
                np.stack([-a, hh, zero], -1),
                np.stack([a, hh, zero], -1),
                np.stack([-a, zero, -b], -1),
                np.stack([-a, zero, b], -1),
                np.stack([-a, hh, zero], -1),
                np.stack([a, zero, b], -1),
                np.stack([a, zero, -b], -1),
                np.stack([a, hh, zero], -1),
            ],
            1,
        )
        slope = np.stack([zero, b, hh], -1)
        slope /= np.linalg.norm(slope, axis=-1, keepdims=True)
        n1 = np.repeat(slope[:, None], 4, 1)
        n2 = n1 * np.array([1, 1, -1], np.float32)
        gx = np.array([-1.0, 0, 0], np.float32)
        nn = np.concatenate(
            [n1, n2, np.broadcast_to(gx, (len(a), 3, 3)), np.broadcast_to(-gx, (len(a), 3, 3))], 1
        )
        if not along_x:  # rotate 90° about +Y, (x, y, z) -> (z, y, -x), so the ridge runs along z
            p = p[..., [2, 1, 0]] * np.array([1, 1, -1], np.float32)
            nn = nn[..., [2, 1, 0]] * np.array([1, 1, -1], np.float32)
        p = p + c[:, None]
        k = len(a)
        tri = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7], [8, 9, 10], [11, 12, 13]], np.int64)
        idx = ((np.arange(k, dtype=np.int64) * 14)[:, None, None] + tri[None]).reshape(-1, 3)
        uv = np.stack([p[..., 0] + p[..., 2], p[..., 1]], -1)
        col = None if colors is None else np.repeat(np.asarray(colors, np.float32)[sel], 14, axis=0)
        out.append(Part(p.reshape(-1, 3), nn.reshape(-1, 3), idx.astype(np.uint32), uv.reshape(-1, 2), col))
    return merge(out)


def transform(part: Part, matrix: np.ndarray) -> Part:
    """Apply a 4x4 (or 3x3) transform; mirrored transforms flip the winding so faces stay outward."""
    m = np.asarray(matrix, np.float64)
    r = m[:3, :3]
    t = m[:3, 3] if m.shape == (4, 4) else np.zeros(3)
    pos = part.positions @ r.T + t
    nrm = part.normals @ np.linalg.inv(r)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-12
    idx = part.indices[:, ::-1] if np.linalg.det(r) < 0 else part.indices
    return Part(
        pos.astype(np.float32), nrm.astype(np.float32), np.ascontiguousarray(idx), part.uvs, part.colors
    )
