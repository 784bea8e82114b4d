"""`import_file`: pick the importer by extension, and for PLY by what the header holds (splat
properties -> splats, faces -> mesh, points only -> scan). Records the source file's hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.errors import SceneError
from bridge.world.importers.checks import check_file
from bridge.world.importers.mesh import MESH_SUFFIXES, import_mesh
from bridge.world.importers.scan import SCAN_SUFFIXES, import_scan
from bridge.world.importers.splat import import_splat, is_splat_header, read_ply_header
from bridge.world.scene import Scene

__all__ = ["SUPPORTED", "import_file"]

SUPPORTED = tuple(sorted(set(MESH_SUFFIXES) | set(SCAN_SUFFIXES)))
Progress = Callable[[float, str], None]


def import_file(path: str | Path, progress: Progress | None = None) -> Scene:
    """A Scene from a mesh, scan/point cloud or Gaussian-splat file, with spawn point and provenance."""
    from bridge.world.importers.finish import finish

    p = check_file(path)
    suffix = p.suffix.lower()
    if suffix == ".ply":
        _, elements, _ = read_ply_header(p)
        faces = sum(c for name, c, _ in elements if name == "face")
        if is_splat_header(elements):
            scene = import_splat(p, progress)
        elif faces > 0:
            scene = import_mesh(p, progress)
        else:
            scene = import_scan(p, progress)
    elif suffix in MESH_SUFFIXES:
        scene = import_mesh(p, progress)
    elif suffix in SCAN_SUFFIXES:
        scene = import_scan(p, progress)
    else:
        raise SceneError(
            f"{str(p)!r}: unsupported extension {suffix or '(none)'}; supported: {', '.join(SUPPORTED)}"
        )
    return finish(scene, p)
