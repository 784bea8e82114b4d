"""Walk mode: a body that stands on the colliders. Ground by downward rays from just above the step
height, a maximum step and slope, a body column kept clear of walls, a 2D A* over cells, and the eye's
height over time (a stiff spring over steps, gravity off ledges)."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from bridge.motion.field import DistanceField

__all__ = ["Body", "Walker"]


@dataclass(frozen=True)
class Body:
    """The walker: eye height, step, slope, radius (the clearance) and gravity."""

    eye_height: float = 1.7
    max_step: float = 0.35
    max_slope_deg: float = 35.0
    radius: float = 0.4
    gravity: float = 9.81


class Walker:
    """Walkability queries and the search for one body in one scene."""

    def __init__(self, field: DistanceField, body: Body) -> None:
        self.field, self.body = field, body
        self.min_ny = math.cos(math.radians(body.max_slope_deg))

    def step(self, xz: np.ndarray, foot: float, level: float = -math.inf) -> float | None:
        """Foot height after moving to `xz` from a foot at `foot`, or None when blocked. The body column
        is checked from `level` up at least (a walker that just stepped off a ledge is still up there)."""
        b = self.body
        x, z = float(xz[0]), float(xz[1])
        h_arr, ny = self.field.ground(np.array([[x, foot + b.max_step + 0.05, z]]))
        h = float(h_arr[0])
        if not math.isfinite(h) or ny[0] < self.min_ny and foot - h <= b.max_step:
            return None
        level = max(h, level, foot if foot - h > b.max_step else h)  # a drop: clear the body at the old level
        lo, hi = level + b.max_step + b.radius, level + b.eye_height
        ys = np.linspace(lo, max(lo, hi), 3)
        pts = np.column_stack([np.full(3, x), ys, np.full(3, z)])
        if np.any(self.field.distance(pts) < b.radius):
            return None
        return h

    def follow(self, xz: np.ndarray, foot: float) -> np.ndarray | None:
        """Foot heights along consecutive `xz` points (None if any step is blocked)."""
        out = np.empty(len(xz))
        state = (foot, -math.inf, np.asarray(xz[0], np.float64))
        for i, q in enumerate(xz):
            nxt = self.advance(q, state)
            if nxt is None:
                return None
            state = nxt
            out[i] = state[0]
        return out

    def advance(
        self, q: np.ndarray, state: tuple[float, float, np.ndarray]
    ) -> tuple[float, float, np.ndarray] | None:
        """Walk state (foot, airborne level, where it left the ledge) after moving to `q`."""
        foot, level, edge = state
        if float(np.linalg.norm(q - edge)) > self.body.radius * 1.5:
            level = -math.inf  # far enough from the ledge: the body is down where the feet are
        f = self.step(q, foot, level)
        if f is None:
            return None
        if foot - f > self.body.max_step:
            return f, foot, np.asarray(q, np.float64)
        return f, level, edge

    def segment_ok(self, a: np.ndarray, b: np.ndarray, foot: float, spacing: float) -> bool:
        n = max(1, int(math.ceil(float(np.linalg.norm(b - a)) / spacing)))
        return self.follow(a + (b - a) * (np.arange(1, n + 1) / n)[:, None], foot) is not None

    def search(
        self, a: np.ndarray, b: np.ndarray, foot: float, cell: float, pad: float
    ) -> list[np.ndarray] | None:
        """2D weighted A* over `cell`-sized steps from xz `a` to xz `b` (within `cell` of it)."""
        lo = np.minimum(a, b) - pad
        hi = np.maximum(a, b) + pad
        shape = np.ceil((hi - lo) / cell).astype(int) + 1
        moves = [(di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1) if (di, dj) != (0, 0)]
        si = np.round((a - lo) / cell).astype(int)
        start = (int(si[0]), int(si[1]))
        state_of: dict[tuple[int, int], tuple[float, float, np.ndarray]] = {start: (foot, -math.inf, a)}
        g: dict[tuple[int, int], float] = {start: 0.0}
        came: dict[tuple[int, int], tuple[int, int]] = {}
        heap = [(0.0, start)]
        closed: set[tuple[int, int]] = set()
        while heap and len(closed) < 60_000:
            node: tuple[int, int] = heapq.heappop(heap)[1]
            if node in closed:
                continue
            closed.add(node)
            here = lo + np.array(node) * cell
            if np.linalg.norm(here - b) <= cell * 1.5 and self.segment_ok(here, b, state_of[node][0], cell):
                out = [b, here]
                while node in came:
                    node = came[node]
                    out.append(lo + np.array(node) * cell)
                out[-1] = a
                return out[::-1]
            for di, dj in moves:
                nb = (node[0] + di, node[1] + dj)
                if nb in closed or not (0 <= nb[0] < shape[0] and 0 <= nb[1] < shape[1]):
                    continue
                ng = g[node] + cell * math.hypot(di, dj)
                if ng >= g.get(nb, math.inf):
                    continue
                st = self.advance(lo + np.array(nb) * cell, state_of[node])
                if st is None:
                    continue
                g[nb], came[nb], state_of[nb] = ng, node, st
                heapq.heappush(heap, (ng + 1.5 * float(np.linalg.norm(lo + np.array(nb) * cell - b)), nb))
        return None

    def eye_heights(self, grounds: np.ndarray, dt: float) -> np.ndarray:
        """Eye height over time from the ground under the walker at each tick: a stiff critically
        damped spring over steps; free fall (gravity) when the ground drops by more than a step."""
        b = self.body
        target = grounds + b.eye_height
        y, vy, falling = float(target[0]), 0.0, False
        w = 18.0
        out = np.empty(len(target))
        for i, tgt in enumerate(target):
            if falling or y - tgt > b.max_step:
                falling = True
                vy -= b.gravity * dt
                y += vy * dt
                if y <= tgt:
                    y, vy, falling = float(tgt), 0.0, False
            else:
                vy += (w * w * (tgt - y) - 2 * w * vy) * dt
                y += vy * dt
            out[i] = y
        return out
