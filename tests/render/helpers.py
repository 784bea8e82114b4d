"""The render tests' set, built from trimesh primitives (ground, building with night windows, sphere,
a marker cube, instanced trees, a scan and splats), and helpers to build jobs and find objects.

Everything sits at known places so tests can predict where it projects and how far it is.
"""

from __future__ import annotations

import math

import numpy as np
import trimesh

from bridge.render import FovAngles, RenderJob, View, fov_from_vertical
from bridge.world.scene import Environment, Material, Mesh, PointCloud, Provenance, Scene, look_at

MARKER = np.array([-2.0, 1.5, -8.0])
"""Centre of a 0.2 m cube the projection tests look for in the id map."""
EYE = np.array([0.0, 1.6, 2.0])
TARGET = np.array([0.0, 1.5, -8.0])


def _add(
    scene: Scene, tm: trimesh.Trimesh, name: str, label: str, mat: Material, inst: np.ndarray | None = None
) -> Mesh:
    if name != "ball":
        tm.unmerge_vertices()  # flat faces: a box's shared corners would average their normals
    m = Mesh(
        name,
        label,
        np.asarray(tm.vertices, np.float32),
        np.asarray(tm.vertex_normals, np.float32),
        np.asarray(tm.faces, np.uint32),
        material=scene.add_material(mat),
        instances=inst,
    )
    return scene.add_mesh(m)


def _translate(x: float, y: float, z: float) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = (x, y, z)
    return t


def build_test_scene() -> Scene:
    env = Environment(time_of_day_h=14.0, weather="clear", fog_density=0.002, turbidity=2.5)
    scene = Scene("test_set", Provenance("tests", seed=7), env)
    ground = trimesh.creation.box((80.0, 0.2, 80.0), _translate(0, -0.1, 0))
    _add(scene, ground, "ground", "terrain", Material("ground", (0.35, 0.33, 0.3, 1.0), roughness=0.9))
    bld = trimesh.creation.box((6.0, 8.0, 4.0), _translate(3.0, 4.0, -16.0))
    _add(scene, bld, "building", "building", Material("facade", (0.6, 0.55, 0.5, 1.0), roughness=0.7))
    win = trimesh.creation.box((4.0, 5.0, 0.05), _translate(3.0, 4.5, -13.98))
    lit = Material("window", (0.02, 0.02, 0.03, 1.0), 0.1, 0.3, (3.0, 2.1, 1.0), emissive_at_night_only=True)
    _add(scene, win, "windows", "window", lit)
    ball = trimesh.creation.icosphere(3, 1.0).apply_translation((3.0, 1.0, -6.0))
    _add(scene, ball, "ball", "prop", Material("red", (0.7, 0.05, 0.04, 1.0), roughness=0.3))
    marker = trimesh.creation.box((0.2, 0.2, 0.2), _translate(*MARKER))
    _add(scene, marker, "marker", "prop", Material("blue", (0.05, 0.2, 0.8, 1.0), roughness=0.5))
    trunk = trimesh.creation.cylinder(0.15, 2.0, sections=12, transform=_translate(0, 1.0, 0))
    trees = np.stack([_translate(x, 0.0, -20.0) for x in (-8.0, -5.0, -11.0)]).astype(np.float32)
    _add(scene, trunk, "trunks", "tree", Material("bark", (0.1, 0.07, 0.05, 1.0)), trees)
    # A scanned patch (a vertical wall of points) and a few splats.
    g = np.stack(np.meshgrid(np.linspace(5.5, 7.5, 40), np.linspace(0.2, 2.0, 36)), -1).reshape(-1, 2)
    scan = np.column_stack([g[:, 0], g[:, 1], np.full(len(g), -9.0)]).astype(np.float32)
    scene.add_points(
        PointCloud("scan", "scan", scan, np.full((len(g), 3), 0.5, np.float32), point_size_m=0.08)
    )
    rng = np.random.default_rng(3)
    sp = (np.array([-6.0, 1.0, -9.0]) + rng.normal(0, 0.3, (300, 3))).astype(np.float32)
    scene.add_points(
        PointCloud(
            "splats",
            "splat",
            sp,
            rng.uniform(0.2, 0.9, (300, 3)).astype(np.float32),
            kind="splats",
            opacity=np.full(300, 0.9, np.float32),
            scales=np.full((300, 3), 0.04, np.float32),
            rotations=np.tile(np.array([1.0, 0, 0, 0], np.float32), (300, 1)),
        )
    )
    return scene


def make_job(
    T: np.ndarray | None = None, w: int = 160, h: int = 120, fov: FovAngles | None = None, **kw: object
) -> RenderJob:
    """A one-view job; `kw` goes to RenderJob (projection, want_ids, params, ipd_m, ...)."""
    T = look_at(EYE, TARGET) if T is None else T
    fov = fov or fov_from_vertical(math.radians(60.0), w, h)
    return RenderJob([View(T, fov)], w, h, **kw)  # type: ignore[arg-type]


def project(T: np.ndarray, fov: FovAngles, w: int, h: int, p: np.ndarray) -> tuple[float, float, float]:
    """(column, row from top, depth) of a world point, in pixels, from the FOV's intrinsics."""
    fx, fy, cx, cy = fov.intrinsics(w, h)
    c = np.linalg.inv(T) @ np.append(p, 1.0)
    z = -c[2]
    return cx + fx * c[0] / z, cy - fy * c[1] / z, z


def centroid(ids: np.ndarray, object_id: int) -> tuple[float, float]:
    """(column, row) centre of the pixels showing an object, in pixel-centre coordinates."""
    rows, cols = np.nonzero(ids == object_id)
    assert len(rows), f"object {object_id} is not in the id map"
    return float(cols.mean() + 0.5), float(rows.mean() + 0.5)
