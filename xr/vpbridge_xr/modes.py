"""What fills the eyes each frame: the three viewer modes.

- `LocalMode` (default in a headset): the environment fetched once with `get_scene`, rendered here by
  the project's renderer for each eye at the runtime's recommended size, with the eye's asymmetric
  FOV and the pose predicted for display; live parameters (time of day, look, exposure) from the
  state plane, so the headset follows what the director sets.
- `StreamMode` (thin clients): frames rendered by the server for the predicted head pose (both eyes
  in one request), submitted with the pose and FOV they were rendered for so the runtime reprojects
  them to the head's pose at display; with `reproject="viewer"` the viewer reprojects the newest
  frame by rotation itself (for runtimes that do not). Depth goes to the depth layer.
- `HoloMode`: a 360° review — an equirectangular (stereo, top-bottom per eye) render made by the server
  around a chosen point and shown around the viewer; re-requested when a live parameter changes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import moderngl
import numpy as np

from bridge.protocol import messages as m
from bridge.render.source import FovAngles, RenderJob, View
from vpbridge_xr.compositor import Compositor
from vpbridge_xr.session import FrameInfo

__all__ = ["HoloMode", "LocalMode", "Mode", "StreamMode", "Timings"]


@dataclass
class Timings:
    """Per-frame stage times in ms, appended by the modes (for the summary and bench/xr.py)."""

    rows: list[dict[str, float]] = field(default_factory=list)

    def add(self, **stages: float) -> None:
        self.rows.append(stages)

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        keys = {k for r in self.rows for k in r}
        for k in sorted(keys):
            vals = np.array([r[k] for r in self.rows if k in r])
            out[k] = {
                "mean": float(vals.mean()),
                "p50": float(np.median(vals)),
                "p95": float(np.percentile(vals, 95)),
                "n": len(vals),
            }
        return out


class Mode(Protocol):
    name: str

    def render(self, frame: FrameInfo, params: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class LocalMode:
    """Renders the fetched scene for each eye on this machine."""

    name = "local"

    def __init__(
        self, ctx: moderngl.Context, renderer: Any, compositor: Compositor, timings: Timings
    ) -> None:
        self.ctx = ctx
        self.renderer = renderer
        """A `bridge.render.renderer.SceneRenderer` on `ctx`."""
        self.compositor = compositor
        self.timings = timings

    def render(self, frame: FrameInfo, params: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        for view, target, (w, h) in zip(frame.views, frame.targets, frame.sizes, strict=True):
            job = RenderJob(
                views=[View(view.T_world_eye, view.fov)],
                width=w,
                height=h,
                near=frame.near,
                far=frame.far,
                params=params,
            )
            self.renderer.render(job, readback=False)
            color, depth = self.renderer.output_textures((w, h))
            self.compositor.blit(target, color, depth, frame.near, frame.far)
        self.timings.add(render_ms=(time.perf_counter() - t0) * 1e3)

    def close(self) -> None:
        pass


def _fov_msg(f: FovAngles) -> m.Fov:
    def clamp(a: float) -> float:
        return max(-1.57, min(1.57, float(a)))

    return m.Fov(left=clamp(f.left), right=clamp(f.right), up=clamp(f.up), down=clamp(f.down))


def _mat4(T: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(T, np.float64).reshape(-1))


class _EyeTextures:
    """Textures holding the newest frame of one eye (colour RGBA8, depth R32F metres)."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.color: moderngl.Texture | None = None
        self.depth: moderngl.Texture | None = None

    def upload(self, color: np.ndarray, depth: np.ndarray | None) -> None:
        h, w = color.shape[:2]
        if self.color is None or tuple(self.color.size) != (w, h):
            for t in (self.color, self.depth):
                if t is not None:
                    t.release()
            self.color = self.ctx.texture((w, h), 4)
            self.color.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self.depth = self.ctx.texture((w, h), 1, dtype="f4")
            self.depth.filter = (moderngl.NEAREST, moderngl.NEAREST)
        rgba = color if color.shape[2] == 4 else np.dstack([color, np.full((h, w), 255, np.uint8)])
        self.color.write(np.ascontiguousarray(rgba))
        if depth is not None and self.depth is not None:
            self.depth.write(np.ascontiguousarray(depth, np.float32))

    def release(self) -> None:
        for t in (self.color, self.depth):
            if t is not None:
                t.release()


