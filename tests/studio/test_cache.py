"""The frame cache: LRU eviction by bytes, identical objects on hits, exact and stable keys."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from bridge.errors import ConfigError
from bridge.render.source import RenderJob, View, fov_from_vertical
from bridge.studio import FrameCache, FrameKey, frame_key, frame_key_for_job, nbytes_of, params_hash


def key(n: int = 0, **overrides: Any) -> FrameKey:
    T = np.eye(4)
    T[0, 3] = float(n)
    args: dict[str, Any] = dict(
        scene_version=1, params_hash="p", poses=[T], width=64, height=32, encodings=("rgba8", "f16")
    )
    args.update(overrides)
    return frame_key(**args)


def test_hit_returns_the_identical_object() -> None:
    cache: FrameCache[list[bytes]] = FrameCache(1000)
    parts = [b"header", bytes(100)]
    cache.put(key(), parts, nbytes_of(parts))
    assert cache.get(key()) is parts
    assert cache.get_or_render(key(), lambda: ([b"other"], 5)) is parts


def test_evicts_least_recently_used_beyond_max_bytes() -> None:
    cache: FrameCache[str] = FrameCache(300)
    for n in range(3):
        cache.put(key(n), f"frame{n}", 100)
    cache.get(key(0))  # 0 is now more recent than 1
    cache.put(key(3), "frame3", 100)
    assert key(1) not in cache and key(0) in cache and key(2) in cache and key(3) in cache
    cache.put(key(4), "big", 250)  # needs three evictions: 2, 0, 3
    assert list(cache._entries) == [key(4)]
    s = cache.stats()
    assert (s.evictions, s.bytes, s.entries) == (4, 250, 1)


def test_value_larger_than_budget_is_not_stored() -> None:
    cache: FrameCache[str] = FrameCache(100)
    cache.put(key(0), "a", 60)
    assert cache.put(key(1), "huge", 101) is False
    assert key(0) in cache and cache.stats().rejected == 1 and cache.stats().bytes == 60


def test_replacing_a_key_recounts_its_bytes() -> None:
    cache: FrameCache[str] = FrameCache(100)
    cache.put(key(0), "a", 60)
    cache.put(key(0), "b", 30)
    assert cache.get(key(0)) == "b" and cache.stats().bytes == 30 and len(cache) == 1


def test_stats_count_hits_and_misses() -> None:
    cache: FrameCache[str] = FrameCache(100)
    cache.get(key(0))
    cache.put(key(0), "a", 1)
    cache.get(key(0))
    cache.get(key(0))
    s = cache.stats()
    assert (s.hits, s.misses) == (2, 1) and s.hit_rate == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "change",
    [
        {"scene_version": 2},
        {"params_hash": "q"},
        {"width": 65},
        {"height": 33},
        {"encodings": ("jpeg", "f16")},
        {"projection": "equirect"},
        {"fovs": [(-0.5, 0.5, 0.4, -0.4)]},
        {"extra": (0.1, 100.0)},
    ],
)
def test_key_changes_with_every_component(change: dict[str, Any]) -> None:
    assert key(**change) != key()


def test_pose_is_rounded_to_tenth_of_a_millimetre_and_microradian() -> None:
    T = np.eye(4)
    T[:3, 3] = (1.0, 2.0, 3.0)
    near = T.copy()
    near[:3, 3] += 1e-9
    near[0, 1] += 1e-9
    far = T.copy()
    far[0, 3] += 1e-4
    turned = T.copy()
    turned[0, 1] += 1e-5
    assert key(poses=[near]) == key(poses=[T])
    assert key(poses=[far]) != key(poses=[T]) and key(poses=[turned]) != key(poses=[T])
    assert key(poses=[-0.0 * np.zeros((4, 4))]) == key(poses=[np.zeros((4, 4))])


def test_bad_pose_shape_is_refused() -> None:
    with pytest.raises(ConfigError, match="4×4"):
        key(poses=[np.eye(3)])


def test_params_hash_is_order_independent_value_sensitive_and_stable_across_runs() -> None:
    a = {"look": "noir", "exposure_ev": 1.0, "sun_azimuth": None}
    assert params_hash(a) == params_hash(dict(reversed(list(a.items()))))
    assert params_hash(a) != params_hash({**a, "exposure_ev": 1.5})
    assert params_hash(a) == "71e8d5c9c46d4b0498e93d444e2d4beb"  # a literal: equal in every run


def test_job_key_covers_views_size_and_projection() -> None:
    fov = fov_from_vertical(0.8, 64, 32)
    job = RenderJob(views=[View(np.eye(4), fov)], width=64, height=32)
    k = frame_key_for_job(job, scene_version=1, params_hash="p", encodings=("rgba8",))
    assert k == frame_key_for_job(job, scene_version=1, params_hash="p", encodings=("rgba8",))
    job.width = 128
    assert frame_key_for_job(job, scene_version=1, params_hash="p", encodings=("rgba8",)) != k


def test_concurrent_puts_and_gets_keep_the_byte_budget() -> None:
    cache: FrameCache[int] = FrameCache(50 * 10)

    def work(t: int) -> None:
        for n in range(500):
            cache.put(key(n % 97, params_hash=str(t)), n, 10)
            cache.get(key((n * 7) % 97, params_hash=str(t)))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    s = cache.stats()
    assert s.bytes == 10 * s.entries <= 500 and s.hits + s.misses == 2000


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_bytes"):
        FrameCache(-1)
