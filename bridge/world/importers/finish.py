"""What every imported scene gets after its importer ran: the source hash in the provenance, a
spawn point and bookmarks framing the bounds, and a collider from the imported surface.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.world.procedural.build import file_sha256
from bridge.world.procedural.common import pose
from bridge.world.scene import Collider, Scene

__all__ = ["finish"]


def finish(scene: Scene, path: Path) -> Scene:
    scene.provenance.sources.append((str(path), file_sha256(path)))
    lo, hi = scene.bounds()
    c = (lo + hi) / 2
    r = max(float(np.linalg.norm(hi - lo)) / 2, 0.5)
    eye_h = c[1] + r * 0.3
    scene.bookmarks = [
        pose("spawn", (c[0], eye_h, c[2] + r * 2.2), c, "spawn", 60.0, "in front of the import, framing it"),
        pose("front", (c[0], c[1], c[2] + r * 2.5), c, "bookmark", 50.0, "straight on"),
        pose(
            "three_quarter",
            (c[0] + r * 1.8, c[1] + r, c[2] + r * 1.8),
            c,
            "bookmark",
            50.0,
            "three-quarter view from above",
        ),
        pose("top", (c[0], c[1] + r * 3.0, c[2] + 1e-3), c, "shot", 50.0, "top-down"),
    ]
    for m in scene.meshes:
        if m.collider and m.triangle_count:
            v, f = m.world_triangles()
            scene.colliders.append(Collider(f"{m.name}_collider", m.label, v, f))
    return scene
