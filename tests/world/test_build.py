"""Procedural builds: determinism, the default scene's size, bookmarks, colliders, environment, and
that every place builds."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.world import LABELS, Scene, WorldSpec, build_scene, default_scene, export_glb, load_spec


def test_same_spec_and_seed_give_byte_identical_glb(small_city_spec: WorldSpec) -> None:
    assert export_glb(build_scene(small_city_spec)) == export_glb(build_scene(small_city_spec))


def test_different_seed_gives_a_different_glb(small_city_spec: WorldSpec) -> None:
    other = load_spec("neon_city")
    other.size_m, other.seed = small_city_spec.size_m, small_city_spec.seed + 1
    assert export_glb(build_scene(small_city_spec)) != export_glb(build_scene(other))


def test_default_scene_is_the_neon_city_with_at_least_300k_triangles(neon_city: Scene) -> None:
    scene = default_scene()
    assert scene.name == "neon_city" and scene.triangle_count == neon_city.triangle_count >= 300_000
    assert scene.environment.time_of_day_h == 22.5 and scene.environment.weather == "rain"


def test_built_scene_has_spawn_bookmarks_shots_colliders_and_known_labels(neon_city: Scene) -> None:
    kinds = [b.kind for b in neon_city.bookmarks]
    assert kinds.count("spawn") == 1 and kinds.count("bookmark") >= 3 and kinds.count("shot") >= 2
    assert len({b.name for b in neon_city.bookmarks}) == len(neon_city.bookmarks)
    assert neon_city.colliders and all(c.label in LABELS for c in neon_city.colliders)
    assert {m.label for m in neon_city.meshes} >= {
        "building",
        "window",
        "road",
        "sidewalk",
        "roof",
        "tree",
        "vehicle",
        "light",
    }
    assert all(m.label in LABELS for m in neon_city.meshes)
    assert any(
        m.instances is not None and len(m.instances) > 50 for m in neon_city.meshes
    )  # props are instanced
    assert any(
        neon_city.materials[m.material].emissive_at_night_only
        for m in neon_city.meshes
        if m.label == "window"
    )


def test_spawn_point_stands_on_a_road_and_not_inside_a_building(neon_city: Scene) -> None:
    eye = neon_city.bookmark("spawn").T_world_camera[:3, 3]
    assert 1.0 < eye[1] < 3.0
    buildings = next(c for c in neon_city.colliders if c.label == "building")
    v = buildings.vertices.reshape(-1, 8, 3)
    lo, hi = v.min(1), v.max(1)
    assert not np.any(np.all((eye >= lo) & (eye <= hi), axis=1))


@pytest.mark.parametrize("name", ["desert_canyon", "coastal_village", "studio_set"])
def test_each_shipped_spec_builds_with_bookmarks_and_progress(name: str) -> None:
    spec = load_spec(name)
    if spec.place != "interior":
        spec.size_m, spec.terrain.resolution = 240.0, 96
    stages: list[tuple[float, str]] = []
    scene = build_scene(spec, lambda f, s: stages.append((f, s)))
    assert scene.triangle_count > 1000 and scene.colliders
    assert [b.kind for b in scene.bookmarks].count("spawn") == 1
    fractions = [f for f, _ in stages]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert scene.environment.time_of_day_h == spec.time_of_day_h


def test_terrain_has_water_rocks_and_vegetation_for_a_coast() -> None:
    spec = load_spec("coastal_village")
    spec.size_m, spec.terrain.resolution = 300.0, 96
    labels = {m.label for m in build_scene(spec).meshes}
    assert {"terrain", "water", "rock", "tree", "building", "roof"} <= labels
