"""A Scene uploaded to GL: one interleaved vertex buffer, index buffer and instance buffer per mesh,
vertex arrays for the shaded, shadow and bare passes, base-colour textures, and point sprites for
scans and splats. Built once per scene; looks, time of day and cameras never rebuild it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import moderngl
import numpy as np

from bridge.world.scene import Material, Mesh, PointCloud, Scene

__all__ = ["GpuScene", "MeshDraw", "PointDraw"]

_SRGB8_ALPHA8 = 0x8C43
_FMT = "3f 3f 2f 3f"  # position, normal, uv, colour


@dataclass
class MeshDraw:
    """One mesh ready to draw: its material, id and world bounds for culling."""

    name: str
    object_id: int
    material: Material
    lo: np.ndarray
    hi: np.ndarray
    instances: int
    material_id: int = 0
    """Index of the material in the scene (its column of the renderer's material table)."""
    vaos: dict[str, moderngl.VertexArray] = field(default_factory=dict)
    texture: moderngl.Texture | None = None


@dataclass
class PointDraw:
    name: str
    object_id: int
    count: int
    vao: moderngl.VertexArray


def _interleave(mesh: Mesh) -> np.ndarray:
    n = len(mesh.positions)
    out = np.empty((n, 11), np.float32)
    out[:, 0:3] = mesh.positions
    out[:, 3:6] = mesh.normals
    out[:, 6:8] = 0.0 if mesh.uvs is None else mesh.uvs
    out[:, 8:11] = 1.0 if mesh.colors is None else mesh.colors
    return out


def _world_bounds(mesh: Mesh) -> tuple[np.ndarray, np.ndarray]:
    if not len(mesh.positions):
        return np.zeros(3), np.zeros(3)
    pmin, pmax = mesh.positions.min(0).astype(float), mesh.positions.max(0).astype(float)
    corners = np.array(
        [[x, y, z] for x in (pmin[0], pmax[0]) for y in (pmin[1], pmax[1]) for z in (pmin[2], pmax[2])]
    )
    tf = mesh.world_transforms().astype(float)
    w = np.einsum("kij,cj->kci", tf[:, :3, :3], corners) + tf[:, None, :3, 3]
    return w.reshape(-1, 3).min(0), w.reshape(-1, 3).max(0)


def _point_radii(pc: PointCloud) -> np.ndarray:
    if pc.kind == "splats" and pc.scales is not None:
        # Two sigma of the largest axis: the footprint where a Gaussian is visibly opaque.
        return np.asarray(np.clip(2.0 * np.asarray(pc.scales, np.float32).max(1), 1e-4, 5.0), np.float32)
    return np.full(len(pc.positions), pc.point_size_m / 2.0, np.float32)


class GpuScene:
    """GL resources of one scene. `release()` frees them; `nbytes` is what they hold on the GPU."""

    def __init__(self, ctx: moderngl.Context, scene: Scene, programs: dict[str, moderngl.Program]) -> None:
        self.ctx = ctx
        self.meshes: list[MeshDraw] = []
        self.points: list[PointDraw] = []
        self._res: list[moderngl.Buffer | moderngl.Texture | moderngl.VertexArray] = []
        self.nbytes = 0
        self.lo, self.hi = scene.bounds()
        for mesh in scene.meshes:
            if len(mesh.indices) and len(mesh.positions):
                draw = self._upload_mesh(mesh, scene.materials[mesh.material], programs)
                draw.material_id = mesh.material
                self.meshes.append(draw)
        for pc in scene.point_clouds:
            if len(pc.positions):
                self.points.append(self._upload_points(pc, programs["points"]))

    def _buffer(self, data: np.ndarray) -> moderngl.Buffer:
        buf = self.ctx.buffer(np.ascontiguousarray(data).tobytes())
        self._res.append(buf)
        self.nbytes += buf.size
        return buf

    def _upload_mesh(self, mesh: Mesh, mat: Material, programs: dict[str, moderngl.Program]) -> MeshDraw:
        vbo = self._buffer(_interleave(mesh))
        ibo = self._buffer(mesh.indices.astype(np.uint32))
        # GLSL reads a mat4 attribute column by column, so upload each row-major transform transposed.
        inst = self._buffer(np.transpose(mesh.world_transforms().astype(np.float32), (0, 2, 1)))
        lo, hi = _world_bounds(mesh)
        draw = MeshDraw(mesh.name, mesh.object_id, mat, lo, hi, len(mesh.world_transforms()))
        layouts: dict[str, list[tuple[Any, ...]]] = {
            "scene": [(vbo, "3f 3f 8x 3f", "in_position", "in_normal", "in_color")],
            "scene_tex": [(vbo, _FMT, "in_position", "in_normal", "in_uv", "in_color")],
            "shadow": [(vbo, "3f 32x", "in_position")],
            "bare": [(vbo, "3f 20x 3f", "in_position", "in_color")],
        }
        if mat.base_color_texture is None:
            del layouts["scene_tex"]
        for key, content in layouts.items():
            prog = programs[key]
            full = [*content, (inst, "16f/i", "in_model")]
            vao = self.ctx.vertex_array(prog, full, index_buffer=ibo, index_element_size=4)
            self._res.append(vao)
            draw.vaos[key] = vao
        if mat.base_color_texture is not None:
            draw.texture = self._texture(mat.base_color_texture)
        return draw

    def _texture(self, img: np.ndarray) -> moderngl.Texture:
        rgba = np.empty((*img.shape[:2], 4), np.uint8)
        rgba[..., :3] = img[..., :3]
        rgba[..., 3] = img[..., 3] if img.shape[2] == 4 else 255
        # Row 0 of the image is its top; flipped so v=0 is the bottom row (OpenGL / trimesh UVs).
        tex = self.ctx.texture(
            (img.shape[1], img.shape[0]),
            4,
            np.ascontiguousarray(rgba[::-1]).tobytes(),
            internal_format=_SRGB8_ALPHA8,
        )
        tex.build_mipmaps()
        tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        tex.repeat_x = tex.repeat_y = True
        self._res.append(tex)
        self.nbytes += int(rgba.nbytes * 4 / 3)
        return tex

    def _upload_points(self, pc: PointCloud, prog: moderngl.Program) -> PointDraw:
        keep = np.ones(len(pc.positions), bool)
        if pc.kind == "splats" and pc.opacity is not None:
            keep = np.asarray(pc.opacity) >= 0.1  # near-transparent splats are floaters, not surface
        data = np.empty((int(keep.sum()), 7), np.float32)
        data[:, 0:3] = np.asarray(pc.positions, np.float32)[keep]
        data[:, 3:6] = np.clip(np.asarray(pc.colors, np.float32)[keep], 0.0, None)
        data[:, 6] = _point_radii(pc)[keep]
        vbo = self._buffer(data)
        vao = self.ctx.vertex_array(prog, [(vbo, "3f 3f 1f", "in_position", "in_color", "in_radius")])
        self._res.append(vao)
        return PointDraw(pc.name, pc.object_id, len(data), vao)

    def release(self) -> None:
        for r in reversed(self._res):
            r.release()
        self._res.clear()
        self.meshes.clear()
        self.points.clear()
