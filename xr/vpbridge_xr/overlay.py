"""World-space overlays drawn over the scene in each eye, depth-tested against it: lines (teleport
arc, measuring tape, viewfinder frame lines, controller rays), small boxes (other users' heads,
measure points) and text panels (a HUD with the active tool, distances, lens, time of day).

Geometry is given per frame in world coordinates; the pass draws it with the eye's projection, so it
sits in the set at the right depth (a measuring tape disappears behind a wall).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bridge.render.source import FovAngles
from vpbridge_xr.compositor import SwapchainTarget

__all__ = ["Overlay", "OverlayScene", "TextPanel"]

_VS = """
#version 330
uniform mat4 u_clip_from_world;
in vec3 in_pos;
in vec4 in_color;
out vec4 v_color;
void main() { v_color = in_color; gl_Position = u_clip_from_world * vec4(in_pos, 1.0); }
"""
_FS = """
#version 330
in vec4 v_color;
out vec4 f_color;
void main() { f_color = v_color; }
"""
_TEXT_VS = """
#version 330
uniform mat4 u_clip_from_world;
in vec3 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() { v_uv = in_uv; gl_Position = u_clip_from_world * vec4(in_pos, 1.0); }
"""
_TEXT_FS = """
#version 330
uniform sampler2D u_text;
in vec2 v_uv;
out vec4 f_color;
void main() { vec4 c = texture(u_text, v_uv); if (c.a < 0.5) discard; f_color = c; }
"""

_CUBE_TRIS = np.array(
    [
        [0, 1, 2], [0, 2, 3], [4, 6, 5], [4, 7, 6], [0, 4, 5], [0, 5, 1],
        [1, 5, 6], [1, 6, 2], [2, 6, 7], [2, 7, 3], [3, 7, 4], [3, 4, 0],
    ]
)  # fmt: skip
_CUBE = np.array(
    [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
    float,
)


@dataclass
class TextPanel:
    """Lines of text on a quad: its centre, its right half-extent (world metres) and its up direction
    (the height follows the text's aspect)."""

    lines: list[str]
    centre: np.ndarray
    right: np.ndarray
    up: np.ndarray


@dataclass
class OverlayScene:
    """What to draw this frame. Colours are RGBA in 0..1 (sRGB-encoded, like the scene's output)."""

    lines: list[tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]] = field(
        default_factory=list
    )
    boxes: list[tuple[np.ndarray, float, tuple[float, float, float, float]]] = field(default_factory=list)
    """(4×4 world pose, half size in metres, colour)."""
    panels: list[TextPanel] = field(default_factory=list)

    def line(self, a: np.ndarray, b: np.ndarray, color: tuple[float, float, float, float]) -> None:
        self.lines.append((np.asarray(a, float), np.asarray(b, float), color))

    def polyline(self, pts: np.ndarray, color: tuple[float, float, float, float]) -> None:
        pts = np.asarray(pts, float)
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            self.line(a, b, color)

    def empty(self) -> bool:
        return not (self.lines or self.boxes or self.panels)


def _write_mat(prog: moderngl.Program, name: str, m: np.ndarray) -> None:
    u = prog[name]
    assert isinstance(u, moderngl.Uniform)
    u.write(np.ascontiguousarray(m.T, np.float32).tobytes())


def view_matrix(T_world_eye: np.ndarray) -> np.ndarray:
    return np.linalg.inv(np.asarray(T_world_eye, np.float64))


