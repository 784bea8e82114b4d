"""The scene renderer: a `FrameSource` that draws a `Scene` with moderngl on headless EGL.

Per view: a sun shadow map (cached while its quantised window holds), a cheap geometry pass into a
G-buffer, one post pass that lights the visible pixels and adds sky, fog, tone map, grade, linear
depth and the flip, then PBO readback into pooled arrays that are never written again while anything
(the caller, a frame cache, ZeroMQ) still references them, so results are `fresh`. 360° views light
six cube faces in an atlas and resample it to equirectangular.
"""

from __future__ import annotations

import os
import time
import zlib
from typing import Any

import moderngl
import numpy as np

from bridge.errors import ConfigError
from bridge.render import cameras
from bridge.render.atmosphere import Lighting, lighting
from bridge.render.gpu_scene import GpuScene
from bridge.render.looks import grade
from bridge.render.shaders import source
from bridge.render.source import FovAngles, RenderedView, RenderJob, RenderResult, View
from bridge.render.targets import OutputTargets, SceneTargets
from bridge.world.scene import Scene

__all__ = ["SceneRenderer", "create_context"]

MAX_LIGHTS = 4
MAX_SIZE = 8192
SHADOW_DISTANCE_M = 150.0
_UNITS = {
    "u_hdr": 0,
    "u_depth": 1,
    "u_ids": 2,
    "u_panorama": 3,
    "u_shadow_map": 4,
    "u_texture": 5,
    "u_normal": 6,
    "u_albedo": 7,
    "u_materials": 8,
}


def create_context() -> moderngl.Context:
    """A headless GL 3.3+ context through EGL (Mesa llvmpipe without a GPU, the vendor driver with one)."""
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    try:
        return moderngl.create_standalone_context(backend="egl")  # type: ignore[arg-type]
    except Exception as exc:
        raise ConfigError(
            f"cannot create a headless EGL context ({exc}); install `libegl1 libgl1-mesa-dri` (or a GPU driver)"
        ) from exc


def _set(prog: moderngl.Program, name: str, value: Any) -> None:
    """Set a uniform if the compiler kept it (unused uniforms are optimised away)."""
    u = prog.get(name, None)
    if not isinstance(u, moderngl.Uniform):
        return
    if isinstance(value, np.ndarray):
        # numpy matrices are row-major; GL wants column-major.
        u.write(np.ascontiguousarray(value.T if value.ndim == 2 else value, np.float32).tobytes())
    else:
        u.value = value


_FLIP_Y = np.diag([1.0, -1.0, 1.0, 1.0])


def _grain_seed(T: np.ndarray) -> int:
    """Grain follows the pose, so the same pose (and look) gives the same frame, bit for bit."""
    return zlib.crc32(np.ascontiguousarray(T, np.float64).tobytes())


