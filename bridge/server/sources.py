"""Which frame source a server renders with: the generated scene (the product default) or the test pattern."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.errors import ConfigError
from bridge.render.source import FrameSource
from bridge.world.scene import Scene

__all__ = ["load_scene", "source_factory"]

MESH_SUFFIXES = {".glb", ".gltf", ".obj", ".ply", ".stl", ".pcd", ".xyz"}


def load_scene(arg: str | None, progress: Callable[[float, str], None] | None = None) -> Scene:
    """A scene from a shipped spec name, a spec file (.toml), a mesh/scan file, or the default when None."""
    import bridge.world as world

    if arg is None:
        return world.default_scene(progress=progress)
    p = Path(arg)
    if p.suffix.lower() in MESH_SUFFIXES:
        if not p.exists():
            raise ConfigError(f"`--scene` file {p} does not exist")
        return world.import_file(p, progress=progress)
    if p.suffix.lower() == ".toml" or arg in world.shipped_specs():
        return world.build_scene(world.load_spec(arg), progress=progress)
    names = ", ".join(sorted(world.shipped_specs()))
    raise ConfigError(
        f"`--scene` must be a shipped scene ({names}), a .toml spec or a mesh/scan file; got {arg!r}"
    )


def source_factory(kind: str = "scene", scene: Scene | None = None) -> Callable[[], FrameSource]:
    """A factory the render thread calls to create its source (GL contexts belong to that thread)."""
    if kind == "testpattern":
        from bridge.render.testpattern import TestPatternSource

        return TestPatternSource
    if kind != "scene":
        raise ConfigError(f"`--source` must be 'scene' or 'testpattern', got {kind!r}")

    def make() -> FrameSource:
        from bridge.render.renderer import SceneRenderer

        source: FrameSource = SceneRenderer(scene if scene is not None else load_scene(None))
        return source

    return make
