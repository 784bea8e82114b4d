"""`Planner`: collision-aware camera paths through one scene. Fly mode takes the straight line when it
keeps the clearance, else searches a lazily built voxel grid (weighted A*), shortcuts and smooths the
route to a C2 spline; walk mode stands a body on the colliders. `replan` interrupts a running path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bridge.errors import ConfigError, PlanningError
from bridge.motion.field import DistanceField
from bridge.motion.path import CameraPath, angles_from_rotation, heading_of
from bridge.motion.presets import Preset, preset_from_name
from bridge.motion.replan import brake, check, splice
from bridge.motion.search import VoxelSearch
from bridge.motion.smooth import Curve, shortcut, smooth_route
from bridge.motion.timing import least_time, orient, time_path
from bridge.motion.walk import Body, Walker
from bridge.world.scene import Bookmark, Scene

__all__ = ["Endpoint", "PlanningError", "Planner"]

_TURN_MAX_S = 600.0
"""A turning replan slower than this is not timed at all (a curve that doubles back can ask for hours)."""

Endpoint = str | Bookmark | np.ndarray | tuple[float, float, float] | list[float]
"""A bookmark (or its name), a 4×4 T_world_camera, or a position (x, y, z)."""


class Planner:
    """Plans camera paths in `scene`, keeping `clearance` metres from every collider.

    The distance structure is built once here; `margin` is extra room the route search keeps so the
    smoothed curve may round corners; `max_voxels` bounds the search grid."""

    def __init__(
        self,
        scene: Scene,
        clearance: float = 0.4,
        *,
        margin: float = 0.5,
        body: Body | None = None,
        max_voxels: int = 2_000_000,
    ) -> None:
        if not clearance > 0:
            raise ConfigError(f"`clearance` must be positive metres, got {clearance}")
        self.scene, self.clearance, self.margin, self.max_voxels = scene, clearance, margin, max_voxels
        self.field = DistanceField(scene)
        self.body = body or Body(radius=clearance)
        self.walker = Walker(self.field, self.body)
        self.last_stats: dict[str, Any] = {}

    # -- endpoints ---------------------------------------------------------------------------
    def endpoint(self, e: Endpoint, name: str) -> tuple[np.ndarray, tuple[float, float] | None]:
        """(position, (yaw, pitch) or None) of an endpoint."""
        if isinstance(e, str):
            e = self.scene.bookmark(e)
        if isinstance(e, Bookmark):
            e = e.T_world_camera
        a = np.asarray(e, np.float64)
        if a.shape == (4, 4):
            yaw, pitch, _ = angles_from_rotation(a[:3, :3])
            return a[:3, 3].copy(), (yaw, pitch)
        if a.shape == (3,) and np.all(np.isfinite(a)):
            return a, None
        raise ConfigError(f"`{name}` must be a bookmark name, a 4×4 pose or x,y,z; got shape {a.shape}")

    def _check_clear(self, p: np.ndarray, name: str) -> float:
        d = float(self.field.distance(p[None])[0])
        if d < self.clearance:
            raise ConfigError(
                f"`{name}` {np.round(p, 2).tolist()} is {d:.2f} m from the nearest collider, inside the "
                f"clearance of {self.clearance} m; move it or plan with a smaller clearance"
            )
        return d

    # -- planning ------------------------------------------------------------------------------
    def plan(
        self,
        start: Endpoint,
        goal: Endpoint,
        mode: str = "fly",
        preset: str | Preset = "comfortable",
        look_at: np.ndarray | tuple[float, float, float] | None = None,
    ) -> CameraPath:
        """A timed path from `start` to `goal` within the preset's limits, keeping the clearance."""
        pr = preset_from_name(preset)
        p0, a0 = self.endpoint(start, "start")
        p1, a1 = self.endpoint(goal, "goal")
        if a0 is None:
            a0 = heading_of(p1 - p0) if np.linalg.norm(p1 - p0) > 1e-6 else (0.0, 0.0)
        target = None if look_at is None else np.asarray(look_at, np.float64)
        if mode == "fly":
            curve = self.fly_curve([p0], p1)
            return self._timed(curve, a0, a1, pr, target, "fly")
        if mode == "walk":
            return self._walk(p0, p1, a0, a1, pr, target)
        raise ConfigError(f"`mode` must be 'fly' or 'walk', got {mode!r}")

    def _timed(
        self,
        curve: Curve,
        a0: tuple[float, float],
        a1: tuple[float, float] | None,
        pr: Preset,
        look_at: np.ndarray | None,
        mode: str,
        **kw: Any,
    ) -> CameraPath:
        angles = orient(curve, a0, a1, look_at)
        meta = {"mode": mode, "preset": pr.name, "clearance_m": self.clearance, "scene": self.scene.name}
        return time_path(curve, angles, pr, meta=meta, **kw)

    def fly_curve(self, lead: list[np.ndarray], goal: np.ndarray) -> Curve:
        """A smooth curve that follows `lead` (points of a path being interrupted, or just the start)
        and then flies to `goal`, keeping the clearance everywhere."""
        c = self.clearance
        p0 = lead[-1]
        self._check_clear(lead[0], "start")
        self._check_clear(goal, "goal")
        stats: dict[str, Any] = {"straight": True, "bricks": 0, "route_points": 2}
        if self.field.segment_clear(p0, goal, c):
            corners = np.vstack([p0, goal])
        else:
            stats["straight"] = False
            corners = self._search(p0, goal, stats)
        pts = np.vstack([*lead[:-1], corners]) if len(lead) > 1 else corners
        n_lead = len(lead) - 1

        def slack(q: np.ndarray) -> np.ndarray:
            s = 0.7 * (self.field.distance(q) - c)
            s[: max(0, 4 * n_lead)] = 0.002  # stay on the interrupted path while leaving it
            return s

        def ok(cv: Curve) -> bool:
            return bool(np.all(self.field.distance(cv.points) >= c + 0.03))

        curve = smooth_route(pts, slack, ok, spacing=1.0 if n_lead == 0 else 0.25)
        if curve is None:
            raise PlanningError(
                f"no smooth path keeps {c} m clearance from {np.round(p0, 2).tolist()} to "
                f"{np.round(goal, 2).tolist()}; lower the clearance or pick other endpoints"
            )
        stats["length_m"] = curve.length
        self.last_stats = stats
        return curve

    def _search(self, a: np.ndarray, b: np.ndarray, stats: dict[str, Any]) -> np.ndarray:
        c, f = self.clearance, self.field
        dist = float(np.linalg.norm(b - a))

        def region(pad: float) -> tuple[np.ndarray, np.ndarray]:
            lo, hi = np.minimum(a, b) - pad, np.maximum(a, b) + pad
            lo = np.minimum(np.maximum(lo, f.lo - 5.0), np.minimum(a, b))
            return lo, np.maximum(np.minimum(hi, f.hi + 5.0), np.maximum(a, b))

        pad = max(15.0, 0.3 * dist)
        lo, hi = region(pad)
        voxel = max(0.2, c / 2, (float(np.prod(hi - lo)) / self.max_voxels) ** (1 / 3))
        # finer levels: less margin, smaller voxels, and a region shrunk (down to 3 m around the
        # endpoints) so the grid stays within 8 × max_voxels
        levels = []
        for margin, vx in ((self.margin, voxel), (self.margin / 2, voxel / 2), (0.0, voxel / 3)):
            p = pad
            box = region(p)
            while float(np.prod(box[1] - box[0])) / vx**3 > 8.001 * self.max_voxels and p > 3.0:
                p = max(3.0, 0.75 * p)
                box = region(p)
            if float(np.prod(box[1] - box[0])) / vx**3 > 8.001 * self.max_voxels:
                break
            levels.append((margin, vx, box))
        for level, (margin, vx, (lo, hi)) in enumerate(levels):
            grid = VoxelSearch(f, lo, hi, vx, c + margin)
            i0, i1 = grid.entry(a, c), grid.entry(b, c)
            # A route found expands about as many voxels as it is long; a level whose coarse voxels
            # close a narrow passage would flood everything reachable (seconds), so only the last
            # level gets the full budget.
            budget = 400_000 if level == len(levels) - 1 else max(10_000, int(50 * dist / vx))
            route = grid.astar(i0, i1, max_expand=budget) if i0 is not None and i1 is not None else None
            stats["bricks"] += grid.bricks_done
            stats["voxel_m"] = vx
            if route is not None:
                pts = np.vstack([a, *(grid.centre(i) for i in route), b])
                req = c + margin

                def clear(p: np.ndarray, q: np.ndarray, req: float = req) -> bool:
                    return f.segment_clear(p, q, req)

                corners = shortcut(pts, clear)
                stats["route_points"] = len(corners)
                return corners
        raise PlanningError(
            f"no route keeps {c} m clearance from {np.round(a, 2).tolist()} to {np.round(b, 2).tolist()} "
            "within the search region; lower the clearance, or move an endpoint into open space"
        )

    # -- walking -------------------------------------------------------------------------------
    def _walk(
        self,
        p0: np.ndarray,
        p1: np.ndarray,
        a0: tuple[float, float],
        a1: tuple[float, float] | None,
        pr: Preset,
        look_at: np.ndarray | None,
    ) -> CameraPath:
        b, w = self.body, self.walker
        foot0 = self._foot_under(p0, "start")
        self._foot_under(p1, "goal")
        xz0, xz1 = p0[[0, 2]], p1[[0, 2]]
        cell = min(0.25, b.radius * 0.6)
        if w.segment_ok(xz0, xz1, foot0, cell):
            corners = [xz0, xz1]
        else:
            dist = float(np.linalg.norm(xz1 - xz0))
            route = w.search(xz0, xz1, foot0, cell, max(4.0, 0.3 * dist))
            if route is None:
                raise PlanningError(
                    f"no walkable route from {np.round(p0, 2).tolist()} to {np.round(p1, 2).tolist()} "
                    f"(steps up to {b.max_step} m, slopes up to {b.max_slope_deg}°)"
                )
            along = w.follow(np.asarray(route[1:]), foot0)
            feet = np.concatenate([[foot0], along if along is not None else np.full(len(route) - 1, foot0)])
            pts = np.asarray(route)
            keep = [0]
            i = 0
            while i < len(pts) - 1:  # shortcut: farthest point reachable by walking straight
                j = len(pts) - 1
                while j > i + 1 and not w.segment_ok(pts[i], pts[j], float(feet[i]), cell):
                    j -= 1
                keep.append(j)
                i = j
            corners = [pts[k] for k in keep]
        flat = np.column_stack(
            [np.array(corners)[:, 0], np.full(len(corners), p0[1]), np.array(corners)[:, 1]]
        )

        def ok(cv: Curve) -> bool:
            return w.follow(cv.points[1:, [0, 2]][::2], foot0) is not None

        curve = smooth_route(flat, lambda q: np.full(len(q), 0.15), ok, spacing=0.5)
        if curve is None:
            raise PlanningError("the walk route cannot be smoothed without leaving walkable ground")
        feet_or_none = w.follow(curve.points[:, [0, 2]], foot0)
        if feet_or_none is None:
            raise PlanningError("the smoothed walk route leaves walkable ground; move the endpoints")
        feet, s_grid = feet_or_none, curve.s

        def vertical(times: np.ndarray, s_t: np.ndarray) -> np.ndarray:
            return w.eye_heights(np.interp(s_t, s_grid, feet), float(times[1] - times[0]))

        a_end = None if a1 is None else (a1[0], 0.0)
        return self._timed(
            curve, (a0[0], 0.0), a_end, pr, look_at, "walk", cap=pr.walk_speed, vertical=vertical
        )

    def _foot_under(self, p: np.ndarray, name: str) -> float:
        b = self.body
        h, _ = self.field.ground(np.array([[p[0], p[1] - b.eye_height + b.max_step + 0.05, p[2]]]))
        if not math.isfinite(float(h[0])):
            raise ConfigError(f"`{name}` {np.round(p, 2).tolist()} has no ground below it to walk on")
        return float(h[0])

    # -- interruptions -------------------------------------------------------------------------
    def replan(
        self, path: CameraPath, t_now: float, goal: Endpoint, preset: str | Preset | None = None
    ) -> CameraPath:
        """A new path (its t = 0 is `t_now` on `path`) from the current pose and velocity to `goal`:
        position, velocity and acceleration continuous, every limit kept from t = 0 (and across the
        switch). The result flies; `meta["replan"]` says how, `limits_checked` whether it measured
        within the preset.

        Two candidates; the faster that keeps the limits (measured from just before the switch) wins:
        *brake* slows to rest along the old path's track — its speed follows a jerk-limited stop that
        starts from the old path's speed and acceleration — and plans afresh from there, so it takes
        about a fresh plan's time plus the braking time; *turn* (only when the goal lies ahead) keeps
        to the old track for the braking distance and flies on without stopping. It wins only when
        the old path cruises straight at the switch (otherwise its acceleration would jump)."""
        pr = preset_from_name(preset or str(path.meta.get("preset", "comfortable")))
        pose, vel = path.sample(t_now)
        if float(np.linalg.norm(vel)) < 1e-3 or path.duration - t_now < 0.01:
            fresh = self.plan(pose, goal, "fly", pr)
            fresh.meta["replan"] = "rest"
            self.last_stats = {**self.last_stats, "replan": "rest", "brake_s": 0.0}
            return fresh
        meta = {"mode": "fly", "preset": pr.name, "clearance_m": self.clearance, "scene": self.scene.name}
        found: list[CameraPath] = []
        failure: PlanningError | None = None
        stop = brake(path, t_now, pr)
        try:
            rest = self.plan(stop.sample(stop.duration)[0], goal, "fly", pr)
        except PlanningError as exc:
            failure = exc
        else:
            found.append(splice(stop, rest, {**meta, "replan": "brake", "brake_s": round(stop.duration, 6)}))
        try:
            turn = self._turn(path, t_now, goal, pr, found[0].duration if found else _TURN_MAX_S)
        except PlanningError as exc:
            turn, failure = None, failure or exc
        if turn is not None:
            turn.meta["replan"] = "turn"
            found.append(turn)
        if not found:
            assert failure is not None
            raise failure
        for c in found:  # measured from just before the switch: a jump in acceleration counts too
            c.meta["limits_checked"] = check(c, pr, lead=(path, t_now))
        best = min(found, key=lambda c: (not c.meta["limits_checked"], c.duration))
        self.last_stats = {**self.last_stats, "replan": best.meta["replan"], "brake_s": stop.duration}
        return best

    def _turn(
        self, path: CameraPath, t_now: float, goal: Endpoint, pr: Preset, budget: float = _TURN_MAX_S
    ) -> CameraPath | None:
        """Keep to the old path for the braking distance, then fly to `goal` without stopping; None
        when the curve cannot be flown in under `budget` seconds (a sharp turn back, say)."""
        pose, vel = path.sample(t_now)
        p_now, speed = pose[:3, 3], float(np.linalg.norm(vel))
        yaw, pitch, _ = angles_from_rotation(pose[:3, :3])
        p1, a1 = self.endpoint(goal, "goal")
        ahead = p1 - p_now
        if float(np.dot(ahead, vel)) < 0.5 * speed * float(np.linalg.norm(ahead)):
            return None  # the goal is not ahead (within 60°): turning on the move loses to stopping
        # follow the old path for the braking distance (plus the jerk filter's reach) before turning
        room = speed * speed / pr.max_accel + speed * 2.0 * pr.max_accel / pr.max_jerk + 0.5
        ts = np.linspace(t_now, path.duration, 400)
        p = path.position(ts)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
        k = int(np.searchsorted(arc, room))
        lead_ts = ts[: max(2, k + 1)]
        lead = [q for q in path.position(np.linspace(lead_ts[0], lead_ts[-1], max(3, int(room / 0.25))))]
        curve = self.fly_curve(lead, p1)
        curve = _pin_tangent(curve, p_now, vel / speed)
        if float(self.field.distance(curve.points[: int(1.0 / 0.05)]).min()) < self.clearance:
            return None  # bending onto the tangent would graze a collider
        if least_time(curve, orient(curve, (yaw, pitch), a1), pr) >= budget:
            return None
        return self._timed(curve, (yaw, pitch), a1, pr, None, "fly", v0=speed, v0_vec=vel)


def _pin_tangent(curve: Curve, p0: np.ndarray, direction: np.ndarray, ell: float = 0.5) -> Curve:
    """The same curve with its first `ell` metres bent onto the line p0 + direction·s (C2 blend)."""
    s = curve.s[:, None]
    y = np.clip(s / min(ell, curve.length / 4), 0.0, 1.0)
    w = 1.0 - y**3 * (10.0 - 15.0 * y + 6.0 * y * y)
    pts = curve.points + w * (p0 + direction * s - curve.points)
    return Curve(pts)
