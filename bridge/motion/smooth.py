"""From a polyline route to a smooth curve: shortcut the route wherever a straight segment keeps the
clearance, then fit a C2 cubic smoothing spline whose deviation from the route is allowed only as far
as each point's spare clearance, and resample it by arc length."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.interpolate import CubicSpline, splev, splprep

__all__ = ["Curve", "shortcut", "smooth_route", "straight_curve"]

SegmentClear = Callable[[np.ndarray, np.ndarray], bool]


class Curve:
    """A C2 curve by arc length: `at(s)`, and its dense samples `s`, `points` (5 cm apart or finer)."""

    def __init__(self, points: np.ndarray) -> None:
        p = np.asarray(points, np.float64)
        seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
        keep = np.concatenate([[True], seg > 1e-9])
        p = p[keep]
        s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
        self.length = float(s[-1])
        if len(p) < 2:
            p, s = np.vstack([p[:1], p[:1]]), np.array([0.0, 1e-9])
        self._spline = CubicSpline(s, p, axis=0) if len(p) > 2 else None
        self._p0, self._p1, self._s = p[0], p[-1], s
        n = max(2, int(np.ceil(self.length / 0.05)) + 1)
        n = min(n, 8001)
        self.s = np.linspace(0.0, self.length, n)
        self.points = self.at(self.s)

    def at(self, s: np.ndarray | float, nu: int = 0) -> np.ndarray:
        s = np.clip(s, 0.0, self.length)
        if self._spline is None:
            d = (self._p1 - self._p0) / max(self.length, 1e-9)
            if nu == 0:
                return np.asarray(self._p0 + np.multiply.outer(s, d))
            return np.asarray(np.multiply.outer(np.ones_like(s), d if nu == 1 else 0 * d))
        return np.asarray(self._spline(s, nu))


def straight_curve(a: np.ndarray, b: np.ndarray) -> Curve:
    return Curve(np.vstack([a, b]))


def shortcut(route: np.ndarray, clear: SegmentClear) -> np.ndarray:
    """Keep only the route's corners that a straight segment cannot skip (greedy, farthest first)."""
    out, i, n = [route[0]], 0, len(route)
    while i < n - 1:
        lo, hi = i + 1, n - 1
        if clear(route[i], route[hi]):
            lo = hi
        else:
            while hi - lo > 1:  # binary search for the farthest reachable point
                mid = (lo + hi) // 2
                if clear(route[i], route[mid]):
                    lo = mid
                else:
                    hi = mid
        out.append(route[lo])
        i = lo
    return np.asarray(out)


def _densify(poly: np.ndarray, spacing: float) -> np.ndarray:
    pts = [poly[0]]
    for a, b in zip(poly[:-1], poly[1:], strict=True):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / spacing)))
        pts.extend(a + (b - a) * (k / n) for k in range(1, n + 1))
    return np.asarray(pts)


def smooth_route(
    corners: np.ndarray,
    slack: Callable[[np.ndarray], np.ndarray],
    ok: Callable[[Curve], bool],
    spacing: float = 1.0,
) -> Curve | None:
    """A smoothing spline through the corner polyline; `slack(points)` says how far each may move.

    Tries looser to tighter fits and returns the first curve `ok` accepts (None if even the
    interpolating fit fails)."""
    if len(corners) == 2:
        c = straight_curve(corners[0], corners[1])
        return c if ok(c) else None
    pts = _densify(corners, spacing)
    sigma = np.clip(slack(pts), 1e-3, 3.0)
    sigma[0] = sigma[-1] = 1e-4
    for scale in (0.5, 0.25, 0.1, 0.03, 0.0):
        if scale == 0.0:
            dense = _densify(corners, spacing / 4)
            curve = Curve(dense)
        else:
            u = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
            tck, _ = splprep(pts.T, u=u / u[-1], w=1.0 / (sigma * scale), k=3, s=len(pts), quiet=2)
            uu = np.linspace(0.0, 1.0, max(200, int(u[-1] / 0.02)))
            dense = np.stack(splev(uu, tck), axis=1)
            # the spline only nearly reaches the endpoints: fold the tiny gap in smoothly
            curve = Curve(_pin_ends(dense, corners[0], corners[-1]))
        if ok(curve):
            return curve
    return None


def _smoothstep(y: np.ndarray) -> np.ndarray:
    y = np.clip(y, 0.0, 1.0)
    return np.asarray(y**3 * (10.0 - 15.0 * y + 6.0 * y * y))


def _pin_ends(dense: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.linspace(0.0, 1.0, len(dense))[:, None]
    w0, w1 = 1.0 - _smoothstep(x * 20.0), 1.0 - _smoothstep((1.0 - x) * 20.0)
    return np.asarray(dense + w0 * (a - dense[0]) + w1 * (b - dense[-1]))
