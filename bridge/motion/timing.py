"""Orientation along a curve and the time law: look along the direction of travel, blended from the
start orientation and into the goal's; then a speed profile along arc length that keeps the preset's
speed, acceleration (along the path and in curves), jerk and yaw rate, checked with numerical
derivatives and tightened until it holds."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter1d

from bridge.motion.path import CameraPath
from bridge.motion.presets import Preset
from bridge.motion.smooth import Curve

__all__ = ["least_time", "measure", "orient", "time_path"]

KNOT_HZ = 50
_DT = 1.0 / (2 * KNOT_HZ)
Vertical = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(times, arc length at those times) -> eye height: walk mode's ground following and falls."""


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _smoothstep(y: np.ndarray) -> np.ndarray:
    y = np.clip(y, 0.0, 1.0)
    return np.asarray(y**3 * (10.0 - 15.0 * y + 6.0 * y * y))


def orient(
    curve: Curve,
    start: tuple[float, float],
    goal: tuple[float, float] | None,
    look_at: np.ndarray | None = None,
    blend_m: float = 6.0,
    max_pitch: float = math.radians(30.0),
) -> np.ndarray:
    """(n, 2) yaw (unwrapped) and pitch in radians at `curve.s`: the travel direction (or the look-at
    point), blended from `start` over the first metres and into `goal` over the last."""
    s, p, length = curve.s, curve.points, curve.length
    if look_at is not None:
        d = np.asarray(look_at, np.float64) - p
        yaw = np.unwrap(np.arctan2(-d[:, 0], -d[:, 2]))
        pitch = np.arcsin(np.clip(d[:, 1] / np.maximum(np.linalg.norm(d, axis=1), 1e-9), -1, 1))
        goal = None
    else:
        t = curve.at(s, 1)
        flat = np.hypot(t[:, 0], t[:, 2])
        ok = flat > 0.3
        if ok.sum() >= 2:
            raw = np.unwrap(np.arctan2(-t[ok, 0], -t[ok, 2]))
            yaw = np.interp(s, s[ok], raw)
        else:  # a vertical move: turn evenly from the start heading to the goal heading
            g = goal if goal is not None else start
            yaw = start[0] + _wrap(g[0] - start[0]) * (s / max(length, 1e-9))
        pitch = np.clip(np.arcsin(np.clip(t[:, 1], -1, 1)), -max_pitch, max_pitch)
        pitch = np.where(ok, pitch, 0.0)
    if look_at is None and length > 1e-6 and len(s) > 4:
        sig = max(1.0, 0.5 / (s[1] - s[0]))
        yaw, pitch = (
            gaussian_filter1d(yaw, sig, mode="nearest"),
            gaussian_filter1d(pitch, sig, mode="nearest"),
        )
    if blend_m <= 0:
        return np.stack([yaw, pitch], axis=1)
    if look_at is None and length < 2 * blend_m:
        # a short move hardly travels: turn straight from the start orientation to the goal's, looking
        # along the travel direction only in proportion (a hop backwards would turn around and back)
        m = length / (2 * blend_m)
        g = goal if goal is not None else start
        w = _smoothstep(s / max(length, 1e-9))
        direct_yaw = start[0] + _wrap(g[0] - start[0]) * w
        direct_pitch = start[1] + (g[1] - start[1]) * w
        mid = len(s) // 2
        yaw = yaw + 2 * math.pi * round((direct_yaw[mid] - yaw[mid]) / (2 * math.pi))
        yaw, pitch = m * yaw + (1 - m) * direct_yaw, m * pitch + (1 - m) * direct_pitch
    b = min(blend_m, length / 2) if length > 0 else 1.0
    w0 = 1.0 - _smoothstep(s / max(b, 1e-9))
    y0 = yaw[0] + _wrap(start[0] - yaw[0])
    yaw_out = w0 * y0 + (1 - w0) * yaw
    pitch_out = w0 * start[1] + (1 - w0) * pitch
    if goal is not None:
        w1 = _smoothstep((s - length + b) / max(b, 1e-9))
        y1 = yaw_out[-1] + _wrap(goal[0] - yaw_out[-1])
        yaw_out, pitch_out = w1 * y1 + (1 - w1) * yaw_out, w1 * goal[1] + (1 - w1) * pitch_out
    return np.stack([yaw_out, pitch_out], axis=1)


