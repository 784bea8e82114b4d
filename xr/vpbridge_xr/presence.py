"""Other scouts in the set: their heads and viewfinder frusta from the shared state, and our own head
reported back at a limited rate.

The server publishes every session's `CameraReport` as the state entry `camera.<session8>` = 16 pose
floats (row-major T_world_camera) + focal length, f-number, focus distance, sensor width and height
(21 floats), and `presence.<session8>` = "name (role)". `PresenceTracker.update(state)` turns the state
(`bridge.client_sync.Client.state`) into `Presence` items, leaving out our own session and anyone whose
pose has not changed for `stale_s`. The state carries values only, no times, so staleness is "the same
21 floats for `stale_s` by our clock": a worn headset never reports the same pose bit for bit (tracking
noise), and `PoseReporter` re-sends at least every `keepalive_s`, so what goes stale is a frozen viewer
or a headset put down (a session that leaves has its entry removed by the server). Nothing here
imports OpenXR or GL.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bridge.protocol.messages import ParamValue
from vpbridge_xr.lenses import Lens

__all__ = [
    "HeadDraw",
    "PoseReporter",
    "Presence",
    "PresenceTracker",
    "draw_heads",
    "head_model",
    "session_color",
]

CAMERA_PREFIX = "camera."
PRESENCE_PREFIX = "presence."


@dataclass(frozen=True)
class Presence:
    """Another session's reported camera."""

    session: str
    """The 8-character session prefix of the state key."""
    T_world_camera: np.ndarray
    lens: Lens
    label: str
    """The `presence.<session8>` text ("name (role)"), or the session prefix."""
    last_change: float
    """When (by the tracker's clock) the pose last changed."""


def session_color(session: str) -> tuple[float, float, float]:
    """A stable, saturated linear RGB colour per session id (the same on every machine and run)."""
    h = int.from_bytes(hashlib.sha1(session[:8].encode()).digest()[:4], "big") / 2**32
    r, g, b = colorsys.hsv_to_rgb(h, 0.7, 0.95)
    return (r, g, b)


def _parse_camera(value: ParamValue) -> tuple[np.ndarray, Lens] | None:
    if not isinstance(value, list | tuple) or len(value) != 21:
        return None
    try:
        v = np.asarray([float(x) for x in value], np.float64)
    except (TypeError, ValueError):
        return None
    if not np.all(np.isfinite(v)):
        return None
    T = v[:16].reshape(4, 4)
    if not np.allclose(T[3], (0.0, 0.0, 0.0, 1.0), atol=1e-4):
        return None
    focal, f_number, focus, sw, sh = (float(x) for x in v[16:])
    if min(focal, f_number, focus, sw, sh) <= 0.0:
        return None
    lens = Lens.from_report(
        {
            "focal_length_mm": focal,
            "aperture_f": f_number,
            "focus_distance_m": focus,
            "sensor_width_mm": sw,
            "sensor_height_mm": sh,
        }
    )
    return T, lens