class SceneRenderer:
    """Renders `RenderJob`s of one scene at a time. Create, use and close it on the render thread."""

    name = "scene"

    def __init__(
        self,
        scene: Scene,
        ctx: moderngl.Context | None = None,
        *,
        shadow_size: int = 2048,
        bare: bool = False,
    ) -> None:
        self._own_ctx = ctx is None
        self.ctx = ctx if ctx is not None else create_context()
        self.bare = bare
        """Benchmark floor: same geometry, targets and readback, minimal shaders, no shadows."""
        self.shadow_size = shadow_size
        ctx_ = self.ctx
        post_defs = ("BARE",) if bare else ()
        self.programs = {
            "scene": self._program("scene_vs.glsl", "scene_fs.glsl"),
            "scene_tex": self._program("scene_vs.glsl", "scene_fs.glsl", ("TEXTURED",)),
            "shadow": self._program("shadow_vs.glsl", "depth_only_fs.glsl"),
            "bare": self._program("scene_vs.glsl", "bare_fs.glsl"),
            "points": self._program("points_vs.glsl", "points_fs.glsl", post_defs),
        }
        for prog in self.programs.values():
            for uname, unit in _UNITS.items():
                _set(prog, uname, unit)
        self._variants: dict[tuple[bool, ...], tuple[moderngl.Program, ...]] = {}
        self._vaos: dict[tuple[bool, ...], tuple[moderngl.VertexArray, ...]] = {}
        self._lit: tuple[moderngl.Program, ...] = ()
        if bare:  # one post program: the floor has no lights or sky to compile in or out
            self.programs["post"] = self._program("fullscreen_vs.glsl", "post_fs.glsl", post_defs)
            self.programs["equirect"] = self._program(
                "fullscreen_vs.glsl", "post_fs.glsl", ("EQUIRECT", *post_defs)
            )
            for key in ("post", "equirect"):
                for uname, unit in _UNITS.items():
                    _set(self.programs[key], uname, unit)
            self._fullscreen = ctx_.vertex_array(self.programs["post"], [])
            self._fullscreen_eq = ctx_.vertex_array(self.programs["equirect"], [])
        self._shadow_map = ctx_.depth_texture((shadow_size, shadow_size))
        self._shadow_map.compare_func = "<="
        self._shadow_map.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._shadow_fbo = ctx_.framebuffer(depth_attachment=self._shadow_map)
        self._dummy_tex = ctx_.texture((1, 1), 4, b"\x80\x80\x80\xff")
        self._panorama: moderngl.Texture | None = None
        self._materials: moderngl.Texture | None = None
        self._shadow_key: tuple[bytes, int] | None = None
        self._st_cache: dict[tuple[int, int], SceneTargets] = {}
        self._split_fbos: dict[tuple[int, int, str], moderngl.Framebuffer] = {}
        """Per output: its attachments plus the scene pass's depth (read-only), for the split post pass."""
        self._outputs: dict[tuple[int, int, str], OutputTargets] = {}
        self._last_output: dict[tuple[int, int], OutputTargets] = {}
        self._gpu: GpuScene | None = None
        self.scene_uploads = 0
        """How many times geometry was uploaded: only `set_scene` uploads, never a look or the time."""
        self.scene = scene
        self.set_scene(scene)

    def _program(self, vs: str, fs: str, defines: tuple[str, ...] = ()) -> moderngl.Program:
        return self.ctx.program(vertex_shader=source(vs, defines), fragment_shader=source(fs, defines))

    def _select_lighting(self, shadow: bool, point_lights: bool, panorama: bool, stars: bool) -> None:
        """Use the post, resolve and 360° programs built for this frame's lights and sky. llvmpipe pays
        for code in untaken branches, uniform ones included, and for one trip of an empty loop, so what a
        frame does not have is compiled out (the panorama lookup alone cost ~8 % of a 1080p frame)."""
        if self.bare:
            return
        key = (shadow, point_lights, panorama, stars)
        if key not in self._variants:
            flags = (
                ("SHADOW", shadow),
                ("POINT_LIGHTS", point_lights),
                ("PANORAMA", panorama),
                ("STARS", stars),
            )
            defs = tuple(d for d, on in flags if on)
            post = self._program("fullscreen_vs.glsl", "post_fs.glsl", ("PASS_GEOMETRY", *defs))
            sky = self._program("fullscreen_vs.glsl", "post_fs.glsl", ("PASS_SKY", *defs))
            resolve = self._program("fullscreen_vs.glsl", "resolve_fs.glsl", defs)
            equirect = self._program("fullscreen_vs.glsl", "post_fs.glsl", ("EQUIRECT", *defs))
            progs = (post, sky, resolve, equirect)
            for prog in progs:
                for uname, unit in _UNITS.items():
                    _set(prog, uname, unit)
            self._variants[key] = progs
            self._vaos[key] = tuple(self.ctx.vertex_array(p, []) for p in progs)
        post, sky, resolve, equirect = self._variants[key]
        self._lit = (post, resolve)
        self.programs.update(post=post, post_sky=sky, resolve=resolve, equirect=equirect)
        self._fullscreen, self._fullscreen_sky, self._fullscreen_resolve, self._fullscreen_eq = self._vaos[
            key
        ]

    # -- scene ---------------------------------------------------------------------------------

    def set_scene(self, scene: Scene) -> None:
        """Switch to another scene live (uploads its geometry; targets and programs are kept)."""
        gpu = GpuScene(self.ctx, scene, self.programs)
        if self._gpu is not None:
            self._gpu.release()
        if self._panorama is not None:
            self._panorama.release()
            self._panorama = None
        pano = scene.environment.panorama
        if scene.environment.sky == "panorama" and pano is not None:
            rgb = np.ascontiguousarray(pano[..., :3], np.uint8)
            self._panorama = self.ctx.texture(
                (rgb.shape[1], rgb.shape[0]),
                3,
                rgb.tobytes(),
                internal_format=0x8C41,  # GL_SRGB8
            )
            self._panorama.repeat_y = False
            self._panorama.filter = (moderngl.LINEAR, moderngl.LINEAR)
        if self._materials is not None:
            self._materials.release()
        # One texel per material plus one for points (the last); written every frame.
        self._materials = self.ctx.texture((len(scene.materials) + 1, 1), 4, dtype="f4")
        self._materials.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._gpu, self.scene = gpu, scene
        self.scene_uploads += 1

    # -- per frame -------------------------------------------------------------------------------

    def render(self, job: RenderJob, *, readback: bool = True) -> RenderResult:
        """Render `job`. With `readback=False` nothing is copied to the CPU: the views come back with
        no arrays and the last view stays in `output_textures(size)` for a GPU consumer (the XR
        viewer blits it straight into a swapchain image)."""
        t0 = time.monotonic_ns()
        self._check(job)
        look = str(job.params.get("look", "neutral") or "neutral")
        g = grade(look)
        lit = lighting(self.scene.environment, job.params, g.exposure_ev)
        self._night = lit.night
        equirect = job.projection in ("equirect", "equirect_stereo")
        views = list(job.views)
        if job.projection in ("stereo", "equirect_stereo"):
            views = cameras.eye_views(views, job.ipd_m)
        self._select_lighting(
            lit.shadows, self._any_point_light(), self._panorama is not None, lit.night > 0.0
        )
        self._frame_uniforms(lit, job, g)
        if lit.shadows and not self.bare:
            self._shadow_pass(views, job, lit, equirect)
        out = self._output((job.width, job.height), job.depth_dtype)
        for slot, view in enumerate(views):
            if equirect:
                self._equirect_view(view, job)
            else:
                self._perspective_view(view, job, lit)
            if readback:
                out.start_read(slot, job.want_color, job.want_depth, job.want_ids)
        rendered: list[RenderedView] = [
            out.finish_read(slot, job.want_color, job.want_depth, job.want_ids)
            if readback
            else RenderedView(None, None)
            for slot in range(len(views))
        ]
        return RenderResult(
            rendered,
            scene_version=self.scene.version,
            look=look,
            provenance=self.scene.provenance.summary(),
            t_render_start_ns=t0,
            t_render_end_ns=time.monotonic_ns(),
            fresh=True,  # pooled arrays: not written again while referenced (targets.ArrayPool)
        )

    def output_textures(self, size: tuple[int, int]) -> tuple[moderngl.Texture, moderngl.Texture]:
        """The post pass's colour (RGBA8, sRGB-encoded values, row 0 at the top) and linear depth
        (metres, +inf for sky; R32F, or R16F after a job with `depth_dtype="float16"`) textures for
        `size`: what the last view rendered at that size left behind."""
        out = self._last_output.get(size) or self._output(size, "float32")
        return out.color, out.depth

    def _any_point_light(self) -> bool:
        return any(
            li.intensity > 0.0 and (not li.at_night_only or self._night > 1e-3) for li in self.scene.lights
        )

    def _check(self, job: RenderJob) -> None:
        if not job.views:
            raise ConfigError("`views` must hold at least one view (the camera pose and FOV)")
        if not (1 <= job.width <= MAX_SIZE and 1 <= job.height <= MAX_SIZE):
            raise ConfigError(f"`width`/`height` must be 1..{MAX_SIZE} pixels, got {job.width}x{job.height}")
        if not 0.0 < job.near < job.far:
            raise ConfigError(f"`near` and `far` must satisfy 0 < near < far, got {job.near}, {job.far}")
        if job.depth_dtype not in ("float32", "float16"):
            raise ConfigError(f"`depth_dtype` must be 'float32' or 'float16', got {job.depth_dtype!r}")

    def _frame_uniforms(self, lit: Lighting, job: RenderJob, g: Any) -> None:
        def num(key: str, default: float) -> float:
            v = job.params.get(key)
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default

        pano = self._panorama or self._dummy_tex
        pano.use(_UNITS["u_panorama"])
        self._shadow_map.use(_UNITS["u_shadow_map"])
        values: dict[str, Any] = {
            "u_sun_dir": lit.key_dir,
            "u_sun_radiance": lit.key_radiance,
            "u_sky_zenith": lit.sky_zenith,
            "u_sky_horizon": lit.sky_horizon,
            "u_ground": lit.ground,
            "u_glow": lit.glow,
            "u_ambient": lit.ambient,
            "u_night": lit.night,
            "u_near_far": (job.near, job.far),
            "u_size": (job.width, job.height),
            "u_fog_density": lit.fog_density,
            "u_exposure": lit.exposure,
            "u_saturation": g.saturation,
            "u_contrast": g.contrast,
            "u_lift": g.lift,
            "u_gamma": g.gamma,
            "u_gain": g.gain,
            "u_vignette": min(max(num("vignette", g.vignette), 0.0), 1.0),
            "u_grain": min(max(num("grain", g.grain), 0.0), 1.0),
        }
        for prog in self.programs.values():
            for k, v in values.items():
                _set(prog, k, v)
        self._material_table(lit.night)

    def _material_table(self, night: float) -> None:
        """Emissive per material (night-only ones scaled by `night`) for shading.glsl; the last texel
        marks points. Roughness and metallic travel in the G-buffer."""
        assert self._materials is not None
        mats = self.scene.materials
        table = np.zeros((len(mats) + 1, 4), np.float32)
        for i, m in enumerate(mats):
            scale = night if m.emissive_at_night_only else 1.0
            table[i, :3] = np.asarray(m.emissive, np.float32) * scale
        table[len(mats), 3] = 1.0  # points
        self._materials.write(table.tobytes())
        self._materials.use(_UNITS["u_materials"])

    def _shadow_pass(self, views: list[View], job: RenderJob, lit: Lighting, equirect: bool) -> None:
        assert self._gpu is not None
        reach = min(job.far, SHADOW_DISTANCE_M)
        if equirect:
            # All directions: a box around the eyes.
            eyes = np.array([v.T_world_camera[:3, 3] for v in views])
            corners = np.concatenate([eyes + reach, eyes - reach])
        else:
            corners = np.concatenate(
                [cameras.frustum_corners(v.T_world_camera, v.fov, job.near, reach) for v in views]
            )
        light, texel = cameras.shadow_matrix(
            np.array(lit.key_dir), corners, self._gpu.lo, self._gpu.hi, self.shadow_size
        )
        for lit_prog in self._lit:
            _set(lit_prog, "u_shadow_matrix", light)
            _set(lit_prog, "u_shadow_texel", texel)
        # Same sun, same snapped window, same geometry: the map from last frame is still right.
        key = (light.tobytes(), self.scene_uploads)
        if key == self._shadow_key:
            return
        self._shadow_key = key
        prog = self.programs["shadow"]
        _set(prog, "u_view_proj", light)
        self._shadow_fbo.use()
        self._shadow_fbo.clear(depth=1.0)
        self.ctx.enable(moderngl.DEPTH_TEST)
        planes = cameras.frustum_planes(light)
        for d in self._gpu.meshes:
            if cameras.visible(planes, d.lo, d.hi):
                d.vaos["shadow"].render(moderngl.TRIANGLES, instances=d.instances)

    def _draw_scene(
        self, T: np.ndarray, fov: FovAngles, job: RenderJob, height: int, flip_y: bool = False
    ) -> np.ndarray:
        """Draw meshes and points for one camera into the bound framebuffer/viewport: the G-buffer, or
        radiance for the bare floor. `flip_y` draws it upside down (row 0 at the top, as the output is),
        so the post pass reads the pixel under its own and can depth-test against it. Returns the
        camera's frustum planes."""
        assert self._gpu is not None
        proj = fov.projection(job.near, job.far)
        vp = proj @ np.linalg.inv(T)
        planes = cameras.frustum_planes(vp)
        if flip_y:
            vp = _FLIP_Y @ vp
        if self.bare:
            _set(self.programs["bare"], "u_view_proj", vp)
        else:
            for key in ("scene", "scene_tex"):
                _set(self.programs[key], "u_view_proj", vp)
        for d in self._gpu.meshes:
            if not cameras.visible(planes, d.lo, d.hi):
                continue
            key = "bare" if self.bare else "scene" if d.texture is None else "scene_tex"
            prog = self.programs[key]
            _set(prog, "u_object_id", d.object_id)
            if not self.bare:
                m = d.material
                _set(prog, "u_material", d.material_id)
                _set(prog, "u_base_color", tuple(m.base_color))
                _set(prog, "u_roughness", m.roughness)
                _set(prog, "u_metallic", m.metallic)
                if d.texture is not None:
                    d.texture.use(_UNITS["u_texture"])
            d.vaos[key].render(moderngl.TRIANGLES, instances=d.instances)
        if self._gpu.points:
            pp = self.programs["points"]
            _set(pp, "u_view_proj", vp)
            _set(pp, "u_focal_px", float(proj[1, 1]) * height / 2.0)
            _set(pp, "u_material", len(self.scene.materials))
            self.ctx.enable(moderngl.PROGRAM_POINT_SIZE)
            for p in self._gpu.points:
                _set(pp, "u_object_id", p.object_id)
                p.vao.render(moderngl.POINTS)
        return planes

    def _shading_inputs(
        self, prog: moderngl.Program, st: SceneTargets, planes: np.ndarray, T: np.ndarray
    ) -> None:
        """Bind the G-buffer and set the eye and the lights that reach this view for a lighting pass."""
        if self.bare:
            return
        assert st.normal is not None and st.albedo is not None
        st.normal.use(_UNITS["u_normal"])
        st.albedo.use(_UNITS["u_albedo"])
        _set(prog, "u_eye", tuple(float(x) for x in T[:3, 3]))
        self._lights(prog, planes, T[:3, 3])

    def _lights(self, prog: moderngl.Program, planes: np.ndarray, eye: np.ndarray) -> None:
        """Upload the nearest lights whose range reaches into the view (at most MAX_LIGHTS)."""
        cands = []
        for li in self.scene.lights:
            scale = self._night if li.at_night_only else 1.0
            if scale <= 1e-3 or li.intensity <= 0.0:
                continue
            pos = np.array(li.position, float)
            if np.all(planes[:, :3] @ pos + planes[:, 3] >= -li.range_m):
                cands.append((float(np.linalg.norm(pos - eye)) - li.range_m, li, scale))
        cands.sort(key=lambda c: c[0])
        pos_arr = np.zeros((MAX_LIGHTS, 3), np.float32)
        col_arr = np.zeros((MAX_LIGHTS, 4), np.float32)
        for i, (_, li, scale) in enumerate(cands[:MAX_LIGHTS]):
            pos_arr[i] = li.position
            col_arr[i, :3] = np.array(li.color) * li.intensity * scale
            col_arr[i, 3] = 1.0 / max(li.range_m, 1e-3) ** 2
        _set(prog, "u_light_count", min(len(cands), MAX_LIGHTS))
        _set(prog, "u_light_pos", pos_arr)
        _set(prog, "u_light_color", col_arr)

    def _scene_targets(self, size: tuple[int, int]) -> SceneTargets:
        if size not in self._st_cache:
            self._st_cache[size] = SceneTargets(self.ctx, size, deferred=not self.bare)
        return self._st_cache[size]

    def _output(self, size: tuple[int, int], depth_dtype: str) -> OutputTargets:
        key = (*size, depth_dtype)
        if key not in self._outputs:
            self._outputs[key] = OutputTargets(self.ctx, size, depth_dtype=depth_dtype)
        out = self._last_output[size] = self._outputs[key]
        return out

    def _begin(self, st: SceneTargets) -> None:
        st.fbo.use()
        st.fbo.viewport = (0, 0, *st.size)
        st.fbo.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.disable(moderngl.CULL_FACE)

    def _perspective_view(self, view: View, job: RenderJob, lit: Lighting) -> None:
        st = self._scene_targets((job.width, job.height))
        self._begin(st)
        planes = self._draw_scene(view.T_world_camera, view.fov, job, job.height, flip_y=not self.bare)
        tl, tr, tu, td = (
            float(np.tan(a)) for a in (view.fov.left, view.fov.right, view.fov.up, view.fov.down)
        )
        prog = self.programs["post"]
        _set(prog, "u_tan", (tl, tr, tu, td))
        self._shading_inputs(prog, st, planes, view.T_world_camera)
        if self.bare:
            self._post(prog, self._fullscreen, st, view.T_world_camera, job)
            return
        sky = self.programs["post_sky"]
        _set(sky, "u_tan", (tl, tr, tu, td))
        self._post_split(
            ((prog, self._fullscreen), (sky, self._fullscreen_sky)), st, view.T_world_camera, job
        )

    def _equirect_view(self, view: View, job: RenderJob) -> None:
        face = int(min(max(32, -(-job.width // 4)), 2048))
        st = self._scene_targets((6 * face, face))
        self._begin(st)
        faces = cameras.cube_faces()
        T = np.array(view.T_world_camera, np.float64)
        face_poses = []
        for i, rot in enumerate(faces):
            st.fbo.viewport = (i * face, 0, face, face)
            T_face = T.copy()
            T_face[:3, :3] = T[:3, :3] @ rot
            face_poses.append((T_face, self._draw_scene(T_face, cameras.CUBE_FOV, job, face)))
        if not self.bare:
            self._resolve_faces(st, face, face_poses, job)
        prog = self.programs["equirect"]
        _set(prog, "u_face_px", face)
        _set(prog, "u_face_rot", np.ascontiguousarray(np.transpose(np.array(faces), (0, 2, 1)), np.float32))
        self._post(prog, self._fullscreen_eq, st, view.T_world_camera, job)

    def _resolve_faces(
        self, st: SceneTargets, face: int, face_poses: list[tuple[np.ndarray, np.ndarray]], job: RenderJob
    ) -> None:
        """Light each cube face of the G-buffer atlas into its radiance texture (`st.hdr`)."""
        fbo = st.radiance_fbo()
        fbo.use()
        self.ctx.disable(moderngl.DEPTH_TEST)
        prog = self.programs["resolve"]
        st.depth.use(_UNITS["u_depth"])
        st.ids.use(_UNITS["u_ids"])
        _set(prog, "u_tan", (-1.0, 1.0, 1.0, -1.0))  # CUBE_FOV: tan(±45°)
        _set(prog, "u_face_px", float(face))
        for i, (T_face, planes) in enumerate(face_poses):
            fbo.viewport = (i * face, 0, face, face)
            _set(prog, "u_face_origin", (float(i * face), 0.0))
            _set(prog, "u_cam_rot", T_face[:3, :3])
            self._shading_inputs(prog, st, planes, T_face)
            self._fullscreen_resolve.render(moderngl.TRIANGLES, vertices=3)

    def _post(
        self,
        prog: moderngl.Program,
        vao: moderngl.VertexArray,
        st: SceneTargets,
        T: np.ndarray,
        job: RenderJob,
    ) -> None:
        out = self._output((job.width, job.height), job.depth_dtype)
        out.fbo.use()
        out.fbo.viewport = (0, 0, job.width, job.height)
        self.ctx.disable(moderngl.DEPTH_TEST)
        if st.hdr is not None:
            st.hdr.use(_UNITS["u_hdr"])
        st.depth.use(_UNITS["u_depth"])
        st.ids.use(_UNITS["u_ids"])
        _set(prog, "u_cam_rot", np.asarray(T, np.float64)[:3, :3])
        _set(prog, "u_seed", _grain_seed(T))
        vao.render(moderngl.TRIANGLES, vertices=3)

    def _post_split(
        self,
        passes: tuple[tuple[moderngl.Program, moderngl.VertexArray], ...],
        st: SceneTargets,
        T: np.ndarray,
        job: RenderJob,
    ) -> None:
        """The perspective post pass in two draws, geometry then sky, each limited to its pixels by a
        depth test of the far-plane triangle against the scene's depth (attached read-only: no depth
        writes, while the geometry draw samples the same texture). llvmpipe runs a fragment shader only
        for blocks with a pixel that passes, so sky pixels never pay for lighting and lit pixels never
        for the sky; every pixel is written by exactly one of the two draws."""
        out = self._output((job.width, job.height), job.depth_dtype)
        key = (job.width, job.height, job.depth_dtype)
        fbo = self._split_fbos.get(key)
        if fbo is None:
            fbo = self._split_fbos[key] = self.ctx.framebuffer(list(out.fbo.color_attachments), st.depth)
        fbo.depth_mask = False
        fbo.use()
        fbo.viewport = (0, 0, job.width, job.height)
        self.ctx.enable(moderngl.DEPTH_TEST)
        st.depth.use(_UNITS["u_depth"])
        st.ids.use(_UNITS["u_ids"])
        rot, seed = np.asarray(T, np.float64)[:3, :3], _grain_seed(T)
        for (prog, vao), func in zip(passes, (">", "<="), strict=True):
            _set(prog, "u_cam_rot", rot)
            _set(prog, "u_seed", seed)
            self.ctx.depth_func = func  # far plane (1.0) > stored: geometry; <= stored (1.0): sky
            vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.depth_func = "<"
        self.ctx.disable(moderngl.DEPTH_TEST)

    # -- resources --------------------------------------------------------------------------------

    _night = 0.0

    def memory(self) -> dict[str, int]:
        """Bytes held: GL buffers/textures of the scene and of the targets, and CPU readback arrays (the
        pools' arrays, including those a consumer or the frame cache still holds)."""
        gl_scene = self._gpu.nbytes if self._gpu else 0
        gl_targets = sum(t.nbytes for t in self._st_cache.values())
        gl_targets += sum(o.gl_nbytes for o in self._outputs.values()) + self.shadow_size**2 * 4
        cpu = sum(o.cpu_nbytes for o in self._outputs.values())
        return {"gl_scene": gl_scene, "gl_targets": gl_targets, "cpu_readback": cpu}

    def close(self) -> None:
        if self._gpu is not None:
            self._gpu.release()
            self._gpu = None
        if self._materials is not None:
            self._materials.release()
            self._materials = None
        for fbo in self._split_fbos.values():
            fbo.release()
        self._split_fbos.clear()
        for group in (self._st_cache, self._outputs):
            for t in group.values():
                t.release()
            group.clear()
        self._last_output.clear()
        if self._own_ctx:
            self.ctx.release()