def _limits(curve: Curve, angles: np.ndarray, pr: Preset, k: float, cap: float) -> np.ndarray:
    s = curve.s
    ds = max(float(s[1] - s[0]), 1e-9)
    d1, d2 = curve.at(s, 1), curve.at(s, 2)
    d3 = np.gradient(d2, ds, axis=0)
    kappa = np.linalg.norm(d2, axis=1)
    jerk_geo = np.linalg.norm(d3, axis=1) + kappa**2 * np.linalg.norm(d1, axis=1)
    rate = np.max(np.abs(np.gradient(angles, ds, axis=0)), axis=1)
    v = np.full(len(s), min(pr.max_speed, cap) * min(0.95, k + 0.15))
    with np.errstate(divide="ignore"):
        v = np.minimum(v, np.sqrt(0.5 * k * pr.max_accel / np.maximum(kappa, 1e-12)))
        v = np.minimum(v, np.cbrt(0.35 * k * pr.max_jerk / np.maximum(jerk_geo, 1e-12)))
        v = np.minimum(v, 0.85 * k * math.radians(pr.max_yaw_rate_deg) / np.maximum(rate, 1e-12))
    return _hold(v, ds, 0.3 * _filter_s(pr, k))


def _hold(v: np.ndarray, ds: float, reach_s: float) -> np.ndarray:
    """Each limit held over the distance the jerk filter mixes at the speed held there: the filter
    averages `reach_s` seconds either side, so a point going at speed u must keep every limit within
    u·reach_s of it. u(i) = min over j of max(v[j], |i − j|·ds / reach_s): a low limit reaches only as
    far as the speed it allows nearby (a window sized by the top speed dragged one tight corner's crawl
    over metres of open path, and over an interruption's whole braking lead)."""
    out = v.copy()
    top = float(v.max(initial=0.0))
    for d in range(1, min(len(v), int(math.ceil(top * reach_s / ds)) + 1)):
        cone = d * ds / reach_s
        np.minimum(out[d:], np.maximum(v[:-d], cone), out=out[d:])
        np.minimum(out[:-d], np.maximum(v[d:], cone), out=out[:-d])
    return out


def least_time(curve: Curve, angles: np.ndarray, pr: Preset, cap: float = math.inf) -> float:
    """A lower bound on the duration `time_path` gives: the curve at its speed limits throughout."""
    if curve.length < 1e-3:
        return 0.0
    v = np.maximum(_limits(curve, angles, pr, 1.0, cap), 1e-9)
    return float(np.sum(np.diff(curve.s) * 2 / (v[1:] + v[:-1])))


def _filter_s(pr: Preset, k: float) -> float:
    return 2.0 * (0.5 * k * pr.max_accel) / (0.5 * k * pr.max_jerk)


def _profile(s: np.ndarray, vlim: np.ndarray, a: float, v0: float) -> np.ndarray:
    v = vlim.copy()
    v[0], v[-1] = v0, 0.0
    ds = np.diff(s)
    for i in range(len(v) - 1):
        v[i + 1] = min(v[i + 1], math.sqrt(v[i] * v[i] + 2 * a * ds[i]))
    for i in range(len(v) - 1, 0, -1):
        v[i - 1] = min(v[i - 1], math.sqrt(v[i] * v[i] + 2 * a * ds[i - 1]))
    v[0] = v0  # continuity wins over the limit where an interruption leaves no room
    return v


_MIN_PROFILE_SAMPLES = 16
"""Arc-length samples the speed profile needs at least, however short the curve."""


def _timed(curve: Curve, vlim: np.ndarray, pr: Preset, k: float, v0: float) -> tuple[np.ndarray, np.ndarray]:
    """(s, ds/dt) on a uniform 100 Hz grid: acceleration-limited profile, then a causal box filter
    whose width bounds the jerk; the filter's extra distance is folded back without touching v(0)."""
    s, length = curve.s, curve.length
    if len(s) < _MIN_PROFILE_SAMPLES:
        # A short hop (a few millimetres: the curve has only its end points) leaves the profile no room
        # between the two zero-speed ends: it would crawl at the 1e-4 m/s floor (a 5 mm hop: 54 s).
        fine = np.linspace(0.0, length, _MIN_PROFILE_SAMPLES)
        s, vlim = fine, np.interp(fine, s, vlim)
    v = _profile(s, vlim, 0.5 * k * pr.max_accel, v0)
    vm = np.maximum((v[1:] + v[:-1]) / 2, 1e-4)
    t = np.concatenate([[0.0], np.cumsum(np.diff(s) / vm)])
    grid = np.arange(0.0, t[-1] + _DT, _DT)
    vt = np.interp(grid, t, v)
    vt[-1] = 0.0
    n = max(1, int(round(_filter_s(pr, k) / _DT)))
    vf = np.convolve(np.concatenate([np.full(n - 1, v0), vt, np.zeros(n - 1)]), np.ones(n) / n, "valid")
    sf = np.concatenate([[0.0], np.cumsum((vf[1:] + vf[:-1]) / 2 * _DT)])
    total = sf[-1]
    frac = sf / total
    s_out = sf + (length - total) * frac**2
    v_out = vf * (1.0 + (length - total) * 2 * frac / total)
    return s_out, np.maximum(v_out, 0.0)