class PresenceTracker:
    """Follows the `camera.*` entries of the shared state and ages them with an injected clock."""

    def __init__(
        self, own_session: str, *, stale_s: float = 6.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.own = own_session[:8]
        self.stale_s = float(stale_s)
        self.clock = clock
        self._seen: dict[str, tuple[tuple[float, ...], float]] = {}

    def update(self, state: Mapping[str, ParamValue]) -> list[Presence]:
        """The live other scouts in `state`, sorted by session id."""
        now = self.clock()
        out: list[Presence] = []
        present: set[str] = set()
        for key, value in state.items():
            if not key.startswith(CAMERA_PREFIX):
                continue
            session = key[len(CAMERA_PREFIX) :]
            if not session or session[:8] == self.own:
                continue
            parsed = _parse_camera(value)
            if parsed is None:
                continue
            present.add(session)
            raw = tuple(float(x) for x in value)  # type: ignore[union-attr]  # a 21-float list here
            prev = self._seen.get(session)
            changed_at = now if prev is None or prev[0] != raw else prev[1]
            self._seen[session] = (raw, changed_at)
            if now - changed_at > self.stale_s:
                continue
            label = state.get(PRESENCE_PREFIX + session)
            out.append(
                Presence(
                    session=session,
                    T_world_camera=parsed[0],
                    lens=parsed[1],
                    label=label if isinstance(label, str) and label else session,
                    last_change=changed_at,
                )
            )
        for gone in set(self._seen) - present:  # left the session: forget (a rejoin starts fresh)
            del self._seen[gone]
        return sorted(out, key=lambda p: p.session)


# -- drawing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadDraw:
    """Line segments (GL_LINES pairs) of one scout's head marker and view frustum, world frame."""

    session: str
    label: str
    lines: np.ndarray
    """(2K, 3) float32 vertices, consecutive pairs are segments."""
    color: tuple[float, float, float]
    label_anchor: np.ndarray
    """(3,) where to draw the name (above the head)."""


def head_model(
    T_world_camera: np.ndarray, lens: Lens, *, head_radius: float = 0.12, frustum_m: float = 0.45
) -> np.ndarray:
    """A small wireframe: an octahedron for the head and the lens's frustum reaching `frustum_m` ahead
    (so the others see where someone looks and how wide their lens is). (2K, 3) float32, world frame."""
    r = head_radius
    tips = np.array([[r, 0, 0], [-r, 0, 0], [0, r, 0], [0, -r, 0], [0, 0, r], [0, 0, -r]], np.float64)
    segs: list[tuple[np.ndarray, np.ndarray]] = []
    for i in (0, 1):
        for j in (2, 3, 4, 5):
            segs.append((tips[i], tips[j]))
    for i in (2, 3):
        for j in (4, 5):
            segs.append((tips[i], tips[j]))
    tx = math.tan(lens.horizontal_fov_rad / 2.0) * frustum_m
    ty = math.tan(lens.vertical_fov_rad / 2.0) * frustum_m
    corners = np.array(
        [[-tx, -ty, -frustum_m], [tx, -ty, -frustum_m], [tx, ty, -frustum_m], [-tx, ty, -frustum_m]]
    )
    apex = np.zeros(3)
    for k in range(4):
        segs.append((apex, corners[k]))
        segs.append((corners[k], corners[(k + 1) % 4]))
    # a tick on the top edge: which way is up in their frame
    segs.append(
        ((corners[2] + corners[3]) / 2, (corners[2] + corners[3]) / 2 + np.array([0.0, ty * 0.3, 0.0]))
    )
    local = np.array([p for seg in segs for p in seg])
    T = np.asarray(T_world_camera, np.float64)
    return np.asarray(local @ T[:3, :3].T + T[:3, 3], np.float32)


def draw_heads(presences: list[Presence]) -> list[HeadDraw]:
    """Draw data for every scout: wireframe vertices, colour and where to put the label."""
    out = []
    for p in presences:
        up = p.T_world_camera[:3, :3] @ np.array([0.0, 0.25, 0.0])
        out.append(
            HeadDraw(
                session=p.session,
                label=p.label,
                lines=head_model(p.T_world_camera, p.lens),
                color=session_color(p.session),
                label_anchor=np.asarray(p.T_world_camera[:3, 3] + up, np.float32),
            )
        )
    return out


# -- our own pose -------------------------------------------------------------------------------


class PoseReporter:
    """Decides when to send our head as a `CameraReport`: at most `max_hz`, only after moving more
    than `min_move_m` or turning more than `min_turn_deg` (or changing lens), and at least every
    `keepalive_s` so the others do not take a still scout for gone."""

    def __init__(
        self,
        *,
        max_hz: float = 10.0,
        min_move_m: float = 0.01,
        min_turn_deg: float = 1.0,
        keepalive_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = 1.0 / max_hz
        self.min_move_m = min_move_m
        self.min_turn_rad = math.radians(min_turn_deg)
        self.keepalive_s = keepalive_s
        self.clock = clock
        self._last_t = -math.inf
        self._last_T: np.ndarray | None = None
        self._last_lens: dict[str, float] | None = None

    def report_pose(self, T_world_head: np.ndarray, lens: Lens) -> dict[str, object] | None:
        """The `CameraReport` fields (all but `rid`) when a report is due now, else None:
        ``CameraReport(rid=..., **fields)``."""
        now = self.clock()
        if now - self._last_t < self.min_interval:
            return None
        T = np.asarray(T_world_head, np.float64)
        lens_fields = lens.report()
        due = self._last_T is None or now - self._last_t >= self.keepalive_s or lens_fields != self._last_lens
        if not due and self._last_T is not None:
            moved = float(np.linalg.norm(T[:3, 3] - self._last_T[:3, 3]))
            R = self._last_T[:3, :3].T @ T[:3, :3]
            turned = math.acos(max(-1.0, min(1.0, (float(np.trace(R)) - 1.0) / 2.0)))
            due = moved > self.min_move_m or turned > self.min_turn_rad
        if not due:
            return None
        self._last_t, self._last_T, self._last_lens = now, T.copy(), lens_fields
        return {
            "T_world_camera": tuple(float(x) for x in T.reshape(16)),
            **lens_fields,
            "t_ns": time.time_ns(),
        }
