"""Render-test fixtures: the test set and one renderer (llvmpipe EGL) shared by the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.render import SceneRenderer
from bridge.world.scene import Scene

from .helpers import build_test_scene


@pytest.fixture(scope="session")
def test_scene() -> Scene:
    return build_test_scene()


@pytest.fixture(scope="session")
def renderer(test_scene: Scene) -> Iterator[SceneRenderer]:
    r = SceneRenderer(test_scene, shadow_size=1024)
    yield r
    r.close()
