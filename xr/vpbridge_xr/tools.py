"""The scouting tools wired into the OpenXR frame loop: controller actions → rig, teleport, fly,
snap turn, measuring, viewfinder stills, bookmarks, time of day and presence; their visuals go into
the overlay pass of each eye.

The pure logic lives in `rig`, `scouting`, `lenses`, `bindings` and `presence` (tested without a
headset); this module reads the actions each frame, calls it, and sends what must reach the server
through `ServerCalls` so the frame loop never waits on the network.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import ConfigError
from bridge.protocol import messages as m
from bridge.world.scene import Scene
from vpbridge_xr import bindings as B
from vpbridge_xr.session import ActionSpec, FrameInfo

__all__ = ["Scouting", "action_specs", "bindings", "resolve_point"]

log = logging.getLogger("vpbridge.xr")

LEFT, RIGHT = B.LEFT, B.RIGHT


def action_specs() -> list[ActionSpec]:
    """The OpenXR actions to create (from `bindings.ACTIONS`), each with the hands it is bound on."""
    return [ActionSpec(a.name, a.type, a.label, B.subaction_paths(a.name) or B.HANDS) for a in B.ACTIONS]


def bindings() -> dict[str, list[tuple[str, str]]]:
    return B.suggested_bindings()


def resolve_point(spec: str | None, scene: Scene | None) -> np.ndarray:
    """A review centre from "x,y,z" or a bookmark name (default: the spawn bookmark, else 1.7 m up)."""
    if spec and "," in spec:
        try:
            x, y, z = (float(v) for v in spec.split(","))
        except ValueError:
            raise ConfigError(f"--at: expected X,Y,Z like 0,1.7,5 or a bookmark name, got {spec!r}") from None
        return np.array([x, y, z])
    if scene is not None and scene.bookmarks:
        if spec:
            for b in scene.bookmarks:
                if b.name == spec:
                    return np.asarray(b.T_world_camera, np.float64)[:3, 3].copy()
            names = ", ".join(b.name for b in scene.bookmarks)
            raise ConfigError(f"--at: no bookmark {spec!r}; the scene has: {names}")
        spawn = next((b for b in scene.bookmarks if b.kind == "spawn"), scene.bookmarks[0])
        return np.asarray(spawn.T_world_camera, np.float64)[:3, 3].copy()
    if spec:
        raise ConfigError(f"--at: the server's scene has no bookmarks, give X,Y,Z instead of {spec!r}")
    return np.array([0.0, 1.7, 0.0])


_WHITE = (0.92, 0.92, 0.92, 1.0)
_GOOD = (0.2, 0.85, 0.4, 1.0)
_BAD = (0.9, 0.25, 0.2, 1.0)
_TAPE = (1.0, 0.8, 0.1, 1.0)
_FRAME = (0.95, 0.95, 0.95, 1.0)


class Scouting:
    """Per-frame tool logic for one headset session."""

    def __init__(
        self,
        ctx: Any,
        session: Any,
        client: Any,
        calls: Any,
        scene: Scene | None,
        *,
        stills_dir: Path = Path("stills"),
    ) -> None:
        from vpbridge_xr.local_scene import shared_bookmarks
        from vpbridge_xr.overlay import Overlay, OverlayScene
        from vpbridge_xr.presence import PoseReporter, PresenceTracker
        from vpbridge_xr.rig import Rig
        from vpbridge_xr.scouting import (
            BookmarkTool,
            Flyer,
            MeasuringTool,
            SceneRays,
            SnapTurn,
            Teleporter,
            TimeOfDayDial,
            Viewfinder,
        )

        self._shared_bookmarks = shared_bookmarks
        self._OverlayScene = OverlayScene
        self.session = session
        self.client = client
        self.calls = calls
        self.scene = scene
        self.stills_dir = Path(stills_dir)
        self.overlay = Overlay(ctx)
        self.rig = Rig()
        self.modes = B.ModeCycle(B.TOUCH)
        rays = SceneRays(scene) if scene is not None and scene.colliders else None
        self.teleporter = Teleporter(rays) if rays is not None else None
        self.measuring = MeasuringTool(rays) if rays is not None else None
        self.flyer = Flyer(rays)
        self.snap = SnapTurn(30.0)
        self.viewfinder = Viewfinder()
        state = dict(client.state)
        hours = state.get("time_of_day", 14.0)
        self.dial = TimeOfDayDial(
            self._send_time, hours=float(hours) if isinstance(hours, int | float) else 14.0
        )
        self.bookmarks = BookmarkTool(list(scene.bookmarks) if scene is not None else [], self._share)
        session_id = client.welcome.session if client.welcome is not None else ""
        self.presence = PresenceTracker(session_id)
        self.reporter = PoseReporter()
        self.aim: Any = None
        self.message = ""
        self.message_until = 0.0
        self.events: list[dict[str, Any]] = []
        self._last_time: int | None = None
        self._rig_key: tuple[float, ...] | None = None
        self._frame_overlay = OverlayScene()
        self._spawned = False
        self._shared_key: tuple[str, ...] = ()
        self.stills: list[str] = []

    # -- server calls (worker thread) --------------------------------------------------------------

    def _send_time(self, hours: float) -> None:
        self.calls.submit("time of day", lambda: self.client.set_params({"time_of_day": float(hours)}))

    def _share(self, name: str, T: np.ndarray, fov_y_deg: float, note: str) -> None:
        self.calls.submit(
            f"bookmark {name}",
            lambda: self.client.save_bookmark(
                name, T, fov_y_deg=fov_y_deg, note=note or "made in the headset"
            ),
        )

    def _capture(self, still: Any, index: int) -> None:
        client = self.client
        out = self.stills_dir

        def run() -> str:
            from PIL import Image

            from bridge.render.source import FovAngles

            fov: FovAngles = still.fov
            stream = client.open_stream(width=still.width, height=still.height, depth="none")
            try:
                frame = stream.render(
                    still.T_world_camera,
                    fov=m.Fov(left=fov.left, right=fov.right, up=fov.up, down=fov.down),
                    timeout=60.0,
                )
            finally:
                stream.close()
            out.mkdir(parents=True, exist_ok=True)
            stem = out / f"still_{index:03d}_{still.lens.focal_mm:g}mm"
            Image.fromarray(np.ascontiguousarray(frame.color[..., :3])).save(stem.with_suffix(".png"))
            stem.with_suffix(".json").write_text(
                json.dumps(
                    {
                        "T_world_camera": np.asarray(still.T_world_camera).tolist(),
                        "lens": still.lens.report(),
                        "label": still.lens.label(),
                        "size": [still.width, still.height],
                        "scene_version": frame.header.scene_version,
                        "look": frame.header.look,
                    },
                    indent=2,
                )
            )
            return str(stem.with_suffix(".png"))

        self.calls.submit("still", run)

    # -- per frame -----------------------------------------------------------------------------

    def _say(self, text: str, seconds: float = 2.5) -> None:
        self.message, self.message_until = text, time.monotonic() + seconds
        self.events.append({"t": time.monotonic(), "event": text})
        log.info("%s", text)

    def _pressed(self, name: str, hand: str) -> bool:
        if not self.modes.live(name):
            return False
        on, changed = self.session.boolean(name, hand)
        return bool(on and changed)

    def _released(self, name: str, hand: str) -> bool:
        if not self.modes.live(name):
            return False
        on, changed = self.session.boolean(name, hand)
        return bool((not on) and changed)

    def _held(self, name: str, hand: str) -> bool:
        return bool(self.modes.live(name) and self.session.boolean(name, hand)[0])

    def before_render(self, frame: FrameInfo, params: dict[str, Any]) -> None:
        s = self.session
        t = frame.display_time
        dt = 0.0 if self._last_time is None else max(0.0, min(0.1, (t - self._last_time) / 1e9))
        self._last_time = t
        ov = self._OverlayScene()
        self._frame_overlay = ov
        head_stage = s.head_in_tracking(t)
        if head_stage is None:
            return
        if not self._spawned:
            self._spawned = True
            if self.scene is not None and self.scene.bookmarks:
                spawn = next((b for b in self.scene.bookmarks if b.kind == "spawn"), self.scene.bookmarks[0])
                self.rig.set_from_bookmark(spawn.T_world_camera, head_stage)
        T_head = self.rig.to_world(head_stage)
        profile = s.profile.get(RIGHT) or s.profile.get(LEFT) or ""
        if profile in B.PROFILES and profile != self.modes.scheme.profile:
            self.modes.set_profile(profile)
            self._say(f"controllers: {self.modes.scheme.title}")
        aim_r = s.pose("aim_pose", RIGHT, t)
        aim_r_world = self.rig.to_world(self._stage(aim_r)) if aim_r is not None else None
        # Tool modes.
        if self._pressed("menu", LEFT) or self._pressed("menu", RIGHT):
            self._say(f"tool: {self.modes.next().replace('_', ' ')}")
        if self._pressed("viewfinder_toggle", RIGHT) or self._pressed("viewfinder_toggle", LEFT):
            self.modes.toggle("viewfinder")
        self.viewfinder.visible = self.modes.mode == "viewfinder"
        # Locomotion.
        moved = False
        for hand in (LEFT, RIGHT):
            stick = s.vector2("fly", hand)
            if stick != (0.0, 0.0) and self.modes.live("fly"):
                v = self.flyer.velocity(stick, T_head)
                self.flyer.step(self.rig, v, dt, head_stage)
                moved = True
            if self._held("fly_toward", hand) and aim_r_world is not None:
                self.flyer.step(self.rig, self.flyer.velocity_toward(aim_r_world), dt, head_stage)
                moved = True
            if self._pressed("fly_speed", hand):
                self._say(f"fly speed: {self.flyer.next_speed()}")
        if self.modes.live("turn"):
            angle = self.snap.update(s.value("turn", RIGHT))
            if angle:
                self.rig.snap_turn(angle, head_stage)
                moved = True
        if self._pressed("turn_toward", RIGHT) and aim_r_world is not None:
            angle = self.snap.toward(T_head, -aim_r_world[:3, 2])
            if angle:
                self.rig.snap_turn(angle, head_stage)
                moved = True
        if self.teleporter is not None and aim_r_world is not None:
            origin, direction = aim_r_world[:3, 3], -aim_r_world[:3, 2]
            if self._held("teleport", RIGHT):
                self.aim = self.teleporter.aim(origin, direction)
                ov.polyline(self.aim.arc, _GOOD if self.aim.valid else _BAD)
            elif self._released("teleport", RIGHT) and self.aim is not None:
                if self.teleporter.go(self.rig, self.aim, head_stage):
                    self._say(f"teleported to {np.round(self.aim.target, 2).tolist()}")
                    s.haptic("haptic", RIGHT)
                    moved = True
                else:
                    self._say(f"can't teleport there: {self.aim.reason}")
                self.aim = None
        # Measuring.
        if self.measuring is not None and aim_r_world is not None:
            origin, direction = aim_r_world[:3, 3], -aim_r_world[:3, 2]
            if self._pressed("measure", RIGHT):
                hit = self.measuring.press(origin, direction)
                if hit is None:
                    self._say("measure: nothing under the pointer")
                else:
                    self.events.append({"event": "measure_point", "point": hit.point.tolist()})
                    if self.measuring.measurement is not None:
                        self._say(self.measuring.text())
            seg = self.measuring.segment()
            if seg is not None:
                ov.line(seg[0], seg[1], _TAPE)
            for hit in (self.measuring.a, self.measuring.b):
                if hit is not None:
                    box = np.eye(4)
                    box[:3, 3] = hit.point
                    ov.boxes.append((box, 0.03, _TAPE))
            if self.modes.mode == "measure":
                hover = self.measuring.hover(origin, direction)
                if hover is not None:
                    ov.line(origin, hover.point, _WHITE)
        # Viewfinder.
        if self.modes.live("lens_zoom"):
            lens = self.viewfinder.zoom(s.value("lens_zoom", RIGHT))
            if lens is not None:
                self._say(f"lens: {lens.label()}")
        if self._pressed("viewfinder_capture", RIGHT) or self._pressed("viewfinder_capture", LEFT):
            still = self.viewfinder.still(T_head)
            self.stills.append(still.lens.label())
            self._capture(still, len(self.stills))
            self._say(f"still: {still.lens.label()}")
        # Bookmarks.
        state = dict(self.client.state)
        shared = self._shared_bookmarks(state)
        key = tuple(b.name for b in shared)
        if key != self._shared_key:
            self._shared_key = key
            self.bookmarks.set_shared(shared)
        for name, step in (("bookmark_next", 1), ("bookmark_prev", -1)):
            if self._pressed(name, LEFT) or self._pressed(name, RIGHT):
                b = self.bookmarks.next() if step > 0 else self.bookmarks.prev()
                if b is not None:
                    self.bookmarks.jump(self.rig, head_stage, b)
                    self._say(f"bookmark: {b.name}")
                    moved = True
        if self._pressed("bookmark_create", RIGHT) or self._pressed("bookmark_create", LEFT):
            b = self.bookmarks.create(
                "scout", T_head, fov_y_deg=math.degrees(frame.views[0].fov.up - frame.views[0].fov.down)
            )
            self._say(f"bookmark shared: {b.name}")
            self.events.append({"event": "bookmark", "name": b.name})
        # Time of day.
        hours = state.get("time_of_day")
        if isinstance(hours, int | float):
            self.dial.sync(float(hours))
        axis = s.value("time_of_day", RIGHT) if self.modes.live("time_of_day") else 0.0
        if self._held("time_scrub", RIGHT) and aim_r_world is not None:
            from vpbridge_xr.scouting import tilt_axis

            axis = tilt_axis(aim_r_world)
        sent = self.dial.update(axis, dt)
        if sent is not None:
            self.events.append({"event": "time_of_day", "hours": sent})
        # Presence: others' heads; our own head reported.
        from vpbridge_xr.presence import draw_heads

        for head in draw_heads(self.presence.update(state)):
            c = (*head.color, 1.0)
            for a, b in zip(head.lines[0::2], head.lines[1::2], strict=True):
                ov.line(a, b, c)
        fields = self.reporter.report_pose(T_head, self.viewfinder.lens)
        if fields is not None:
            self.calls.submit("presence", lambda f=fields: self.client.request(m.CameraReport(rid=0, **f)))
        # Controller ray and HUD.
        if aim_r_world is not None and self.modes.mode in ("teleport", "measure") and self.aim is None:
            ov.line(aim_r_world[:3, 3], aim_r_world[:3, 3] - aim_r_world[:3, 2] * 0.5, _WHITE)
        self._hud(ov, T_head)
        if moved or self._rig_key is None:
            self._apply_rig()

    def _stage(self, T_world_space: np.ndarray) -> np.ndarray:
        """A pose located in the session's world space, taken back to the tracking (STAGE) space."""
        from vpbridge_xr.poses import matrix_from_pose

        return np.asarray(matrix_from_pose(*self.session.world_offset) @ T_world_space)

    def _apply_rig(self) -> None:
        p, q = self.rig.reference_space_pose()
        key = tuple(float(v) for v in (*p, *q))
        if key != self._rig_key:
            self._rig_key = key
            self.session.set_world_offset(tuple(p), tuple(q))

    def _hud(self, ov: Any, T_head: np.ndarray) -> None:
        from vpbridge_xr.overlay import TextPanel

        lines = [f"{self.modes.scheme.title}: {self.modes.mode.replace('_', ' ')}"]
        if self.modes.mode == "measure" and self.measuring is not None:
            lines.append(self.measuring.text() or "measure: press to place A")
        if self.modes.mode == "viewfinder":
            lines.append(f"lens {self.viewfinder.lens.label()}")
        if self.modes.mode == "time_of_day":
            lines.append(self.dial.text())
        if self.bookmarks.current is not None:
            lines.append(f"bookmark {self.bookmarks.current.name}")
        if self.message and time.monotonic() < self.message_until:
            lines.append(self.message)
        fwd = -T_head[:3, 2]
        fwd_flat = np.array([fwd[0], 0.0, fwd[2]])
        if np.linalg.norm(fwd_flat) < 1e-6:
            fwd_flat = np.array([0.0, 0.0, -1.0])
        fwd_flat /= np.linalg.norm(fwd_flat)
        right = np.cross(fwd_flat, [0.0, 1.0, 0.0])
        centre = T_head[:3, 3] + fwd_flat * 1.2 - np.array([0.0, 0.45, 0.0])
        ov.panels.append(TextPanel(lines, centre, right * 0.3, np.array([0.0, 1.0, 0.0])))

    def after_render(self, frame: FrameInfo) -> None:
        ov = self._frame_overlay
        for view, target in zip(frame.views, frame.targets, strict=True):
            scene = ov
            if self.viewfinder.visible:
                scene = self._OverlayScene(list(ov.lines), list(ov.boxes), list(ov.panels))
                self._frame_lines(scene, view)
            self.overlay.draw(target, scene, view.T_world_eye, view.fov, frame.near, frame.far)

    def _frame_lines(self, ov: Any, view: Any) -> None:
        """The lens's frame lines, drawn 2 m in front of the eye inside its view."""
        fl = self.viewfinder.frame_lines(view.fov)
        corners = []
        for x, y in fl.corners_ndc():
            tl, tr = math.tan(view.fov.left), math.tan(view.fov.right)
            tu, td = math.tan(view.fov.up), math.tan(view.fov.down)
            tx = tl + (x * 0.5 + 0.5) * (tr - tl)
            ty = td + (y * 0.5 + 0.5) * (tu - td)
            p_cam = np.array([tx * 2.0, ty * 2.0, -2.0, 1.0])
            corners.append((view.T_world_eye @ p_cam)[:3])
        for i in range(len(corners)):
            ov.line(corners[i], corners[(i + 1) % len(corners)], _FRAME)

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.modes.mode,
            "profile": self.modes.scheme.profile,
            "rig": {"position": self.rig.position.tolist(), "yaw": self.rig.yaw},
            "stills": list(self.stills),
            "events": self.events[-50:],
            "measurement": self.measuring.text() if self.measuring is not None else "",
            "time_of_day": self.dial.hours,
        }

    def close(self) -> None:
        self.overlay.release()
