"""The desktop fallback of the scouting viewer (`vpbridge view ENDPOINT`): the server's scene rendered
locally (see `local_scene`) in a window with a fly camera, or headless as a tour written to PNGs.

`FlyCamera` and `DesktopViewer` know nothing about windows: keys arrive as names ("w", "shift", "1",
"t", "escape", ...), so both are tested without a display. `run_window` adapts GLFW to them;
`run_headless` renders an automatic tour. Nothing here imports GLFW or GL at import time.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bridge.errors import ConfigError, RemoteError, SceneError, TransportError
from bridge.render.source import RenderResult, View, fov_from_vertical
from bridge.studio import PARAMS
from bridge.world.scene import Bookmark
from vpbridge_xr.local_scene import LocalScene

__all__ = [
    "CONTROLS",
    "DesktopViewer",
    "FlyCamera",
    "FrameRecord",
    "Tour",
    "display_available",
    "open_window",
    "require_window",
    "run_headless",
    "run_window",
    "tour_poses",
]

CONTROLS: tuple[tuple[str, str], ...] = (
    ("W / S (or ↑ / ↓)", "fly forward / back along the view"),
    ("A / D (or ← / →)", "strafe left / right"),
    ("Q / E", "down / up"),
    ("Shift (held)", "4× faster"),
    ("drag with a mouse button", "look around (no roll)"),
    ("1 … 9", "jump to bookmark 1 … 9 (the scene's, then shared ones)"),
    ("T / G", "time of day +0.5 h / −0.5 h (for everyone as director, else on this screen only)"),
    ("0", "drop local-only changes: back to the server's parameters"),
    ("H", "print the controls and bookmarks"),
    ("Esc", "quit"),
)
"""(keys, action) for the help text and docs/clients/desktop.md."""

TIME_STEP_H = 0.5
Tours = Literal["walk", "pan", "still"]


def _hhmm(hours: float) -> str:
    minutes = int(round((hours % 24.0) * 60.0)) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- the camera ------------------------------------------------------------------------------------


@dataclass
class FlyCamera:
    """A free-flying camera without roll: yaw about +Y (0 = looking down −Z, positive turns left),
    pitch up/down (clamped to ±89°). Keys are held by name; `update(dt)` moves by what is held."""

    position: np.ndarray
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    fov_y_deg: float = 60.0
    speed_mps: float = 2.5
    fast_factor: float = 4.0
    look_deg_per_px: float = 0.15
    held: set[str] = field(default_factory=set)

    MOVES = {
        **{"w": "w", "s": "s", "a": "a", "d": "d", "q": "q", "e": "e", "shift": "shift"},
        **{"up": "w", "down": "s", "left": "a", "right": "d"},
    }
    """Key name → the movement it holds (arrows alias WASD)."""
    MAX_DT = 0.25
    """A stalled frame moves at most this many seconds' worth."""

    @classmethod
    def from_pose(cls, T_world_camera: np.ndarray, fov_y_deg: float = 60.0, **kw: Any) -> FlyCamera:
        cam = cls(np.zeros(3), fov_y_deg=fov_y_deg, **kw)
        cam.set_pose(T_world_camera)
        return cam

    def set_pose(self, T_world_camera: np.ndarray) -> None:
        """Take position and view direction from a pose; any roll is dropped."""
        T = np.asarray(T_world_camera, np.float64).reshape(4, 4)
        f = -T[:3, 2] / (np.linalg.norm(T[:3, 2]) or 1.0)
        self.position = T[:3, 3].copy()
        self.pitch_deg = math.degrees(math.asin(max(-1.0, min(1.0, float(f[1])))))
        self.pitch_deg = max(-89.0, min(89.0, self.pitch_deg))
        if math.hypot(f[0], f[2]) > 1e-9:
            self.yaw_deg = math.degrees(math.atan2(-f[0], -f[2]))
        else:  # looking straight up or down: the camera's up vector gives the heading
            u = T[:3, 1] * (1.0 if f[1] < 0 else -1.0)
            self.yaw_deg = math.degrees(math.atan2(-u[0], -u[2]))

    def forward(self) -> np.ndarray:
        y, p = math.radians(self.yaw_deg), math.radians(self.pitch_deg)
        return np.array([-math.sin(y) * math.cos(p), math.sin(p), -math.cos(y) * math.cos(p)])

    def right(self) -> np.ndarray:
        y = math.radians(self.yaw_deg)
        return np.array([math.cos(y), 0.0, -math.sin(y)])

    def pose(self) -> np.ndarray:
        """T_world_camera (OpenGL convention: −Z forward, +Y up), float64."""
        f, r = self.forward(), self.right()
        T = np.eye(4)
        T[:3, 0], T[:3, 1], T[:3, 2], T[:3, 3] = r, np.cross(r, f), -f, self.position
        return T

    def press(self, key: str) -> bool:
        """Hold a movement key (w a s d q e shift, arrows); False for keys that do not move."""
        move = self.MOVES.get(key)
        if move is None:
            return False
        self.held.add(move)
        return True

    def release(self, key: str) -> None:
        move = self.MOVES.get(key)
        if move is not None:
            self.held.discard(move)

    def release_all(self) -> None:
        self.held.clear()

    def look(self, dx_px: float, dy_px: float) -> None:
        """Mouse motion in window pixels (x right, y down): right turns right, down looks down."""
        self.yaw_deg = (self.yaw_deg - dx_px * self.look_deg_per_px + 180.0) % 360.0 - 180.0
        self.pitch_deg = max(-89.0, min(89.0, self.pitch_deg - dy_px * self.look_deg_per_px))

    def velocity(self) -> np.ndarray:
        """Metres per second from the held keys."""
        h = self.held
        d = (
            self.forward() * (("w" in h) - ("s" in h))
            + self.right() * (("d" in h) - ("a" in h))
            + np.array([0.0, 1.0, 0.0]) * (("e" in h) - ("q" in h))
        )
        n = float(np.linalg.norm(d))
        if n < 1e-9:
            return np.zeros(3)
        return np.asarray(d / n * self.speed_mps * (self.fast_factor if "shift" in h else 1.0))

    def update(self, dt: float) -> bool:
        """Move by the held keys for `dt` seconds; True when the camera moved."""
        v = self.velocity()
        if not v.any() or dt <= 0.0:
            return False
        self.position = self.position + v * min(dt, self.MAX_DT)
        return True


