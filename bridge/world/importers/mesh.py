"""Mesh import through trimesh (glTF/GLB, OBJ, PLY, STL): baked to world space, normalised to Y-up
metres, one `Mesh` per source geometry with its base colour. The axis and unit conversion applied
is written into the provenance notes so nobody has to guess.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import trimesh

from bridge.errors import SceneError
from bridge.world.importers.checks import check_file, check_positions
from bridge.world.scene import Material, Mesh, Provenance, Scene

__all__ = ["MESH_SUFFIXES", "import_mesh"]

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl")
# Format conventions: glTF is Y-up metres by specification; STL comes from CAD (Z-up, often mm).
_DEFAULT_UP = {".glb": "y", ".gltf": "y", ".obj": "y", ".ply": "y", ".stl": "z"}
_Z_TO_Y = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], np.float64)
_UNITS = {
    "m": 1.0,
    "meters": 1.0,
    "meter": 1.0,
    "cm": 0.01,
    "centimeters": 0.01,
    "mm": 0.001,
    "millimeters": 0.001,
    "in": 0.0254,
    "inches": 0.0254,
    "ft": 0.3048,
    "feet": 0.3048,
}
Progress = Callable[[float, str], None]


def _load(path: Path) -> trimesh.Scene:
    suffix = path.suffix.lower()
    if suffix in (".glb",):
        with open(path, "rb") as f:
            if f.read(4) != b"glTF":
                raise SceneError(
                    f"{str(path)!r} is not a GLB file (it does not start with 'glTF'); check the extension"
                )
    try:
        loaded = trimesh.load(str(path), force="scene", process=False)
    except SceneError:
        raise
    except Exception as exc:  # trimesh raises many types for bad input; name the file and the cause
        raise SceneError(
            f"{str(path)!r} could not be read as {suffix[1:].upper()}: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(loaded, trimesh.Scene):
        raise SceneError(f"{str(path)!r} did not load as a mesh scene")
    return loaded


def _color(geom: trimesh.Trimesh) -> tuple[tuple[float, float, float, float], float, float]:
    vis = geom.visual
    mat = getattr(vis, "material", None)
    if mat is not None:
        base = getattr(mat, "baseColorFactor", None)
        if base is None and hasattr(mat, "main_color"):
            base = mat.main_color
        if base is not None:
            c = np.asarray(base, np.float64).ravel()
            c = c / 255.0 if c.max() > 1.0 else c
            rgba = (float(c[0]), float(c[1]), float(c[2]), float(c[3]) if len(c) > 3 else 1.0)
            rough = getattr(mat, "roughnessFactor", None)
            metal = getattr(mat, "metallicFactor", None)
            return rgba, 0.8 if rough is None else float(rough), 0.0 if metal is None else float(metal)
    return (0.8, 0.8, 0.8, 1.0), 0.8, 0.0


def import_mesh(
    path: str | Path,
    progress: Progress | None = None,
    up: Literal["auto", "y", "z"] = "auto",
    unit_scale: float | None = None,
    label: str = "unknown",
) -> Scene:
    """Read a mesh file into a new Scene; `up` and `unit_scale` override the detected conventions."""
    p = check_file(path)
    report = progress or (lambda f, s: None)
    report(0.05, "reading")
    loaded = _load(p)
    report(0.5, "converting")
    # nodes sharing one geometry become one instanced Mesh (our own GLBs hold thousands of props)
    groups: dict[str, list[tuple[str, np.ndarray]]] = {}
    for node in loaded.graph.nodes_geometry:
        transform, gname = loaded.graph[node]
        g = loaded.geometry[gname]
        if isinstance(g, trimesh.Trimesh) and len(g.faces):
            groups.setdefault(str(gname), []).append((str(node), np.asarray(transform, np.float64)))
    if not groups:
        raise SceneError(
            f"{str(p)!r} contains no triangles (only points, lines or nothing); import point clouds as scans"
        )
    suffix = p.suffix.lower()
    axis = _DEFAULT_UP[suffix] if up == "auto" else up
    notes = [f"imported {len(groups)} mesh(es) from {p.name}"]
    fix = np.eye(4)
    if axis == "z":
        fix = _Z_TO_Y
        notes.append("converted Z-up to Y-up (rotated -90 degrees about X)")
    else:
        notes.append("kept Y-up")
    corners = [np.asarray(loaded.geometry[k].bounds) for k in groups]
    allv = np.concatenate(
        [
            np.einsum("ij,kj->ki", t[:3, :3], c) + t[:3, 3]
            for k, c in zip(groups, corners, strict=True)
            for _, t in groups[k]
        ]
    )
    extent = float(np.ptp(allv, axis=0).max()) if len(allv) else 0.0
    scale, why = _unit_scale(loaded, suffix, extent, unit_scale)
    notes.append(f"scaled by {scale:g} ({why})")
    fix = np.diag([scale, scale, scale, 1.0]) @ fix
    scene = Scene(p.stem, Provenance("vpbridge.import.mesh", "1.0", notes=notes))
    for i, (gname, items) in enumerate(groups.items()):
        g = loaded.geometry[gname]
        name = items[0][0] if len(items) == 1 else gname
        verts = np.asarray(g.vertices, np.float64)
        if len(items) == 1:
            t = fix @ items[0][1]
            verts, instances = verts @ t[:3, :3].T + t[:3, 3], None
            normals = np.asarray(g.vertex_normals) @ np.linalg.inv(t[:3, :3])
            normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
        else:
            instances = np.stack([fix @ t for _, t in items]).astype(np.float32)
            normals = np.asarray(g.vertex_normals)
            world = verts @ instances[0, :3, :3].T.astype(np.float64) + instances[:, :3, 3][:, None].astype(
                np.float64
            )
            check_positions(p, world.reshape(-1, 3))
        check_positions(p, verts)
        rgba, rough, metal = _color(g)
        mi = scene.add_material(Material(f"{name}_material", rgba, rough, metal))
        uv = getattr(g.visual, "uv", None)
        colors = None
        vis = g.visual
        if isinstance(vis, trimesh.visual.ColorVisuals) and vis.kind == "vertex":
            colors = (np.asarray(vis.vertex_colors, np.float32)[:, :3] / 255.0) ** 2.2
        scene.add_mesh(
            Mesh(
                name or f"mesh_{i}",
                label,
                verts.astype(np.float32),
                normals.astype(np.float32),
                np.asarray(g.faces, np.uint32),
                mi,
                instances=instances,
                uvs=None if uv is None or len(uv) != len(verts) else np.asarray(uv, np.float32),
                colors=colors,
            )
        )
    report(1.0, "done")
    return scene


def _unit_scale(
    loaded: trimesh.Scene, suffix: str, extent: float, override: float | None
) -> tuple[float, str]:
    if override is not None:
        if not 0 < override < 1e6:
            raise SceneError(f"`unit_scale` must be a positive factor to metres, got {override}")
        return override, "given unit_scale"
    if suffix in (".glb", ".gltf"):
        return 1.0, "glTF is in metres"
    units = getattr(loaded, "units", None)
    if units and units.lower() in _UNITS:
        return _UNITS[units.lower()], f"file declares units {units!r}"
    # no declared units: guess from the size (a set is metres to a few km across)
    if extent > 20000:
        return 0.001, f"assumed millimetres: {extent:.0f} units across"
    if extent > 2000 and suffix == ".stl":
        return 0.001, f"assumed millimetres for an STL {extent:.0f} units across"
    return 1.0, f"assumed metres: {extent:.3g} units across"