class StreamMode:
    """Shows server-rendered frames for the predicted head pose."""

    name = "stream"

    def __init__(
        self,
        ctx: moderngl.Context,
        client: Any,
        compositor: Compositor,
        timings: Timings,
        sizes: list[tuple[int, int]],
        *,
        reproject: str = "runtime",
        credits: int = 1,
        scale: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.compositor = compositor
        self.timings = timings
        self.reproject = reproject
        w, h = sizes[0]
        self.size = (max(16, round(w * scale)), max(16, round(h * scale)))
        self.stream = client.open_stream(
            width=self.size[0], height=self.size[1], projection="stereo", color="rgba8", depth="f16"
        )
        self.stream.grant(credits)
        self.eyes = [_EyeTextures(ctx), _EyeTextures(ctx)]
        self.frame: Any = None
        self.frames_received = 0
        self._t_pose_sampled: dict[int, int] = {}

    def _request(self, frame: FrameInfo) -> None:
        eyes = [m.EyeView(T_world_camera=_mat4(v.T_world_eye), fov=_fov_msg(v.fov)) for v in frame.views]
        pid = self.stream.request(frame.views[0].T_world_eye, eyes=eyes, near=frame.near, far=frame.far)
        self._t_pose_sampled[pid] = frame.t_wait_ns
        if len(self._t_pose_sampled) > 64:
            for k in sorted(self._t_pose_sampled)[:-32]:
                del self._t_pose_sampled[k]

    def _receive(self) -> Any:
        newest = None
        while True:
            try:
                f = self.stream.next_frame(timeout=0.0)
            except Exception:  # Timeout: nothing waiting
                break
            newest = f
            self.frames_received += 1
            self.stream.grant(1)
        return newest

    def render(self, frame: FrameInfo, params: dict[str, Any]) -> None:
        t0 = time.perf_counter_ns()
        self._request(frame)
        new = self._receive()
        if new is None and self.frame is None:
            # Nothing yet: wait a little for the very first frame rather than show black.
            try:
                new = self.stream.next_frame(timeout=2.0)
                self.frames_received += 1
                self.stream.grant(1)
            except Exception:
                new = None
        t_recv = time.perf_counter_ns()
        if new is not None:
            for tex, v in zip(self.eyes, new.views, strict=False):
                tex.upload(v.color, v.depth)
            self.frame = new
        if self.frame is None:
            for target in frame.targets:
                target.use()
                target.fbo.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
            return
        hdr = self.frame.header
        near, far = float(hdr.near), float(hdr.far)
        frame.near, frame.far = near, far
        infos = hdr.views if len(hdr.views) >= 2 else [hdr.views[0], hdr.views[0]]
        submit = []
        for i, (tex, target, view) in enumerate(zip(self.eyes, frame.targets, frame.views, strict=True)):
            vi = infos[i]
            T_src = np.array(vi.T_world_camera, np.float64).reshape(4, 4)
            src_fov = FovAngles(vi.fov.left, vi.fov.right, vi.fov.up, vi.fov.down)
            assert tex.color is not None
            if self.reproject == "viewer":
                self.compositor.reproject(
                    target,
                    tex.color,
                    tex.depth,
                    T_world_src=T_src,
                    src_fov=src_fov,
                    T_world_eye=view.T_world_eye,
                    fov=view.fov,
                    near=near,
                    far=far,
                )
            else:
                self.compositor.blit(target, tex.color, tex.depth, near, far)
                submit.append((T_src, src_fov))
        if submit:
            frame.submit_views = submit
        t1 = time.perf_counter_ns()
        row = {"compose_ms": (t1 - t_recv) / 1e6, "viewer_ms": (t1 - t0) / 1e6}
        if new is not None:
            lat = new.latency_ms()
            t_sampled = self._t_pose_sampled.get(new.pose_id)
            row.update({f"server_{k}": float(v) for k, v in lat.items() if isinstance(v, int | float)})
            if t_sampled is not None:
                row["pose_to_submit_ms"] = (time.monotonic_ns() - t_sampled) / 1e6
        self.timings.add(**row)

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:
            pass
        for e in self.eyes:
            e.release()


class HoloMode:
    """A 360° stereo panorama around a point, shown around the viewer (rotation only)."""

    name = "holo"

    def __init__(
        self,
        ctx: moderngl.Context,
        client: Any,
        compositor: Compositor,
        timings: Timings,
        *,
        centre: np.ndarray,
        width: int = 2048,
        stereo: bool = True,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.compositor = compositor
        self.timings = timings
        self.centre = np.asarray(centre, np.float64)
        self.width = int(width)
        self.stereo = stereo
        self.stream = client.open_stream(
            width=self.width,
            height=self.width // 2,
            projection="equirect_stereo" if stereo else "equirect",
            color="rgba8",
            depth="none",
        )
        self.textures: list[moderngl.Texture] = []
        self.params_key: Any = None
        self.R_world_pano = np.eye(3)

    def refresh(self, params: dict[str, Any]) -> None:
        """Ask the server for the panorama (again, after a live parameter change)."""
        T = np.eye(4)
        T[:3, 3] = self.centre
        t0 = time.perf_counter()
        frame = self.stream.render(T, timeout=60.0)
        for t in self.textures:
            t.release()
        self.textures = []
        for v in frame.views:
            h, w = v.color.shape[:2]
            tex = self.ctx.texture((w, h), 4, np.ascontiguousarray(v.color).tobytes())
            tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            tex.repeat_x, tex.repeat_y = True, False
            self.textures.append(tex)
        self.R_world_pano = np.array(frame.header.views[0].T_world_camera, np.float64).reshape(4, 4)[:3, :3]
        self.timings.add(panorama_ms=(time.perf_counter() - t0) * 1e3)
        self.params_key = _params_key(params)

    def render(self, frame: FrameInfo, params: dict[str, Any]) -> None:
        if not self.textures or _params_key(params) != self.params_key:
            self.refresh(params)
        for i, (target, view) in enumerate(zip(frame.targets, frame.views, strict=True)):
            tex = self.textures[min(i, len(self.textures) - 1)]
            self.compositor.panorama(
                target, tex, R_world_pano=self.R_world_pano, T_world_eye=view.T_world_eye, fov=view.fov
            )

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:
            pass
        for t in self.textures:
            t.release()


def _params_key(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(
        sorted(
            (k, v if not isinstance(v, list) else tuple(v))
            for k, v in params.items()
            if not k.startswith(("camera.", "bookmark."))
        )
    )


def fov_y_deg(fov: FovAngles) -> float:
    return math.degrees(math.atan(math.tan(fov.up)) - math.atan(math.tan(fov.down)))
