"""The world layer: the scene model, WorldSpec and shipped specs, the prompt parser, the procedural
builders, the importers (meshes, scans, Gaussian splats) and GLB/manifest export. Diffusion builders
live in `bridge.world.diffusion` (extra `gen`) and are imported only when used.
"""

from bridge.world.export import export_glb, manifest
from bridge.world.importers import import_file
from bridge.world.procedural import build_scene, default_scene
from bridge.world.prompt import spec_from_prompt
from bridge.world.scene import (
    LABELS,
    Bookmark,
    Collider,
    Environment,
    Light,
    Material,
    Mesh,
    PointCloud,
    Provenance,
    Scene,
    look_at,
)
from bridge.world.spec import WorldSpec, load_spec, save_spec, shipped_specs

__all__ = [
    "LABELS",
    "Bookmark",
    "Collider",
    "Environment",
    "Light",
    "Material",
    "Mesh",
    "PointCloud",
    "Provenance",
    "Scene",
    "WorldSpec",
    "build_scene",
    "default_scene",
    "export_glb",
    "import_file",
    "load_spec",
    "look_at",
    "manifest",
    "save_spec",
    "shipped_specs",
    "spec_from_prompt",
]