def measure(
    path: CameraPath, dt: float = 0.01, horizontal: bool = False, start: float = 0.0
) -> dict[str, float]:
    """Peak speed, acceleration, jerk (finite differences) and yaw/pitch rate of a path, from `start` s on."""
    t = np.arange(min(start, max(0.0, path.duration - 4 * dt)), path.duration + dt / 2, dt)
    p = path.position(t)
    if horizontal:
        p = p[:, [0, 2]]
    ang = path._ang(np.clip(t, 0, path.duration))[:, :2]
    v = np.diff(p, axis=0) / dt
    a = np.diff(v, axis=0) / dt
    j = np.diff(a, axis=0) / dt
    rate = np.abs(np.diff(ang, axis=0)) / dt
    return {
        "speed": float(np.linalg.norm(v, axis=1).max(initial=0.0)),
        "accel": float(np.linalg.norm(a, axis=1).max(initial=0.0)),
        "jerk": float(np.linalg.norm(j, axis=1).max(initial=0.0)),
        "yaw_rate_deg": math.degrees(float(rate.max(initial=0.0))),
    }


def _within(m: dict[str, float], pr: Preset, cap: float) -> bool:
    return (
        m["speed"] <= 0.97 * min(pr.max_speed, cap)
        and m["accel"] <= 0.95 * pr.max_accel
        and m["jerk"] <= 0.9 * pr.max_jerk
        and m["yaw_rate_deg"] <= 0.95 * pr.max_yaw_rate_deg
    )


def time_path(
    curve: Curve,
    angles: np.ndarray,
    pr: Preset,
    *,
    v0: float = 0.0,
    v0_vec: np.ndarray | None = None,
    cap: float = math.inf,
    vertical: Vertical | None = None,
    meta: dict[str, Any] | None = None,
) -> CameraPath:
    """The fastest path along `curve` within the preset (tightened until measured within it)."""
    meta = dict(meta or {})
    if curve.length < 1e-3:
        return _turn_in_place(curve.points[0], angles[0], angles[-1], pr, meta)
    ang_s = CubicSpline(curve.s, angles, axis=0)
    # An interruption inherits a velocity the new path must keep (continuity wins over the limits), so its
    # first moments may exceed them; judging those would only slow the whole path down (k → 0.1).
    transient = v0 / pr.max_accel + pr.max_accel / pr.max_jerk if v0 > 0 else 0.0
    k, path = 1.0, None
    for _ in range(8):
        s_t, v_t = _timed(curve, _limits(curve, angles, pr, k, cap), pr, k, v0)
        idx = np.unique(np.concatenate([np.arange(0, len(s_t), 2), [len(s_t) - 1]]))
        times = idx * _DT
        pos = curve.at(s_t[idx])
        vel = curve.at(s_t[idx], 1) * v_t[idx, None]
        if vertical is not None:
            y = vertical(np.arange(len(s_t)) * _DT, s_t)
            pos[:, 1] = y[idx]
            vel[:, 1] = np.gradient(y, _DT)[idx]
            vel[-1, 1] = 0.0
        if v0_vec is not None:
            vel[0] = v0_vec  # exact continuity with the path this one interrupts
        ang = np.column_stack([ang_s(s_t[idx]), np.zeros(len(idx))])
        path = CameraPath(times, pos, ang, vel, meta)
        m = measure(path, horizontal=vertical is not None, start=transient)
        if _within(m, pr, cap):
            break
        k *= 0.75
    assert path is not None
    path.meta["limits_checked"] = _within(m, pr, cap)
    return path


def _turn_in_place(
    p: np.ndarray, a0: np.ndarray, a1: np.ndarray, pr: Preset, meta: dict[str, Any]
) -> CameraPath:
    d = np.array([_wrap(float(a1[0] - a0[0])), float(a1[1] - a0[1])])
    dur = max(0.5, 1.875 * float(np.abs(d).max()) / (0.8 * math.radians(pr.max_yaw_rate_deg)))
    t = np.linspace(0.0, dur, max(3, int(dur * KNOT_HZ) + 1))
    w = _smoothstep(t / dur)[:, None]
    ang = np.column_stack([a0[0] + w[:, 0] * d[0], a0[1] + w[:, 0] * d[1], np.zeros(len(t))])
    pos = np.repeat(np.asarray(p, np.float64)[None], len(t), axis=0)
    return CameraPath(t, pos, ang, np.zeros_like(pos), {**meta, "limits_checked": True})
