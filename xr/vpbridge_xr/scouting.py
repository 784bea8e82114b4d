"""The scouting tools, headset-independent: teleport, fly, snap turn, measure, viewfinder, time of day
and bookmarks. The frame loop feeds them controller state (poses as 4×4 world matrices, stick axes,
button edges) and draws what they return; none of them imports OpenXR or GL.

Ray queries go through the motion planner's machinery: `SceneRays` is a `bridge.motion.field.
DistanceField` (the scene's colliders in an open3d BVH, built once per scene) that can also cast
arbitrary rays. Its `ground` (the walk mode's downward rays) and `distance` answer the teleporter's
and the flyer's questions. A whole teleport arc (one batched cast) plus its checks costs well under a
millisecond on the shipped scenes.

Conventions: metres, Y up, −Z forward (OpenGL camera), world frame unless a name says STAGE.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from bridge.motion.field import DistanceField
from bridge.render.source import FovAngles
from bridge.world.scene import Bookmark, Scene, look_at
from vpbridge_xr.lenses import FrameLines, Lens, LensPresets
from vpbridge_xr.rig import Rig, rot_y, yaw_of

__all__ = [
    "FLY_SPEEDS",
    "SNAP_ANGLES_DEG",
    "AxisFlick",
    "BookmarkLike",
    "BookmarkTool",
    "Flyer",
    "Hit",
    "MeasuringTool",
    "Measurement",
    "SceneRays",
    "ShareBookmark",
    "SnapTurn",
    "Still",
    "TeleportAim",
    "Teleporter",
    "TimeOfDayDial",
    "Viewfinder",
    "as_bookmark",
    "feet_inches",
    "level_pose",
    "tilt_axis",
]

# -- rays ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """A ray hit: the point, the surface normal turned towards the ray's origin, the distance."""

    point: np.ndarray
    normal: np.ndarray
    distance: float


class SceneRays(DistanceField):
    """The scene in a BVH for ray casts, distances and ground queries; build once per scene version.

    `geometry="colliders"` (locomotion) uses `Scene.collision_mesh()` like the planner;
    `geometry="visual"` uses every mesh as drawn (measuring the sofa, not its collision box).
    """

    def __init__(self, scene: Scene, geometry: Literal["colliders", "visual"] = "colliders") -> None:
        if geometry == "visual":
            scene = Scene(
                scene.name,
                scene.provenance,
                meshes=[dataclasses.replace(m, collider=True) for m in scene.meshes],
            )
        elif geometry != "colliders":
            raise ValueError(f"`geometry` must be 'colliders' or 'visual', got {geometry!r}")
        super().__init__(scene)
        self.geometry = geometry

    def cast(self, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cast rays: (t (N,), normals (N, 3)). `t` is in units of each direction's length (so a
        segment a→b given as origin a, direction b−a hits within it when t ≤ 1), inf on a miss;
        normals face the ray's origin."""
        o = np.asarray(origins, np.float32).reshape(-1, 3)
        d = np.asarray(directions, np.float32).reshape(-1, 3)
        if self.triangle_count == 0 or not len(o):
            return np.full(len(o), np.inf), np.zeros((len(o), 3))
        rays = np.ascontiguousarray(np.concatenate([o, d], axis=1))
        ans = self._rs.cast_rays(self._o3c.Tensor(rays))
        t = ans["t_hit"].numpy().astype(np.float64)
        n = ans["primitive_normals"].numpy().astype(np.float64)
        t[~np.isfinite(t)] = np.inf
        flip = np.einsum("ij,ij->i", n, d) > 0.0
        n[flip] *= -1.0
        return t, n

    def first_hit(self, origin: np.ndarray, direction: np.ndarray, max_distance: float = 1e4) -> Hit | None:
        """The nearest hit along a ray within `max_distance` metres, or None."""
        d = np.asarray(direction, np.float64)
        d = d / max(float(np.linalg.norm(d)), 1e-12)
        t, n = self.cast(np.asarray(origin)[None], (d * max_distance)[None])
        if not t[0] <= 1.0:
            return None
        p = np.asarray(origin, np.float64) + d * max_distance * t[0]
        return Hit(p, n[0], float(t[0] * max_distance))


