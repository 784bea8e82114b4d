"""Route search when the straight line is blocked: weighted A* over a voxel grid whose occupancy is
computed lazily, 8×8×8 voxels at a time, from exact distance queries, so a search across a large city
only pays for the bricks it touches."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np

from bridge.motion.field import DistanceField

__all__ = ["VoxelSearch"]

_BRICK = 8
_UNKNOWN, _FREE, _BLOCKED = 0, 1, 2


class VoxelSearch:
    """A bounded voxel grid over `lo..hi`; a voxel is free when its centre keeps `required` plus half a
    voxel diagonal, so the straight segments between neighbouring free centres keep `required`."""

    def __init__(
        self, field: DistanceField, lo: np.ndarray, hi: np.ndarray, voxel: float, required: float
    ) -> None:
        self.field, self.voxel, self.required = field, voxel, required
        self.lo = np.asarray(lo, np.float64)
        # one blocked voxel of padding on every side spares bounds checks in the search loop
        inner = np.maximum(1, np.ceil((np.asarray(hi) - self.lo) / voxel).astype(int) + 1)
        self.shape = tuple(int(n) + 2 for n in inner)
        self.state = np.zeros(self.shape, np.int8)
        self.state[0, :, :] = self.state[-1, :, :] = _BLOCKED
        self.state[:, 0, :] = self.state[:, -1, :] = _BLOCKED
        self.state[:, :, 0] = self.state[:, :, -1] = _BLOCKED
        self.flat = self.state.reshape(-1)
        self.threshold = required + voxel * math.sqrt(3.0) / 2.0
        sy, sz = self.shape[1] * self.shape[2], self.shape[2]
        self.moves = [
            (dx * sy + dy * sz + dz, voxel * math.sqrt(dx * dx + dy * dy + dz * dz))
            for dx, dy, dz in itertools.product((-1, 0, 1), repeat=3)
            if (dx, dy, dz) != (0, 0, 0)
        ]
        self.bricks_done = 0
        self.expanded = 0
        """Voxels the last `astar` expanded."""

    def centre(self, i: int) -> np.ndarray:
        ijk = np.array(np.unravel_index(i, self.shape), np.float64)
        return np.asarray(self.lo + (ijk - 1) * self.voxel)

    def index_of(self, p: np.ndarray) -> int:
        ijk = np.clip(np.round((p - self.lo) / self.voxel).astype(int) + 1, 1, np.array(self.shape) - 2)
        return int(np.ravel_multi_index(tuple(ijk), self.shape))

    def _fill_brick(self, i: int) -> None:
        ijk = np.unravel_index(i, self.shape)
        b0 = [max(1, (int(c) - 1) // _BRICK * _BRICK + 1) for c in ijk]
        b1 = [min(s - 1, b + _BRICK) for b, s in zip(b0, self.shape, strict=True)]
        gi, gj, gk = np.meshgrid(*(np.arange(a, b) for a, b in zip(b0, b1, strict=True)), indexing="ij")
        pts = self.lo + (np.stack([gi, gj, gk], -1).reshape(-1, 3) - 1) * self.voxel
        free = self.field.distance(pts) >= self.threshold
        self.state[b0[0] : b1[0], b0[1] : b1[1], b0[2] : b1[2]] = np.where(free, _FREE, _BLOCKED).reshape(
            gi.shape
        )
        self.bricks_done += 1

    def is_free(self, i: int) -> bool:
        s = self.flat[i]
        if s == _UNKNOWN:
            self._fill_brick(i)
            s = self.flat[i]
        return bool(s == _FREE)

    def entry(self, p: np.ndarray, connect: float, radius: int = 3) -> int | None:
        """The nearest free voxel whose centre `p` reaches by a segment keeping `connect`."""
        base = np.array(np.unravel_index(self.index_of(p), self.shape))
        offs = np.array(list(itertools.product(range(-radius, radius + 1), repeat=3)))
        cand = base + offs
        ok = np.all((cand >= 1) & (cand < np.array(self.shape) - 1), axis=1)
        cand = cand[ok]
        centres = self.lo + (cand - 1) * self.voxel
        order = np.argsort(np.linalg.norm(centres - p, axis=1), kind="stable")
        for j in order[:64]:
            i = int(np.ravel_multi_index(tuple(cand[j]), self.shape))
            if self.is_free(i) and self.field.segment_clear(p, centres[j], connect, step=self.voxel / 4):
                return i
        return None

    def astar(
        self, start: int, goal: int, weight: float = 1.6, max_expand: int = 400_000
    ) -> list[int] | None:
        """Voxel indices from start to goal (weighted A*: at most `weight` times the shortest), or None
        (no route, or more than `max_expand` voxels expanded)."""
        sy, sz = self.shape[1] * self.shape[2], self.shape[2]
        gx, r = divmod(goal, sy)
        gy, gz = divmod(r, sz)
        wv = weight * self.voxel
        flat, fill, moves, sqrt = self.flat, self._fill_brick, self.moves, math.sqrt

        def h(i: int) -> float:
            x, r = divmod(i, sy)
            y, z = divmod(r, sz)
            return wv * sqrt((x - gx) ** 2 + (y - gy) ** 2 + (z - gz) ** 2)

        g = {start: 0.0}
        came: dict[int, int] = {}
        heap = [(h(start), start)]
        closed: set[int] = set()
        push, pop = heapq.heappush, heapq.heappop
        while heap and len(closed) < max_expand:
            _, i = pop(heap)
            if i == goal:
                self.expanded = len(closed)
                out = [i]
                while out[-1] in came:
                    out.append(came[out[-1]])
                return out[::-1]
            if i in closed:
                continue
            closed.add(i)
            gi = g[i]
            for off, cost in moves:
                j = i + off
                if j in closed:
                    continue
                ng = gi + cost
                if ng < g.get(j, math.inf):
                    s = flat[j]
                    if s == _UNKNOWN:
                        fill(j)
                        s = flat[j]
                    if s == _FREE:
                        g[j], came[j] = ng, i
                        push(heap, (ng + h(j), j))
        self.expanded = len(closed)
        return None