# -- the viewer ------------------------------------------------------------------------------------


@dataclass
class FrameRecord:
    """What one rendered frame used (written to view.json in headless mode)."""

    index: int
    T_world_camera: np.ndarray
    fov_y_deg: float
    width: int
    height: int
    params: dict[str, Any]
    render_ms: float
    scene_version: int
    state_seq: int
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        fov = fov_from_vertical(math.radians(self.fov_y_deg), self.width, self.height)
        T = self.T_world_camera
        f = -T[:3, 2]
        return {
            "index": self.index,
            "file": f"frame_{self.index:04d}.png",
            "T_world_camera": [[float(x) for x in row] for row in T],
            "position": [float(x) for x in T[:3, 3]],
            "yaw_deg": math.degrees(math.atan2(-f[0], -f[2])),
            "pitch_deg": math.degrees(math.asin(max(-1.0, min(1.0, float(f[1]))))),
            "fov_y_deg": self.fov_y_deg,
            "fov": {"left": fov.left, "right": fov.right, "up": fov.up, "down": fov.down},
            "params": self.params,
            "render_ms": round(self.render_ms, 3),
            "scene_version": self.scene_version,
            "state_seq": self.state_seq,
            "at": self.label,
        }


def _studio_params(params: Mapping[str, object]) -> dict[str, Any]:
    """The studio parameters among the render parameters (what a frame's look depends on)."""
    return {k: params[k] for k in PARAMS if k in params}


