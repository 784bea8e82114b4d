"""Shared fixtures for the world tests: small specs that build fast, and the shipped default scene."""

from __future__ import annotations

import pytest

from bridge.world import Scene, WorldSpec, build_scene, load_spec


@pytest.fixture(scope="session")
def neon_city() -> Scene:
    return build_scene(load_spec("neon_city"))


@pytest.fixture
def small_city_spec() -> WorldSpec:
    spec = load_spec("neon_city")
    spec.size_m = 160.0
    return spec