class Overlay:
    """Draws an `OverlayScene` into an eye's swapchain target (after the scene is in it)."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.prog = ctx.program(vertex_shader=_VS, fragment_shader=_FS)
        self.text_prog = ctx.program(vertex_shader=_TEXT_VS, fragment_shader=_TEXT_FS)
        self.text_prog["u_text"] = 0
        self._vbo = ctx.buffer(reserve=1 << 16, dynamic=True)
        self._vao = ctx.vertex_array(self.prog, [(self._vbo, "3f 4f", "in_pos", "in_color")])
        self._text_vbo = ctx.buffer(reserve=4 * 6 * 5, dynamic=True)
        self._text_vao = ctx.vertex_array(self.text_prog, [(self._text_vbo, "3f 2f", "in_pos", "in_uv")])
        self._font = ImageFont.load_default()
        self._text_cache: dict[tuple[str, ...], moderngl.Texture] = {}

    def _upload(self, data: np.ndarray) -> int:
        raw = np.ascontiguousarray(data, np.float32).tobytes()
        if len(raw) > self._vbo.size:
            self._vbo.orphan(max(len(raw), 2 * self._vbo.size))
            self._vao = self.ctx.vertex_array(self.prog, [(self._vbo, "3f 4f", "in_pos", "in_color")])
        self._vbo.write(raw)
        return len(data)

    def _text_texture(self, lines: list[str]) -> moderngl.Texture:
        key = tuple(lines)
        tex = self._text_cache.get(key)
        if tex is None:
            w, lh = 512, 22
            img = Image.new("RGBA", (w, max(1, len(lines)) * lh + 8), (12, 12, 16, 255))
            d = ImageDraw.Draw(img)
            for i, line in enumerate(lines):
                d.text((8, 4 + i * lh), line, fill=(235, 235, 235, 255), font=self._font)
            img = img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
            tex = self.ctx.texture(img.size, 4, img.tobytes())
            if len(self._text_cache) > 32:
                for t in self._text_cache.values():
                    t.release()
                self._text_cache.clear()
            self._text_cache[key] = tex
        return tex

    def draw(
        self,
        target: SwapchainTarget,
        scene: OverlayScene,
        T_world_eye: np.ndarray,
        fov: FovAngles,
        near: float,
        far: float,
    ) -> None:
        if scene.empty():
            return
        clip = fov.projection(near, far) @ view_matrix(T_world_eye)
        target.use()
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.depth_func = "<="
        _write_mat(self.prog, "u_clip_from_world", clip)
        if scene.lines:
            data = np.array([[*p, *c] for a, b, c in scene.lines for p in (a, b)], np.float32)
            n = self._upload(data)
            self._vao.render(moderngl.LINES, vertices=n)
        if scene.boxes:
            rows: list[list[float]] = []
            for T, half, c in scene.boxes:
                corners = (np.asarray(T)[:3, :3] @ (_CUBE * half).T).T + np.asarray(T)[:3, 3]
                for tri in _CUBE_TRIS:
                    rows.extend([*corners[i], *c] for i in tri)
            n = self._upload(np.array(rows, np.float32))
            self._vao.render(moderngl.TRIANGLES, vertices=n)
        if scene.panels:
            _write_mat(self.text_prog, "u_clip_from_world", clip)
            for panel in scene.panels:
                tex = self._text_texture(panel.lines)
                aspect = tex.size[1] / tex.size[0]
                o, r = np.asarray(panel.centre, float), np.asarray(panel.right, float)
                u = panel.up / max(1e-9, float(np.linalg.norm(panel.up))) * float(np.linalg.norm(r)) * aspect
                quad = [
                    (*(o - r - u), 0.0, 0.0), (*(o + r - u), 1.0, 0.0), (*(o + r + u), 1.0, 1.0),
                    (*(o - r - u), 0.0, 0.0), (*(o + r + u), 1.0, 1.0), (*(o - r + u), 0.0, 1.0),
                ]  # fmt: skip
                self._text_vbo.write(np.array(quad, np.float32).tobytes())
                tex.use(0)
                self._text_vao.render(moderngl.TRIANGLES, vertices=6)
        self.ctx.depth_func = "<"
        self.ctx.disable(moderngl.DEPTH_TEST)

    def release(self) -> None:
        for t in self._text_cache.values():
            t.release()
        for r in (self._vao, self._text_vao, self._vbo, self._text_vbo, self.prog, self.text_prog):
            r.release()
