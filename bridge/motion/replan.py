"""Interruptions: pieces `Planner.replan` builds a new path from. `brake` slows the running path to rest
along its own track (a time warp of the old path, so position, velocity, acceleration and turning are
continuous at the switch); `splice` joins two paths end to start; `check` measures a path with finite
differences from its first instant, or from just before the switch on the path it interrupts."""

from __future__ import annotations

import math

import numpy as np

from bridge.motion.path import CameraPath
from bridge.motion.presets import Preset
from bridge.motion.timing import KNOT_HZ

__all__ = ["brake", "check", "splice"]

_FINE = 1e-3


def check(path: CameraPath, pr: Preset, lead: tuple[CameraPath, float] | None = None) -> bool:
    """Whether the whole path, from t = 0, keeps the preset's limits (with the planner's margins).

    With `lead` = (old path, t_now) the measurement starts 0.05 s before the switch on the old path,
    so a jump in acceleration (a jerk spike) or in turning at the switch counts too."""
    dt = 0.01
    t = np.arange(0.0, path.duration + dt / 2, dt)
    pos, ang = path.position(t), np.asarray(path._ang(np.clip(t, 0.0, path.duration)))[:, :2]
    if lead is not None:
        old, t_now = lead
        tb = t_now - dt * np.arange(min(5, int(t_now / dt)), 0, -1)
        ang_b = np.asarray(old._ang(tb)).reshape(-1, 3)[:, :2]
        ang_b[:, 0] += 2 * math.pi * round((ang[0, 0] - float(old._ang(t_now)[0])) / (2 * math.pi))
        pos, ang = np.vstack([old.position(tb).reshape(-1, 3), pos]), np.vstack([ang_b, ang])
    v = np.diff(pos, axis=0) / dt
    a = np.diff(v, axis=0) / dt
    j = np.diff(a, axis=0) / dt
    rate = math.degrees(float(np.abs(np.diff(ang, axis=0)).max(initial=0.0))) / dt
    return bool(
        np.linalg.norm(v, axis=1).max(initial=0.0) <= 0.97 * pr.max_speed
        and np.linalg.norm(a, axis=1).max(initial=0.0) <= 0.95 * pr.max_accel
        and np.linalg.norm(j, axis=1).max(initial=0.0) <= 0.9 * pr.max_jerk
        and rate <= 0.95 * pr.max_yaw_rate_deg
    )


def _stopping(v0: float, a0: float, a_b: float, j_b: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Knots (times, accelerations) of a jerk-limited stop along the track: the acceleration goes
    from `a0` (the old path's, so it is continuous) to −a_p at jerk `j_b`, holds, and returns to 0
    as the speed reaches 0; a_p ≤ `a_b`. None when even an immediate return to 0 stops too soon
    (the old path is braking harder already)."""
    if v0 - a0 * a0 / (2 * j_b) < 0 and a0 < 0:
        return None
    a_p = min(a_b, math.sqrt(j_b * v0 + a0 * a0 / 2))
    a_p = max(a_p, -a0) if a0 < 0 else a_p
    t1, t3 = abs(a0 + a_p) / j_b, a_p / j_b
    dv = v0 + (a0 - a_p) / 2 * t1 - a_p * t3 / 2
    t2 = max(0.0, dv / a_p) if a_p > 0 else 0.0
    times = np.cumsum([0.0, t1, t2, t3])
    return times, np.array([a0, -a_p, -a_p, 0.0])


def brake(path: CameraPath, t_now: float, pr: Preset, accel: float = 0.95, jerk: float = 0.9) -> CameraPath:
    """The running `path` from `t_now`, slowed to rest along its own track: t = 0 is `t_now` on `path`.

    The speed along the track follows a jerk-limited stop that starts from the old path's speed and
    acceleration, so position, velocity and acceleration are continuous at t = 0, and the orientation
    is the old path's at each point of the track. The stop uses `accel` and `jerk` of the preset's
    budget, lowered until the result measures within it. When the old path comes to rest sooner (or
    brakes harder already), its remainder is returned as it is."""
    vel = path.velocity(t_now)
    v0 = float(np.linalg.norm(vel))
    a0 = float(np.dot(np.asarray(path._pos(t_now, 2)), vel) / max(v0, 1e-9))
    # the old track by arc length (1 ms steps of old time)
    u_tab = np.arange(t_now, path.duration + _FINE / 2, _FINE)
    u_tab[-1] = path.duration
    spd = np.linalg.norm(path.velocity(u_tab), axis=1)
    s_tab = np.concatenate([[0.0], np.cumsum((spd[1:] + spd[:-1]) / 2 * np.diff(u_tab))])
    out: CameraPath | None = None
    for _ in range(8):
        knots = _stopping(v0, a0, accel * pr.max_accel, jerk * pr.max_jerk)
        if knots is None:
            break
        t = np.arange(0.0, knots[0][-1] + _FINE / 2, _FINE)
        acc = np.interp(t, *knots)
        sigma = np.maximum(v0 + np.concatenate([[0.0], np.cumsum((acc[1:] + acc[:-1]) / 2 * _FINE)]), 0.0)
        sigma[-1] = 0.0
        s = np.concatenate([[0.0], np.cumsum((sigma[1:] + sigma[:-1]) / 2 * _FINE)])
        if s[-1] >= s_tab[-1]:
            break  # the old path ends first
        u = np.interp(s, s_tab, u_tab)
        du = sigma / np.maximum(np.interp(u, u_tab, spd), 1e-9)
        out = _sampled(path, t, u, du)
        if check(out, pr):
            return out
        accel, jerk = accel * 0.9, jerk * 0.9
    else:
        assert out is not None
        out.meta["limits_checked"] = False
        return out
    t = np.arange(0.0, path.duration - t_now + _FINE / 2, _FINE)
    return _sampled(path, t, np.minimum(t_now + t, path.duration), np.ones_like(t))


def _sampled(path: CameraPath, t: np.ndarray, u: np.ndarray, du: np.ndarray) -> CameraPath:
    """Knots (50 per second and the last instant) of the old path at warped times."""
    step = max(1, int(round(1.0 / (KNOT_HZ * _FINE))))
    idx = np.unique(np.concatenate([np.arange(0, len(t), step), [len(t) - 1]]))
    if len(idx) > 2 and t[idx[-1]] - t[idx[-2]] < 0.25 * step * _FINE:
        idx = np.delete(idx, -2)  # no sliver of a last interval
    uu = np.clip(u[idx], 0.0, path.duration)
    vel = path.velocity(uu) * du[idx, None]
    ang = np.asarray(path._ang(uu))
    return CameraPath(t[idx] - t[0], path.position(uu), ang, vel, dict(path.meta))


def splice(first: CameraPath, second: CameraPath, meta: dict[str, object] | None = None) -> CameraPath:
    """`first` then `second` (which starts where `first` ends); yaw kept continuous (unwrapped)."""
    ang = second.angles.copy()
    ang[:, 0] += 2 * math.pi * round((first.angles[-1, 0] - ang[0, 0]) / (2 * math.pi))
    times = np.concatenate([first.times, first.duration + second.times[1:]])
    return CameraPath(
        times,
        np.vstack([first.positions, second.positions[1:]]),
        np.vstack([first.angles, ang[1:]]),
        np.vstack([first.velocities, second.velocities[1:]]),
        dict(meta if meta is not None else second.meta),
    )
