"""GPU passes that fill a swapchain image pair (colour + depth) for one eye.

- `blit`: a rendered view (colour with row 0 at the top, linear depth in metres) copied texel for
  texel when sizes match (else filtered), flipped to GL's bottom-up rows, with depth converted to the
  depth-buffer value of the eye's projection so the runtime can reproject with it.
- `reproject`: rotational reprojection, the viewer's own fallback for stream mode when no new frame
  has arrived: the last frame, rendered for an older head orientation, is resampled for the current
  one (exact for rotation, which is what a head does most between two frames).
- `panorama`: a 360° equirectangular image shown around the viewer (holographic review).

All passes draw one full-screen triangle; framebuffers wrap the runtime's GL textures.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import moderngl
import numpy as np

from bridge.render.source import FovAngles

__all__ = ["Compositor", "SwapchainTarget", "gl_functions"]

_VS = """
#version 330
out vec2 v_uv;
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

_COMMON = """
#version 330
in vec2 v_uv;
out vec4 f_color;
uniform float u_near;
uniform float u_far;
uniform int u_has_depth;
const float PI = 3.14159265358979;
float depth_value(float metres_along_z) {
    // GL depth-buffer value [0, 1] of a point at this distance along -Z, for this near/far.
    if (!(metres_along_z < 3.0e38) || metres_along_z >= u_far) return 1.0;
    float z = max(metres_along_z, u_near);
    float ndc = (u_far + u_near) / (u_far - u_near) - 2.0 * u_far * u_near / ((u_far - u_near) * z);
    return clamp(ndc * 0.5 + 0.5, 0.0, 1.0);
}
"""

_BLIT_FS = (
    _COMMON
    + """
uniform sampler2D u_color;
uniform sampler2D u_depth;
uniform int u_exact;
void main() {
    ivec2 size = textureSize(u_color, 0);
    vec4 c;
    float d = 1.0e39;
    if (u_exact == 1) {
        ivec2 p = ivec2(gl_FragCoord.xy);
        ivec2 src = ivec2(p.x, size.y - 1 - p.y);
        c = texelFetch(u_color, src, 0);
        if (u_has_depth == 1) d = texelFetch(u_depth, src, 0).r;
    } else {
        vec2 uv = vec2(v_uv.x, 1.0 - v_uv.y);
        c = texture(u_color, uv);
        if (u_has_depth == 1) d = texture(u_depth, uv).r;
    }
    f_color = c;
    gl_FragDepth = depth_value(d);
}
"""
)

_REPROJECT_FS = (
    _COMMON
    + """
uniform sampler2D u_color;
uniform sampler2D u_depth;
uniform vec4 u_tan;          // this eye: tan(left), tan(right), tan(up), tan(down)
uniform vec4 u_src_tan;      // the frame's eye
uniform mat3 u_src_from_cur; // rotation: source camera from current camera
void main() {
    vec3 d = vec3(mix(u_tan.x, u_tan.y, v_uv.x), mix(u_tan.w, u_tan.z, v_uv.y), -1.0);
    vec3 s = u_src_from_cur * d;
    if (s.z >= -1e-6) { f_color = vec4(0.0, 0.0, 0.0, 1.0); gl_FragDepth = 1.0; return; }
    vec2 t = s.xy / -s.z;
    vec2 uv = vec2((t.x - u_src_tan.x) / (u_src_tan.y - u_src_tan.x),
                   (t.y - u_src_tan.w) / (u_src_tan.z - u_src_tan.w));
    if (any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) {
        f_color = vec4(0.0, 0.0, 0.0, 1.0); gl_FragDepth = 1.0; return;
    }
    vec2 suv = vec2(uv.x, 1.0 - uv.y);
    f_color = texture(u_color, suv);
    float dist = (u_has_depth == 1) ? texture(u_depth, suv).r : 1.0e39;
    // Depth along the source's -Z to depth along this eye's -Z, for the same ray.
    gl_FragDepth = depth_value(dist * (-s.z / length(s)) * length(d));
}
"""
)