# -- teleport ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeleportAim:
    """What the teleport ray found this frame: draw `arc` (green when `valid`), show `reason` when not."""

    valid: bool
    target: np.ndarray | None
    """Where the feet land (the hit point) when valid; the hit point (or None) otherwise."""
    normal: np.ndarray | None
    reason: str
    """Empty when valid; otherwise why not, for the HUD."""
    arc: np.ndarray
    """(N, 3) float32 points from the controller to the hit (or to the end of the arc)."""


class Teleporter:
    """A parabolic (or straight) pointer onto walkable ground.

    A target is valid when the surface faces up within `max_slope_deg`, there is `headroom_m` of free
    space above it, a body of `body_radius` fits there (from step height up, like the walk mode's
    column), and it lies inside the set (`bounds`: xz min/max; default the colliders' extent inset by
    `edge_margin`, so one cannot land on the rim of the world).
    """

    def __init__(
        self,
        rays: SceneRays,
        *,
        mode: Literal["parabola", "straight"] = "parabola",
        max_slope_deg: float = 35.0,
        headroom_m: float = 1.8,
        body_radius: float = 0.25,
        step_height: float = 0.35,
        launch_speed: float = 10.0,
        gravity: float = 9.81,
        segments: int = 40,
        max_time_s: float = 3.0,
        max_distance: float = 40.0,
        edge_margin: float = 0.3,
        bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    ) -> None:
        self.rays = rays
        self.mode = mode
        self.min_ny = math.cos(math.radians(max_slope_deg))
        self.max_slope_deg = max_slope_deg
        self.headroom_m = headroom_m
        self.body_radius = body_radius
        self.step_height = step_height
        self.launch_speed = launch_speed
        self.gravity = gravity
        self.segments = segments
        self.max_time_s = max_time_s
        self.max_distance = max_distance
        if bounds is None:
            lo, hi = rays.lo, rays.hi
            bounds = (
                (float(lo[0]) + edge_margin, float(lo[2]) + edge_margin),
                (float(hi[0]) - edge_margin, float(hi[2]) - edge_margin),
            )
        self.bounds = bounds

    def arc_points(self, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """The unobstructed pointer: (segments + 1, 3) points (2 for the straight ray)."""
        o = np.asarray(origin, np.float64).reshape(3)
        d = np.asarray(direction, np.float64).reshape(3)
        d = d / max(float(np.linalg.norm(d)), 1e-12)
        if self.mode == "straight":
            return np.stack([o, o + d * self.max_distance])
        v = d * self.launch_speed
        floor = float(self.rays.lo[1]) - 1.0  # stop once the arc is below everything
        # time at which y(t) = floor: 0.5 g t² − v_y t − (o_y − floor) = 0
        disc = v[1] ** 2 + 2.0 * self.gravity * max(0.0, o[1] - floor)
        t_end = min(self.max_time_s, (v[1] + math.sqrt(disc)) / self.gravity)
        t = np.linspace(0.0, max(t_end, 1e-3), self.segments + 1)[:, None]
        return np.asarray(o + v * t + 0.5 * np.array([0.0, -self.gravity, 0.0]) * t * t)

    def aim(self, origin: np.ndarray, direction: np.ndarray) -> TeleportAim:
        """Trace the pointer from the controller's aim pose (origin, forward) and judge the target."""
        pts = self.arc_points(origin, direction)
        seg = pts[1:] - pts[:-1]
        t, normals = self.rays.cast(pts[:-1], seg)
        hit_idx = np.nonzero(t <= 1.0)[0]
        if not len(hit_idx):
            return TeleportAim(False, None, None, "no surface in reach", pts.astype(np.float32))
        i = int(hit_idx[0])
        p = pts[i] + seg[i] * t[i]
        n = normals[i]
        arc = np.concatenate([pts[: i + 1], p[None]]).astype(np.float32)
        reason = self.judge(p, n)
        return TeleportAim(not reason, p, n, reason, arc)

    def judge(self, p: np.ndarray, n: np.ndarray) -> str:
        """Why the feet cannot go to `p` (surface normal `n`, facing the viewer), or "" when they can."""
        ny = float(n[1])
        if ny < self.min_ny:
            if ny < -0.2:
                return "the underside of something"
            slope = math.degrees(math.acos(max(-1.0, min(1.0, ny))))
            if slope > 75.0:
                return "a wall, not a floor"
            return f"too steep: {slope:.0f}° (max {self.max_slope_deg:.0f}°)"
        (x0, z0), (x1, z1) = self.bounds
        if not (x0 <= p[0] <= x1 and z0 <= p[2] <= z1):
            return "outside the set"
        t_up, _ = self.rays.cast((p + n * 0.02)[None], np.array([[0.0, self.headroom_m, 0.0]]))
        if t_up[0] <= 1.0:
            clear = float(t_up[0]) * self.headroom_m + 0.02 * ny
            return f"no headroom: {clear:.2f} m clear (needs {self.headroom_m:.2f} m)"
        lo = p[1] + self.step_height + self.body_radius
        hi = max(lo, p[1] + self.headroom_m - self.body_radius)
        ys = np.linspace(lo, hi, 3)
        column = np.column_stack([np.full(3, p[0]), ys, np.full(3, p[2])])
        gap = float(self.rays.distance(column).min())
        if gap < self.body_radius:
            return f"too close to a wall: {gap:.2f} m (needs {self.body_radius:.2f} m)"
        return ""

    def go(self, rig: Rig, aim: TeleportAim, head_in_stage: np.ndarray) -> bool:
        """Teleport the rig to a valid aim (on trigger release); False (nothing moves) otherwise."""
        if not aim.valid or aim.target is None:
            return False
        rig.teleport(aim.target, head_in_stage)
        return True


# -- fly -----------------------------------------------------------------------------------------

FLY_SPEEDS: tuple[tuple[str, float], ...] = (("slow", 0.5), ("walk", 1.5), ("jog", 4.0), ("drone", 12.0))
"""Speed presets (name, m/s) for smooth locomotion."""


class Flyer:
    """Smooth locomotion from a thumbstick, in the head's frame: stick up flies where you look (pitch
    included, so looking up and pushing rises), sideways strafes level. Only the rig translates, so
    there is never roll. With a field, the head stops `clearance` metres from colliders and slides
    along them."""

    def __init__(
        self,
        field: DistanceField | None,
        *,
        clearance: float = 0.3,
        speeds: Sequence[tuple[str, float]] = FLY_SPEEDS,
        preset: int = 1,
        dead_zone: float = 0.15,
    ) -> None:
        if not speeds:
            raise ValueError("need at least one speed preset")
        self.field = field
        self.clearance = clearance
        self.speeds = tuple(speeds)
        self.preset = max(0, min(len(self.speeds) - 1, preset))
        self.dead_zone = dead_zone

    @property
    def speed(self) -> float:
        return self.speeds[self.preset][1]

    @property
    def speed_name(self) -> str:
        return self.speeds[self.preset][0]

    def next_speed(self) -> str:
        """Cycle to the next speed preset; its name for the HUD."""
        self.preset = (self.preset + 1) % len(self.speeds)
        return self.speed_name

    def _deflection(self, stick: Sequence[float]) -> np.ndarray:
        """Stick (x, y) with a radial dead zone, rescaled so the edge of the dead zone is 0, |s| ≤ 1."""
        s = np.asarray(stick, np.float64).reshape(2)
        m = float(np.linalg.norm(s))
        if m <= self.dead_zone:
            return np.zeros(2)
        return np.asarray(s / m * min(1.0, (m - self.dead_zone) / (1.0 - self.dead_zone)))

    def velocity(self, stick: Sequence[float], T_world_head: np.ndarray) -> np.ndarray:
        """World velocity (m/s) for a stick deflection (x right, y up = forward)."""
        x, y = self._deflection(stick)
        T = np.asarray(T_world_head, np.float64)
        forward = -T[:3, 2] / max(float(np.linalg.norm(T[:3, 2])), 1e-12)
        right = rot_y(yaw_of(T)) @ np.array([1.0, 0.0, 0.0])  # level: ignores the head's roll
        return np.asarray((forward * y + right * x) * self.speed)

    def velocity_toward(self, T_world_aim: np.ndarray, amount: float = 1.0) -> np.ndarray:
        """World velocity flying where a controller points (the simple controller's `fly_toward`)."""
        f = -np.asarray(T_world_aim, np.float64)[:3, 2]
        return np.asarray(f / max(float(np.linalg.norm(f)), 1e-12) * self.speed * max(0.0, min(1.0, amount)))

    def step(self, rig: Rig, velocity: np.ndarray, dt: float, head_in_stage: np.ndarray) -> np.ndarray:
        """Move the rig by `velocity · dt`, clipped against the colliders; the applied world delta."""
        head = rig.head_world(head_in_stage)
        delta = self.clip(head, np.asarray(velocity, np.float64) * float(dt))
        rig.translate(delta)
        return delta

    def clip(self, head: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """The part of `delta` the head can move from `head` keeping its clearance: up to the contact,
        then the rest slid along the surface (the component into it removed)."""
        if self.field is None or not float(np.linalg.norm(delta)) > 0.0:
            return np.asarray(delta, np.float64)
        head = np.asarray(head, np.float64)
        # already closer than the clearance (after a teleport next to a wall): never get closer still
        need = min(self.clearance, float(self.field.distance(head[None])[0])) - 1e-4
        f = self._free_fraction(head, delta, need)
        moved = delta * f
        if f >= 1.0:
            return np.asarray(moved)
        at = head + moved
        n = self._normal(at)
        rest = delta - moved
        into = float(rest @ n)
        if into < 0.0:
            rest = rest - into * n
        f2 = self._free_fraction(at, rest, need)
        return np.asarray(moved + rest * f2)

    def _free_fraction(self, start: np.ndarray, delta: np.ndarray, need: float) -> float:
        assert self.field is not None
        length = float(np.linalg.norm(delta))
        if length <= 0.0:
            return 1.0
        k = max(2, int(math.ceil(length / max(0.05, self.clearance / 2.0))) + 1)
        fr = np.linspace(0.0, 1.0, k)
        d = self.field.distance(start + fr[:, None] * delta)
        bad = np.nonzero(d[1:] < need)[0]
        if not len(bad):
            return 1.0
        lo, hi = float(fr[bad[0]]), float(fr[bad[0] + 1])  # lo is free, hi is not
        for _ in range(10):
            mid = (lo + hi) / 2.0
            if float(self.field.distance((start + mid * delta)[None])[0]) >= need:
                lo = mid
            else:
                hi = mid
        return lo

    def _normal(self, p: np.ndarray) -> np.ndarray:
        """Direction away from the nearest collider (the distance field's gradient)."""
        assert self.field is not None
        h = 0.02
        offs = np.vstack([np.eye(3) * h, -np.eye(3) * h])
        d = self.field.distance(p + offs)
        g = (d[:3] - d[3:]) / (2.0 * h)
        n = float(np.linalg.norm(g))
        return np.asarray(g / n) if n > 1e-9 else np.zeros(3)


# -- turning -------------------------------------------------------------------------------------

SNAP_ANGLES_DEG: tuple[float, ...] = (15.0, 30.0, 45.0, 90.0)


class AxisFlick:
    """One flick of an axis = one event: fires ±1 when |x| reaches `fire_at`, then stays quiet until
    the axis comes back below `rearm_below` (hysteresis), so holding the stick does not repeat."""

    def __init__(self, fire_at: float = 0.7, rearm_below: float = 0.3, dead_zone: float = 0.2) -> None:
        if not 0.0 <= dead_zone <= rearm_below < fire_at <= 1.0:
            raise ValueError("need 0 ≤ dead_zone ≤ rearm_below < fire_at ≤ 1")
        self.fire_at, self.rearm_below, self.dead_zone = fire_at, rearm_below, dead_zone
        self.armed = True

    def update(self, x: float) -> int:
        a = abs(float(x))
        if a < self.dead_zone:
            a = 0.0
        if self.armed and a >= self.fire_at:
            self.armed = False
            return 1 if x > 0 else -1
        if not self.armed and a <= self.rearm_below:
            self.armed = True
        return 0


class SnapTurn:
    """Snap turning: a flick of the stick's x axis turns by `angle_deg` (right = clockwise seen from
    above, i.e. a negative yaw). `update` returns the radians to pass to `Rig.snap_turn`."""

    def __init__(
        self,
        angle_deg: float = 30.0,
        *,
        fire_at: float = 0.7,
        rearm_below: float = 0.3,
        dead_zone: float = 0.2,
    ) -> None:
        if not 0.0 < angle_deg <= 180.0:
            raise ValueError(f"snap angle must be in (0, 180] degrees, got {angle_deg}")
        self.angle_deg = float(angle_deg)
        self.flick = AxisFlick(fire_at, rearm_below, dead_zone)

    @property
    def angle_rad(self) -> float:
        return math.radians(self.angle_deg)

    def cycle_angle(self) -> float:
        """Next of 15/30/45/90°."""
        later = [a for a in SNAP_ANGLES_DEG if a > self.angle_deg + 1e-9]
        self.angle_deg = later[0] if later else SNAP_ANGLES_DEG[0]
        return self.angle_deg

    def update(self, x: float) -> float:
        return -self.flick.update(x) * self.angle_rad

    def toward(self, T_world_head: np.ndarray, aim_direction_world: np.ndarray) -> float:
        """The simple controller's turn: one snap towards where the controller points, or 0 when it
        points within half a snap of where the head faces."""
        d = np.asarray(aim_direction_world, np.float64)
        if math.hypot(d[0], d[2]) < 1e-6:
            return 0.0
        bearing = math.atan2(-d[0], -d[2]) - yaw_of(T_world_head)
        bearing = math.pi - (math.pi - bearing) % (2.0 * math.pi)
        if abs(bearing) < self.angle_rad / 2.0:
            return 0.0
        return math.copysign(self.angle_rad, bearing)


# -- measuring -----------------------------------------------------------------------------------


def feet_inches(metres: float) -> str:
    """``11 ft 2.6 in`` for 3.42 m (inches to a tenth)."""
    tenths = round(abs(metres) / 0.0254 * 10.0)
    ft, rem = divmod(tenths, 120)
    sign = "-" if metres < 0 and tenths else ""
    return f"{sign}{ft} ft {rem / 10.0:.1f} in"


@dataclass(frozen=True)
class Measurement:
    a: np.ndarray
    b: np.ndarray
    distance_m: float
    horizontal_m: float
    vertical_m: float
    """b.y − a.y."""


class MeasuringTool:
    """Tape measure: the first press places A where the ray hits, the second B (the distance shows in
    metres and feet), the third starts again with a new A. Heights are above the surface below a point
    (the floor under a point on a wall; 0 on the floor itself)."""

    def __init__(self, rays: SceneRays, *, max_distance: float = 500.0) -> None:
        self.rays = rays
        self.max_distance = max_distance
        self.a: Hit | None = None
        self.b: Hit | None = None
        self.hover_hit: Hit | None = None

    def reset(self) -> None:
        self.a = self.b = None

    def hover(self, origin: np.ndarray, direction: np.ndarray) -> Hit | None:
        """Where the ray points now (for the cursor and the rubber band from A)."""
        self.hover_hit = self.rays.first_hit(origin, direction, self.max_distance)
        return self.hover_hit

    def press(self, origin: np.ndarray, direction: np.ndarray) -> Hit | None:
        """The trigger: place the next point where the ray hits (nothing happens on a miss)."""
        hit = self.rays.first_hit(origin, direction, self.max_distance)
        if hit is None:
            return None
        if self.a is None or self.b is not None:
            self.a, self.b = hit, None
        else:
            self.b = hit
        return hit

    @property
    def measurement(self) -> Measurement | None:
        if self.a is None or self.b is None:
            return None
        return _measure(self.a.point, self.b.point)

    def height_above_ground(self, hit: Hit) -> float | None:
        """Vertical distance from a hit point down to the next surface below it (None: nothing below)."""
        start = hit.point + hit.normal * 0.01
        down = self.rays.first_hit(start, np.array([0.0, -1.0, 0.0]), self.max_distance)
        if down is None:
            return None
        return max(0.0, float(hit.point[1] - down.point[1]))

    def segment(self) -> np.ndarray | None:
        """(2, 3) float32 line to draw: A→B, or A→the hover point, or None."""
        if self.a is None:
            return None
        end = self.b if self.b is not None else self.hover_hit
        if end is None:
            return None
        return np.stack([self.a.point, end.point]).astype(np.float32)

    def text(self) -> str:
        """The HUD line."""
        if self.a is None:
            return "Measure: press to place point A"
        if self.b is None:
            h = self.height_above_ground(self.a)
            line = "A placed" + (f" · {h:.2f} m above ground" if h is not None else "")
            if self.hover_hit is not None:
                d = float(np.linalg.norm(self.hover_hit.point - self.a.point))
                line += f" · to cursor {d:.2f} m ({feet_inches(d)})"
            return line + " · press to place B"
        m = _measure(self.a.point, self.b.point)
        h = self.height_above_ground(self.b)
        parts = [
            f"{m.distance_m:.2f} m ({feet_inches(m.distance_m)})",
            f"horizontal {m.horizontal_m:.2f} m",
            f"vertical {m.vertical_m:+.2f} m",
        ]
        if h is not None:
            parts.append(f"B {h:.2f} m above ground")
        return " · ".join(parts)


def _measure(a: np.ndarray, b: np.ndarray) -> Measurement:
    d = np.asarray(b, np.float64) - np.asarray(a, np.float64)
    return Measurement(
        np.asarray(a).copy(),
        np.asarray(b).copy(),
        float(np.linalg.norm(d)),
        float(math.hypot(d[0], d[2])),
        float(d[1]),
    )


# -- viewfinder ----------------------------------------------------------------------------------


def level_pose(T_world: np.ndarray) -> np.ndarray:
    """The pose with its roll removed (same position and view direction, horizon level); a pose
    looking straight up or down keeps its orientation."""
    T = np.asarray(T_world, np.float64)
    f = -T[:3, 2]
    if math.hypot(f[0], f[2]) < 1e-6:
        return T.copy()
    return look_at(T[:3, 3], T[:3, 3] + f)


@dataclass(frozen=True)
class Still:
    """A still to request from the server: pose, FOV, size and the lens it was framed with."""

    T_world_camera: np.ndarray
    fov: FovAngles
    width: int
    height: int
    lens: Lens


class Viewfinder:
    """A director's viewfinder: frame lines of the current lens inside the eye view, and stills."""

    def __init__(
        self,
        presets: LensPresets | None = None,
        *,
        level_horizon: bool = True,
        still_width: int = 1920,
        zoom_flick: AxisFlick | None = None,
    ) -> None:
        self.presets = presets or LensPresets()
        self.level_horizon = level_horizon
        self.still_width = still_width
        self.visible = False
        self.zoom_flick = zoom_flick or AxisFlick()

    @property
    def lens(self) -> Lens:
        return self.presets.lens

    def toggle(self) -> bool:
        self.visible = not self.visible
        return self.visible

    def zoom(self, axis: float) -> Lens | None:
        """The `lens_zoom` axis: a flick up steps to a longer lens, down to a wider one."""
        step = self.zoom_flick.update(axis)
        return self.presets.step(step) if step else None

    def frame_lines(self, eye_fov: FovAngles) -> FrameLines:
        return self.lens.frame_lines(eye_fov)

    def camera_pose(self, T_world_head: np.ndarray) -> np.ndarray:
        return level_pose(T_world_head) if self.level_horizon else np.asarray(T_world_head, np.float64).copy()

    def still(self, T_world_head: np.ndarray) -> Still:
        """What to render for the `viewfinder_capture` press."""
        w, h = self.lens.image_size(self.still_width)
        return Still(self.camera_pose(T_world_head), self.lens.fov(), w, h, self.lens)


# -- time of day ---------------------------------------------------------------------------------


def tilt_axis(T_world_controller: np.ndarray, full_deg: float = 45.0, dead_deg: float = 8.0) -> float:
    """An axis in −1…1 from how far a controller points up (+) or down (−): the simple controller's
    stand-in for a stick while `time_scrub` is held."""
    f = -np.asarray(T_world_controller, np.float64)[:3, 2]
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, f[1] / max(float(np.linalg.norm(f)), 1e-12)))))
    if abs(pitch) <= dead_deg:
        return 0.0
    return math.copysign(min(1.0, (abs(pitch) - dead_deg) / (full_deg - dead_deg)), pitch)


