"""A bounded, thread-safe LRU cache of encoded frames, so switching between branches (looks) at a
recently seen pose needs no re-render. Keys are exact: scene version, parameter hash, rounded pose,
FOV, size, encodings and projection; a hit returns the very object that was stored.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np

from bridge.errors import ConfigError

__all__ = [
    "CacheStats",
    "FrameCache",
    "FrameKey",
    "frame_key",
    "frame_key_for_job",
    "nbytes_of",
    "params_hash",
]

V = TypeVar("V")

POSITION_STEP_M = 1e-5
"""Poses closer than this in translation (metres) share a key (rounded to this grid)."""
ROTATION_STEP = 1e-6
"""Rotation-matrix entries are rounded to this step (≈ radians for small angles)."""


def params_hash(values: Mapping[str, object]) -> str:
    """A stable digest of parameter values: sorted compact JSON → BLAKE2b-128, hex. Equal across runs,
    processes and machines; pass validated values (so 14 and 14.0 are not two different states)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class FrameKey(NamedTuple):
    """Everything that decides a frame's bytes. Build it with `frame_key`, which rounds the pose."""

    scene_version: int
    params_hash: str
    poses: tuple[tuple[float, ...], ...]
    """Per view: the rounded 3×4 top of T_world_camera, row-major."""
    fovs: tuple[tuple[float, ...], ...]
    """Per view: (left, right, up, down) in radians, rounded like rotations (may be empty)."""
    width: int
    height: int
    encodings: tuple[str, ...]
    projection: str
    extra: tuple[Any, ...] = ()
    """Anything else that changes the bytes (near/far, IPD, JPEG quality, ...); must be hashable."""


def _round_pose(T: Any) -> tuple[float, ...]:
    a = np.asarray(T, dtype=np.float64)
    if a.shape != (4, 4):
        raise ConfigError(f"a pose must be a 4×4 T_world_camera matrix, got shape {a.shape}")
    r0, r1, r2 = a[:3].tolist()  # plain floats: ~10x faster than numpy on 12 numbers
    return tuple(
        round(x / step) * step + 0.0  # + 0.0 turns -0.0 into 0.0
        for row in (r0, r1, r2)
        for x, step in zip(row, _STEPS, strict=True)
    )


_STEPS = (ROTATION_STEP, ROTATION_STEP, ROTATION_STEP, POSITION_STEP_M)


def frame_key(
    *,
    scene_version: int,
    params_hash: str,
    poses: Iterable[Any],
    width: int,
    height: int,
    encodings: Sequence[str],
    projection: str = "mono",
    fovs: Iterable[Sequence[float]] = (),
    extra: tuple[Any, ...] = (),
) -> FrameKey:
    """The cache key of one frame. `poses` are 4×4 T_world_camera matrices (one per view), rounded to
    POSITION_STEP_M / ROTATION_STEP so a pose that round-trips through floats still hits."""
    return FrameKey(
        scene_version=scene_version,
        params_hash=params_hash,
        poses=tuple(_round_pose(T) for T in poses),
        fovs=tuple(tuple(round(float(a) / ROTATION_STEP) * ROTATION_STEP for a in fov) for fov in fovs),
        width=width,
        height=height,
        encodings=tuple(encodings),
        projection=projection,
        extra=extra,
    )


def nbytes_of(parts: Iterable[Any]) -> int:
    """Total size of byte-like parts (bytes, bytearray, memoryview, numpy arrays)."""
    return sum(memoryview(p).nbytes for p in parts)


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    rejected: int
    """Values not stored because they alone exceed `max_bytes`."""
    entries: int
    bytes: int
    max_bytes: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class FrameCache(Generic[V]):
    """LRU of opaque values with a byte size, bounded by `max_bytes` in total. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ConfigError(f"`max_bytes` must be ≥ 0 (0 disables the cache), got {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[FrameKey, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._hits = self._misses = self._evictions = self._rejected = 0

    def get(self, key: FrameKey) -> V | None:
        """The stored value (the identical object) and mark it recently used; None on a miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry[0]

    def put(self, key: FrameKey, value: V, nbytes: int) -> bool:
        """Store `value` (`nbytes` counted against the budget), evicting least recently used entries
        to fit. Returns False (and stores nothing) when the value alone exceeds `max_bytes`."""
        if nbytes < 0:
            raise ConfigError(f"`nbytes` must be ≥ 0, got {nbytes}")
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if nbytes > self.max_bytes:
                self._rejected += 1
                return False
            while self._bytes + nbytes > self.max_bytes:
                _, (_, size) = self._entries.popitem(last=False)
                self._bytes -= size
                self._evictions += 1
            self._entries[key] = (value, nbytes)
            self._bytes += nbytes
            return True

    def get_or_render(self, key: FrameKey, render: Callable[[], tuple[V, int]]) -> V:
        """The cached value, or `render()` → (value, nbytes), stored and returned. The lock is not held
        while rendering, so two threads missing the same key may both render (the last one is kept)."""
        value = self.get(key)
        if value is None:
            value, nbytes = render()
            self.put(key, value, nbytes)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                evictions=self._evictions,
                rejected=self._rejected,
                entries=len(self._entries),
                bytes=self._bytes,
                max_bytes=self.max_bytes,
            )

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """Membership without touching recency or stats."""
        return key in self._entries


def frame_key_for_job(
    job: Any, *, scene_version: int, params_hash: str, encodings: Sequence[str], extra: tuple[Any, ...] = ()
) -> FrameKey:
    """`frame_key` for a `bridge.render.source.RenderJob` (views, size, projection, near/far, IPD)."""
    fovs = [(v.fov.left, v.fov.right, v.fov.up, v.fov.down) for v in job.views]
    return frame_key(
        scene_version=scene_version,
        params_hash=params_hash,
        poses=[v.T_world_camera for v in job.views],
        fovs=fovs,
        width=job.width,
        height=job.height,
        encodings=encodings,
        projection=job.projection,
        extra=(job.near, job.far, job.ipd_m, job.want_color, job.want_depth, job.want_ids, *extra),
    )