_PANORAMA_FS = (
    _COMMON
    + """
uniform sampler2D u_color;
uniform vec4 u_tan;
uniform mat3 u_pano_from_cur;  // rotation: panorama camera from this eye
void main() {
    vec3 d = normalize(u_pano_from_cur * vec3(mix(u_tan.x, u_tan.y, v_uv.x), mix(u_tan.w, u_tan.z, v_uv.y), -1.0));
    float lon = atan(d.x, -d.z);
    float lat = asin(clamp(d.y, -1.0, 1.0));
    vec2 uv = vec2(lon / (2.0 * PI) + 0.5, (0.5 * PI - lat) / PI);
    f_color = textureLod(u_color, uv, 0.0);
    gl_FragDepth = 1.0;
}
"""
)

_GL_FRAMEBUFFER = 0x8D40
_GL_COLOR_ATTACHMENT0 = 0x8CE0
_GL_DEPTH_ATTACHMENT = 0x8D00
_GL_TEXTURE_2D = 0x0DE1
_GL_FRAMEBUFFER_COMPLETE = 0x8CD5


class _GL:
    """The few raw GL entry points moderngl lacks (framebuffers on foreign depth textures)."""

    def __init__(self) -> None:
        egl = ctypes.CDLL("libEGL.so.1")
        egl.eglGetProcAddress.restype = ctypes.c_void_p
        egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]

        def fn(name: str, *args: Any) -> Any:
            addr = egl.eglGetProcAddress(name.encode())
            if not addr:
                raise RuntimeError(f"GL function {name} not found")
            return ctypes.CFUNCTYPE(None, *args)(addr)

        self.gen_framebuffers = fn("glGenFramebuffers", ctypes.c_int32, ctypes.POINTER(ctypes.c_uint32))
        self.delete_framebuffers = fn("glDeleteFramebuffers", ctypes.c_int32, ctypes.POINTER(ctypes.c_uint32))
        self.bind_framebuffer = fn("glBindFramebuffer", ctypes.c_uint32, ctypes.c_uint32)
        self.framebuffer_texture_2d = fn(
            "glFramebufferTexture2D",
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_int32,
        )
        addr = egl.eglGetProcAddress(b"glCheckFramebufferStatus")
        self.check_framebuffer_status = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint32)(addr)


_gl: _GL | None = None


def gl_functions() -> _GL:
    global _gl
    if _gl is None:
        _gl = _GL()
    return _gl


class SwapchainTarget:
    """A framebuffer on one swapchain image (colour) and, when given, its depth image."""

    def __init__(
        self, ctx: moderngl.Context, color_tex: int, depth_tex: int | None, size: tuple[int, int]
    ) -> None:
        gl = gl_functions()
        fbo = ctypes.c_uint32(0)
        gl.gen_framebuffers(1, ctypes.byref(fbo))
        gl.bind_framebuffer(_GL_FRAMEBUFFER, fbo.value)
        gl.framebuffer_texture_2d(_GL_FRAMEBUFFER, _GL_COLOR_ATTACHMENT0, _GL_TEXTURE_2D, color_tex, 0)
        if depth_tex is not None:
            gl.framebuffer_texture_2d(_GL_FRAMEBUFFER, _GL_DEPTH_ATTACHMENT, _GL_TEXTURE_2D, depth_tex, 0)
        status = gl.check_framebuffer_status(_GL_FRAMEBUFFER)
        gl.bind_framebuffer(_GL_FRAMEBUFFER, 0)
        if status != _GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"swapchain framebuffer incomplete (status 0x{status:04X})")
        self.glo = fbo.value
        self.size = size
        self.has_depth = depth_tex is not None
        self.fbo = ctx.detect_framebuffer(self.glo)

    def use(self) -> None:
        self.fbo.use()
        self.fbo.viewport = (0, 0, *self.size)

    def release(self) -> None:
        fbo = ctypes.c_uint32(self.glo)
        gl_functions().delete_framebuffers(1, ctypes.byref(fbo))


def _set(prog: moderngl.Program, name: str, value: Any) -> None:
    u = prog.get(name, None)
    if isinstance(u, moderngl.Uniform):
        if isinstance(value, np.ndarray):
            u.write(np.ascontiguousarray(value.T, np.float32).tobytes())
        else:
            u.value = value