class DesktopViewer:
    """Local-mode viewing state: the scene, a renderer, the fly camera, live parameters and local
    overrides. Drive it with `key_down`/`key_up`/`look`/`update` and `render`; `messages` collects what
    it told the user (also passed to `say`, print by default)."""

    def __init__(
        self,
        client: Any,
        local: LocalScene,
        *,
        fov_y_deg: float | None = None,
        bookmark: str | None = None,
        ctx: Any = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        from bridge.render.renderer import SceneRenderer

        self.client = client
        self.local = local
        self.fov_override = fov_y_deg
        self.overrides: dict[str, object] = {}
        """Local-only parameter changes (time of day for a viewer), on top of the server's."""
        self.messages: list[str] = []
        self._say = say or (lambda text: print(f"view: {text}", flush=True))
        self.quit = False
        self.renderer = SceneRenderer(local.scene, ctx)
        self.scene_switches = 0
        start = self._find_bookmark(bookmark) if bookmark else local.spawn()
        self.at = start.name
        self.camera = FlyCamera.from_pose(start.T_world_camera, self.fov_for(start))

    # -- helpers --

    @property
    def role(self) -> str:
        welcome = getattr(self.client, "welcome", None)
        return str(getattr(welcome, "role", "viewer"))

    def say(self, text: str) -> None:
        self.messages.append(text)
        self._say(text)

    def fov_for(self, b: Bookmark) -> float:
        return float(self.fov_override if self.fov_override is not None else b.fov_y_deg)

    def bookmarks(self) -> list[Bookmark]:
        return self.local.bookmarks(self.client)

    def _find_bookmark(self, name: str) -> Bookmark:
        for b in self.bookmarks():
            if b.name == name:
                return b
        names = ", ".join(b.name for b in self.bookmarks()) or "none"
        raise ConfigError(
            f"`--bookmark` {name!r} is not a bookmark of scene {self.local.scene.name!r}; it has: {names}"
        )

    def params(self) -> dict[str, object]:
        """The render parameters of the next frame: the server's live ones, then local overrides."""
        return self.local.params(self.client, self.overrides)

    def jump(self, b: Bookmark) -> None:
        self.camera.set_pose(b.T_world_camera)
        self.camera.fov_y_deg = self.fov_for(b)
        self.at = b.name

    # -- input --

    def key_down(self, key: str) -> None:
        """A key was pressed (names: letters, digits, "shift", "escape", "up", ...)."""
        key = key.lower()
        if self.camera.press(key):
            self.at = ""
            return
        if key in "123456789" and len(key) == 1:
            marks = self.bookmarks()
            i = int(key) - 1
            if i < len(marks):
                self.jump(marks[i])
                self.say(
                    f"bookmark {key}: {marks[i].name}"
                    + (f" ({marks[i].description})" if marks[i].description else "")
                )
            else:
                self.say(f"no bookmark {key}: the scene has {len(marks)}")
        elif key in ("t", "g"):
            self.step_time(TIME_STEP_H if key == "t" else -TIME_STEP_H)
        elif key == "0":
            if self.overrides:
                self.overrides.clear()
                self.say("local changes dropped: showing the server's parameters")
        elif key == "h":
            self.say(self.help_text())
        elif key == "escape":
            self.quit = True

    def key_up(self, key: str) -> None:
        self.camera.release(key.lower())

    def look(self, dx_px: float, dy_px: float) -> None:
        self.camera.look(dx_px, dy_px)
        if dx_px or dy_px:
            self.at = ""

    def update(self, dt: float) -> bool:
        moved = self.camera.update(dt)
        if moved:
            self.at = ""
        return moved

    def step_time(self, hours: float) -> None:
        """Move the time of day: on the server when this session may (director), else locally."""
        now = self.params().get("time_of_day", 14.0)
        current = float(now) if isinstance(now, (int, float)) and not isinstance(now, bool) else 14.0
        new = round((current + hours) % 24.0, 6)
        if self.role == "director":
            try:
                self.client.set_params({"time_of_day": new}, message="vpbridge view: time of day")
            except RemoteError as exc:
                self.overrides["time_of_day"] = new
                self.say(f"time of day {_hhmm(new)} on this screen only: the server refused ({exc.code})")
            else:
                self.overrides.pop("time_of_day", None)
                self.say(f"time of day {_hhmm(new)} (sent to the server)")
            return
        self.overrides["time_of_day"] = new
        self.say(
            f"time of day {_hhmm(new)} on this screen only: a {self.role} cannot change the server's "
            "parameters (connect with --role director to change them for everyone; 0 drops local changes)"
        )

    def help_text(self) -> str:
        rows = [f"  {k:<26} {v}" for k, v in CONTROLS]
        marks = [f"  {i + 1}: {b.name}" for i, b in enumerate(self.bookmarks()[:9])]
        return "controls:\n" + "\n".join(rows) + "\nbookmarks:\n" + ("\n".join(marks) or "  (none)")

    # -- scene and frames --

    def sync_scene(self) -> bool:
        """Re-fetch the scene after a live switch on the server; True when it switched (the camera goes
        to the new scene's spawn)."""
        if not self.local.scene_changed(self.client):
            return False
        try:
            local = LocalScene.fetch(self.client)
        except (RemoteError, SceneError, TransportError) as exc:
            self.say(f"the server switched scenes but fetching the new one failed ({exc}); keeping the old")
            self.local.acknowledge(self.client)
            return False
        self.local = local
        self.renderer.set_scene(local.scene)
        self.scene_switches += 1
        self.jump(local.spawn())
        self.say(
            f"scene switched to {local.scene.name} v{local.version} ({local.glb_bytes / 1e6:.1f} MB in {local.fetch_s:.2f} s)"
        )
        return True

    def render(
        self, width: int, height: int, *, readback: bool = True, index: int = 0
    ) -> tuple[RenderResult, FrameRecord]:
        """Render the camera's view at `width`×`height` with the live parameters. With `readback=False`
        the frame stays on the GPU (`renderer.output_textures((width, height))`)."""
        params = self.params()
        T = self.camera.pose()
        fov = fov_from_vertical(math.radians(self.camera.fov_y_deg), width, height)
        job = self.local.job([View(T, fov)], width, height, params)
        t0 = time.perf_counter()
        result = self.renderer.render(job, readback=readback)
        ms = (time.perf_counter() - t0) * 1e3
        inner = getattr(self.client, "inner", self.client)
        record = FrameRecord(
            index, T, self.camera.fov_y_deg, width, height, _studio_params(params), ms,
            self.local.version, int(getattr(inner, "state_seq", -1)), self.at,
        )  # fmt: skip
        return result, record

    def close(self) -> None:
        self.renderer.close()


# -- headless tours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tour:
    """One pose of an automatic tour."""

    position: np.ndarray
    yaw_deg: float
    pitch_deg: float
    fov_y_deg: float
    label: str


def _smooth(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


def tour_poses(
    start: Bookmark,
    bookmarks: list[Bookmark],
    frames: int,
    kind: Tours = "walk",
    fov_y_deg: float | None = None,
) -> list[Tour]:
    """`frames` poses: "walk" glides from `start` through the other bookmarks, easing in and out at
    each (every bookmark is a frame when frames − 1 is a multiple of bookmarks − 1); "pan" turns once around in place at
    `start`; "still" holds `start` (a time-lapse of live parameter changes). A walk with no other
    bookmark pans."""

    def fov(b: Bookmark) -> float:
        return float(fov_y_deg if fov_y_deg is not None else b.fov_y_deg)

    cams = [
        (b, FlyCamera.from_pose(b.T_world_camera, fov(b)))
        for b in [start, *[b for b in bookmarks if b.name != start.name]]
    ]
    c0 = cams[0][1]
    if kind == "walk" and len(cams) == 1:
        kind = "pan"
    out: list[Tour] = []
    for i in range(frames):
        if kind == "still" or frames == 1:
            out.append(Tour(c0.position.copy(), c0.yaw_deg, c0.pitch_deg, c0.fov_y_deg, start.name))
        elif kind == "pan":
            yaw = (c0.yaw_deg + 360.0 * i / frames + 180.0) % 360.0 - 180.0
            out.append(
                Tour(c0.position.copy(), yaw, c0.pitch_deg, c0.fov_y_deg, start.name if i == 0 else "")
            )
        else:
            u = i * (len(cams) - 1) / (frames - 1)
            k = min(int(u), len(cams) - 2)
            t = u - k
            (ba, a), (bb, b) = cams[k], cams[k + 1]
            s = _smooth(t)
            dyaw = (b.yaw_deg - a.yaw_deg + 180.0) % 360.0 - 180.0
            label = ba.name if t < 1e-9 else bb.name if t > 1 - 1e-9 else ""
            out.append(
                Tour(
                    a.position + (b.position - a.position) * s,
                    (a.yaw_deg + dyaw * s + 180.0) % 360.0 - 180.0,
                    a.pitch_deg + (b.pitch_deg - a.pitch_deg) * s,
                    a.fov_y_deg + (b.fov_y_deg - a.fov_y_deg) * s,
                    label,
                )
            )
    return out


def run_headless(
    viewer: DesktopViewer,
    frames: int,
    out_dir: Path,
    width: int,
    height: int,
    *,
    tour: Tours = "walk",
    interval_s: float = 0.0,
    endpoint: str = "",
) -> dict[str, Any]:
    """Render `frames` tour frames to `out_dir/frame_NNNN.png` and `out_dir/view.json`, following live
    parameter changes and scene switches between frames. Returns the summary written to view.json."""
    from PIL import Image

    if frames < 1:
        raise ConfigError(f"`--frames` must be at least 1, got {frames}")
    out_dir.mkdir(parents=True, exist_ok=True)

    def plan(n: int) -> list[Tour]:
        start = (
            viewer.local.spawn()
            if not viewer.at
            else next((b for b in viewer.bookmarks() if b.name == viewer.at), viewer.local.spawn())
        )
        return tour_poses(start, viewer.bookmarks(), n, tour, viewer.fov_override)

    poses, first = plan(frames), 0
    records: list[FrameRecord] = []
    changes, last_params = 0, None
    summary: dict[str, Any] = {}
    next_t = time.monotonic()
    try:
        for i in range(frames):
            if interval_s > 0:
                time.sleep(max(0.0, next_t - time.monotonic()))
                next_t = max(next_t + interval_s, time.monotonic())
            if viewer.sync_scene():
                poses, first = plan(frames - i), i
            p = poses[i - first]
            cam = viewer.camera
            cam.position, cam.yaw_deg, cam.pitch_deg, cam.fov_y_deg = (
                p.position,
                p.yaw_deg,
                p.pitch_deg,
                p.fov_y_deg,
            )
            viewer.at = p.label
            result, record = viewer.render(width, height, index=i)
            color = result.views[0].color
            assert color is not None
            Image.fromarray(np.ascontiguousarray(color[..., :3])).save(out_dir / f"frame_{i:04d}.png")
            if last_params is not None and record.params != last_params:
                changes += 1
            last_params = record.params
            records.append(record)
    finally:
        ms = [r.render_ms for r in records]
        scene = viewer.local
        summary = {
            "endpoint": endpoint,
            "scene": {
                "name": scene.scene.name,
                "version": scene.version,
                "sha256": scene.sha256,
                "glb_bytes": scene.glb_bytes,
                "triangles": scene.scene.triangle_count,
                "fetch_s": round(scene.fetch_s, 3),
                "notes": scene.notes,
            },
            "size": [width, height],
            "tour": tour,
            "frames": [r.to_json() for r in records],
            "render_ms_p50": round(statistics.median(ms), 3) if ms else None,
            "render_ms_max": round(max(ms), 3) if ms else None,
            "param_changes": changes,
            "scene_switches": viewer.scene_switches,
            "messages": viewer.messages,
        }
        tmp = out_dir / "view.json.tmp"
        tmp.write_text(json.dumps(summary, indent=1))
        tmp.replace(out_dir / "view.json")
    return summary


# -- the window --------------------------------------------------------------------------------------


def display_available(env: Mapping[str, str] | None = None) -> bool:
    """Whether a desktop session is there to open a window on (X11 or Wayland)."""
    e = os.environ if env is None else env
    return bool(e.get("DISPLAY") or e.get("WAYLAND_DISPLAY"))


_HEADLESS_HINT = "run with --headless --frames N --out DIR to render a tour to PNG files instead"


def require_window(env: Mapping[str, str] | None = None) -> Any:
    """The `glfw` module, or ConfigError saying why no window can open (and to use --headless)."""
    if not display_available(env):
        raise ConfigError(
            f"no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); {_HEADLESS_HINT}"
        )
    try:
        import glfw  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ConfigError(
            f"the viewer window needs the `glfw` package (pip install 'vpbridge[xr]' or pip install glfw); {_HEADLESS_HINT}"
        ) from None
    return glfw


def _glfw_keys(glfw: Any) -> dict[int, str]:
    keys = {getattr(glfw, f"KEY_{c}"): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    keys.update({getattr(glfw, f"KEY_{d}"): d for d in "0123456789"})
    keys.update({getattr(glfw, f"KEY_KP_{d}"): d for d in "0123456789"})
    keys.update(
        {
            glfw.KEY_LEFT_SHIFT: "shift",
            glfw.KEY_RIGHT_SHIFT: "shift",
            glfw.KEY_ESCAPE: "escape",
            glfw.KEY_UP: "up",
            glfw.KEY_DOWN: "down",
            glfw.KEY_LEFT: "left",
            glfw.KEY_RIGHT: "right",
        }
    )
    return keys


def open_window(glfw: Any, width: int, height: int, title: str) -> tuple[Any, Any]:
    """A GLFW window with a GL 3.3 core context made current, and its moderngl context."""
    import moderngl

    if not glfw.init():
        raise ConfigError(
            f"cannot open a window: GLFW failed to initialise on this display; {_HEADLESS_HINT}"
        )
    for hint, value in (
        (glfw.CONTEXT_VERSION_MAJOR, 3),
        (glfw.CONTEXT_VERSION_MINOR, 3),
        (glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE),
        (glfw.OPENGL_FORWARD_COMPAT, True),
    ):
        glfw.window_hint(hint, value)
    window = glfw.create_window(width, height, title, None, None)
    if not window:
        glfw.terminate()
        raise ConfigError(
            f"cannot open a {width}x{height} window with OpenGL 3.3 on this display; {_HEADLESS_HINT}"
        )
    glfw.make_context_current(window)
    glfw.swap_interval(1)
    return window, moderngl.create_context()


_BLIT_VS = """#version 330
out vec2 v_uv;
void main() {
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""
_BLIT_FS = """#version 330
uniform sampler2D u_color;
in vec2 v_uv;
out vec4 f_color;
void main() {
    // the renderer's output has row 0 at the top; the window's row 0 is at the bottom
    f_color = vec4(texture(u_color, vec2(v_uv.x, 1.0 - v_uv.y)).rgb, 1.0);
}
"""


class _Blitter:
    """Draws the renderer's output texture (sRGB-encoded, top row first) over the whole window."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.prog = ctx.program(vertex_shader=_BLIT_VS, fragment_shader=_BLIT_FS)
        self.vao = ctx.vertex_array(self.prog, [])

    def draw(self, texture: Any, width: int, height: int, target: Any = None) -> None:
        import moderngl

        fbo = target if target is not None else self.ctx.screen
        fbo.use()
        fbo.viewport = (0, 0, width, height)
        self.ctx.disable(moderngl.DEPTH_TEST)
        texture.use(0)
        self.prog["u_color"].value = 0
        self.vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        self.vao.release()
        self.prog.release()


def run_window(
    viewer: DesktopViewer, glfw: Any, window: Any, ctx: Any, *, settle_s: float = 0.2, target: Any = None
) -> int:
    """The interactive loop. Renders only when something changed (camera, parameters, size, scene),
    at the window's framebuffer size once a resize settles, and draws into `target` (default: the
    window's framebuffer). Returns the frames rendered."""
    keymap = _glfw_keys(glfw)
    state: dict[str, Any] = {"mouse": None, "buttons": 0, "dirty": True}

    def on_key(_w: Any, key: int, _scancode: int, action: int, _mods: int) -> None:
        name = keymap.get(key)
        if name is None:
            return
        if action == glfw.PRESS:
            viewer.key_down(name)
        elif action == glfw.RELEASE:
            viewer.key_up(name)

    def on_button(_w: Any, _button: int, action: int, _mods: int) -> None:
        state["buttons"] = max(0, state["buttons"] + (1 if action == glfw.PRESS else -1))
        state["mouse"] = glfw.get_cursor_pos(window)

    def on_cursor(_w: Any, x: float, y: float) -> None:
        last = state["mouse"]
        state["mouse"] = (x, y)
        if state["buttons"] and last is not None:
            viewer.look(x - last[0], y - last[1])

    def on_focus(_w: Any, focused: int) -> None:
        if not focused:  # keys released while away never arrive
            viewer.camera.release_all()
            state["buttons"] = 0

    glfw.set_key_callback(window, on_key)
    glfw.set_mouse_button_callback(window, on_button)
    glfw.set_cursor_pos_callback(window, on_cursor)
    glfw.set_window_focus_callback(window, on_focus)
    glfw.set_window_refresh_callback(window, lambda _w: state.update(dirty=True))
    viewer.say("window open; press H for the controls")
    blit = _Blitter(ctx)
    frames, last_key = 0, None
    drawn_size: tuple[int, int] | None = None
    size_seen, size_since = glfw.get_framebuffer_size(window), time.monotonic()
    t_prev, t_title, fps = time.monotonic(), 0.0, 0.0
    try:
        while not glfw.window_should_close(window) and not viewer.quit:
            moving = bool(viewer.camera.held) or state["buttons"]
            if moving:
                glfw.poll_events()
            else:
                glfw.wait_events_timeout(0.05)  # idle: no busy loop on a shared machine
            now = time.monotonic()
            viewer.update(now - t_prev)
            t_prev = now
            viewer.sync_scene()
            size = glfw.get_framebuffer_size(window)
            if size != size_seen:
                size_seen, size_since, state["dirty"] = size, now, True
            if size[0] < 1 or size[1] < 1:
                continue  # minimised
            render_size = (int(size[0]), int(size[1]))
            if drawn_size is not None and now - size_since < settle_s:
                render_size = drawn_size  # resizing: stretch the last frame until the size settles
            params = viewer.params()
            key = (
                viewer.camera.pose().tobytes(),
                viewer.camera.fov_y_deg,
                repr(sorted(_studio_params(params).items())),
                render_size,
                viewer.local.version,
            )
            if key != last_key:
                t0 = time.perf_counter()
                viewer.render(*render_size, readback=False, index=frames)
                fps = 1.0 / max(time.perf_counter() - t0, 1e-6)
                frames, last_key, drawn_size, state["dirty"] = frames + 1, key, render_size, True
            if state["dirty"] and drawn_size is not None:  # draw only on change: idle costs nothing
                color, _ = viewer.renderer.output_textures(drawn_size)
                blit.draw(color, int(size[0]), int(size[1]), target=target)
                glfw.swap_buffers(window)
                state["dirty"] = False
            if now - t_title > 0.25:
                t_title = now
                tod = params.get("time_of_day")
                parts = [f"vpbridge view: {viewer.local.scene.name} v{viewer.local.version}"]
                parts += [viewer.at] if viewer.at else []
                parts += [_hhmm(float(tod))] if isinstance(tod, (int, float)) else []
                parts += [
                    f"{fps:.0f} fps",
                    viewer.messages[-1].splitlines()[0] if viewer.messages else "H: help",
                ]
                glfw.set_window_title(window, " | ".join(parts))
    except KeyboardInterrupt:  # Ctrl-C in the terminal closes the window like Esc
        viewer.say("interrupted")
    finally:
        blit.release()
    return frames