class TimeOfDayDial:
    """The sun on a stick: an axis changes the time of day at up to `rate_h_per_s`, wrapping through
    midnight (0…24 h). Sends go through `send(hours)` at most `max_send_hz` times a second; when the
    stick is let go the final value is sent as soon as the rate allows (the frame loop keeps calling
    `update`, with axis 0)."""

    def __init__(
        self,
        send: Callable[[float], None],
        *,
        hours: float = 14.0,
        rate_h_per_s: float = 2.0,
        dead_zone: float = 0.15,
        max_send_hz: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send = send
        self.hours = float(hours) % 24.0
        self.rate = rate_h_per_s
        self.dead_zone = dead_zone
        self.min_interval = 1.0 / max_send_hz
        self.clock = clock
        self.active = False
        self.pending = False
        """A local change not sent yet."""
        self._last_send = -math.inf

    def sync(self, hours: float) -> None:
        """Take the server's value (someone else moved the sun) unless this dial has its own change
        under way."""
        if not self.active and not self.pending:
            self.hours = float(hours) % 24.0

    def update(self, axis: float, dt: float) -> float | None:
        """Advance by one frame; the value sent now, if any."""
        a = float(axis)
        self.active = abs(a) > self.dead_zone
        if self.active:
            speed = (abs(a) - self.dead_zone) / (1.0 - self.dead_zone)
            self.hours = (self.hours + math.copysign(speed, a) * self.rate * float(dt)) % 24.0
            self.pending = True
        if not self.pending:
            return None
        now = self.clock()
        if now - self._last_send < self.min_interval:
            return None
        self._last_send = now
        self.pending = False
        self.send(self.hours)
        return self.hours

    def text(self) -> str:
        h = int(self.hours)
        m = int(round((self.hours - h) * 60.0))
        if m == 60:
            h, m = (h + 1) % 24, 0
        return f"Time of day {h:02d}:{m:02d}"


# -- bookmarks -----------------------------------------------------------------------------------

ShareBookmark = Callable[[str, np.ndarray, float, str], None]
"""share(name, T_world_camera, fov_y_deg, note): publish a new bookmark to the session, e.g.
``lambda n, T, fov, note: client.save_bookmark(n, T, fov_y_deg=fov, note=note)``."""


class BookmarkLike(Protocol):
    """Anything shaped like a bookmark: `bridge.world.Bookmark` or the client's `SharedBookmark`."""

    @property
    def name(self) -> str: ...
    @property
    def T_world_camera(self) -> Any: ...
    @property
    def fov_y_deg(self) -> float: ...


def as_bookmark(b: BookmarkLike) -> Bookmark:
    """A scene `Bookmark` from a bookmark-like object (a shared one's 16 floats become a 4×4 pose; its
    note becomes the description, a kind the scene model does not know becomes "bookmark")."""
    if isinstance(b, Bookmark):
        return b
    kinds: dict[str, Literal["bookmark", "spawn", "shot"]] = {"spawn": "spawn", "shot": "shot"}
    note = getattr(b, "note", "") or getattr(b, "description", "")
    return Bookmark(
        b.name,
        np.asarray(b.T_world_camera, np.float64).reshape(4, 4),
        float(b.fov_y_deg),
        kinds.get(str(getattr(b, "kind", "bookmark")), "bookmark"),
        str(note),
    )


_SLUG = re.compile(r"[^a-z0-9_]+")


class BookmarkTool:
    """The scene's bookmarks plus the ones scouts shared, stepped through and jumped to; `create`
    shares the current view under a fresh name (``scout-1``, ``scout-2``, …)."""

    def __init__(
        self,
        scene_bookmarks: Sequence[Bookmark] = (),
        share: ShareBookmark | None = None,
        *,
        default_fov_y_deg: float = 60.0,
    ) -> None:
        self.scene_bookmarks = list(scene_bookmarks)
        self.shared: list[Bookmark] = []
        self.share = share
        self.default_fov_y_deg = default_fov_y_deg
        self.index: int | None = None

    @property
    def entries(self) -> list[Bookmark]:
        """Scene bookmarks first, then shared ones (a shared name equal to a scene one is hidden)."""
        names = {b.name for b in self.scene_bookmarks}
        return self.scene_bookmarks + [b for b in self.shared if b.name not in names]

    @property
    def current(self) -> Bookmark | None:
        e = self.entries
        return e[self.index] if self.index is not None and 0 <= self.index < len(e) else None

    def set_shared(self, bookmarks: Iterable[BookmarkLike]) -> None:
        """Replace the shared list (the server's view, e.g. `client.bookmarks().values()`), keeping the
        selection by name."""
        keep = self.current.name if self.current is not None else None
        self.shared = [as_bookmark(b) for b in bookmarks]
        self._select(keep)

    def _select(self, name: str | None) -> None:
        names = [b.name for b in self.entries]
        self.index = names.index(name) if name in names else None

    def next(self) -> Bookmark | None:
        return self._step(1)

    def prev(self) -> Bookmark | None:
        return self._step(-1)

    def _step(self, n: int) -> Bookmark | None:
        e = self.entries
        if not e:
            self.index = None
            return None
        if self.index is None:
            self.index = 0 if n > 0 else len(e) - 1
        else:
            self.index = (self.index + n) % len(e)
        return e[self.index]

    def jump(self, rig: Rig, head_in_stage: np.ndarray, bookmark: Bookmark | None = None) -> Bookmark | None:
        """Put the head where the bookmark (default: the current one) looks from."""
        b = bookmark or self.current
        if b is None:
            return None
        rig.set_from_bookmark(b.T_world_camera, head_in_stage)
        return b

    def unique_name(self, name_hint: str | None = None) -> str:
        """``<hint>-<n>`` with n one more than the highest number already used with that hint."""
        base = _SLUG.sub("-", (name_hint or "").lower()).strip("-_")[:40].strip("-_") or "scout"
        pat = re.compile(re.escape(base) + r"-(\d+)$")
        used = [int(m.group(1)) for b in self.scene_bookmarks + self.shared if (m := pat.match(b.name))]
        return f"{base}-{max(used, default=0) + 1}"

    def create(
        self,
        name_hint: str | None,
        T_world_head: np.ndarray,
        *,
        fov_y_deg: float | None = None,
        note: str = "",
    ) -> Bookmark:
        """Share the current view (roll removed) as a new bookmark and select it."""
        name = self.unique_name(name_hint)
        T = level_pose(T_world_head)
        fov = float(fov_y_deg if fov_y_deg is not None else self.default_fov_y_deg)
        if self.share is not None:
            self.share(name, T, fov, note)
        b = Bookmark(name, T, fov, "bookmark", note)
        self.shared.append(b)
        self._select(name)
        return b