def _tans(fov: FovAngles) -> tuple[float, float, float, float]:
    return (math.tan(fov.left), math.tan(fov.right), math.tan(fov.up), math.tan(fov.down))


class Compositor:
    """The viewer's full-screen passes. Create and use on the GL thread."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.blit_prog = ctx.program(vertex_shader=_VS, fragment_shader=_BLIT_FS)
        self.reproject_prog = ctx.program(vertex_shader=_VS, fragment_shader=_REPROJECT_FS)
        self.panorama_prog = ctx.program(vertex_shader=_VS, fragment_shader=_PANORAMA_FS)
        for p in (self.blit_prog, self.reproject_prog, self.panorama_prog):
            _set(p, "u_color", 0)
            _set(p, "u_depth", 1)
        self._vaos = {
            id(p): ctx.vertex_array(p, []) for p in (self.blit_prog, self.reproject_prog, self.panorama_prog)
        }
        self._no_depth = ctx.texture((1, 1), 1, np.full(1, np.inf, np.float32).tobytes(), dtype="f4")

    def _draw(self, prog: moderngl.Program, target: SwapchainTarget) -> None:
        target.use()
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.depth_func = "1"  # always: the pass writes every pixel's depth
        self._vaos[id(prog)].render(moderngl.TRIANGLES, vertices=3)
        self.ctx.depth_func = "<"
        self.ctx.disable(moderngl.DEPTH_TEST)

    def _inputs(
        self,
        prog: moderngl.Program,
        color: moderngl.Texture,
        depth: moderngl.Texture | None,
        near: float,
        far: float,
    ) -> None:
        color.use(0)
        (depth if depth is not None else self._no_depth).use(1)
        _set(prog, "u_has_depth", 1 if depth is not None else 0)
        _set(prog, "u_near", float(near))
        _set(prog, "u_far", float(far))

    def blit(
        self,
        target: SwapchainTarget,
        color: moderngl.Texture,
        depth: moderngl.Texture | None,
        near: float,
        far: float,
    ) -> None:
        """Copy a rendered view (row 0 at the top) into the swapchain image pair."""
        prog = self.blit_prog
        self._inputs(prog, color, depth, near, far)
        _set(prog, "u_exact", 1 if tuple(color.size) == tuple(target.size) else 0)
        self._draw(prog, target)

    def reproject(
        self,
        target: SwapchainTarget,
        color: moderngl.Texture,
        depth: moderngl.Texture | None,
        *,
        T_world_src: np.ndarray,
        src_fov: FovAngles,
        T_world_eye: np.ndarray,
        fov: FovAngles,
        near: float,
        far: float,
    ) -> None:
        """Resample a frame rendered from `T_world_src` for the eye at `T_world_eye` (rotation only)."""
        prog = self.reproject_prog
        self._inputs(prog, color, depth, near, far)
        src_from_cur = np.asarray(T_world_src)[:3, :3].T @ np.asarray(T_world_eye)[:3, :3]
        _set(prog, "u_tan", _tans(fov))
        _set(prog, "u_src_tan", _tans(src_fov))
        _set(prog, "u_src_from_cur", src_from_cur)
        self._draw(prog, target)

    def panorama(
        self,
        target: SwapchainTarget,
        pano: moderngl.Texture,
        *,
        R_world_pano: np.ndarray,
        T_world_eye: np.ndarray,
        fov: FovAngles,
    ) -> None:
        """Show an equirectangular image (row 0 = zenith, centre column = the panorama's −Z) around the eye."""
        prog = self.panorama_prog
        self._inputs(prog, pano, None, 0.05, 1000.0)
        _set(prog, "u_tan", _tans(fov))
        _set(prog, "u_pano_from_cur", np.asarray(R_world_pano)[:3, :3].T @ np.asarray(T_world_eye)[:3, :3])
        self._draw(prog, target)

    def release(self) -> None:
        for v in self._vaos.values():
            v.release()
        for p in (self.blit_prog, self.reproject_prog, self.panorama_prog):
            p.release()
        self._no_depth.release()
