"""Placeholder."""
from pathlib import Path
from bridge.world.scene import Scene
def import_file(path: str | Path, progress: object = None) -> Scene:
    raise NotImplementedError
