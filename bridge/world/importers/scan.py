"""Scan and point-cloud import through open3d (PLY, PCD, XYZ): statistical outlier removal, voxel
downsampling, normals, then Poisson or ball-pivoting surface reconstruction. The cleaned points stay
in the scene as a `PointCloud` so the renderer can draw them as points next to the mesh.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bridge._optional import require
from bridge.errors import SceneError
from bridge.world.importers.checks import check_file, check_positions
from bridge.world.scene import Material, Mesh, PointCloud, Provenance, Scene

__all__ = ["SCAN_SUFFIXES", "import_scan"]

SCAN_SUFFIXES = (".ply", ".pcd", ".xyz", ".xyzn", ".xyzrgb", ".pts")
Progress = Callable[[float, str], None]


def _read(path: Path) -> Any:
    o3d = require("open3d", "importing scans and point clouds")
    if path.suffix.lower() == ".ply":
        with open(path, "rb") as f:
            if not f.read(3) == b"ply":
                raise SceneError(
                    f"{str(path)!r} is not a PLY file (it does not start with 'ply'); check the extension"
                )
    try:
        cloud = o3d.io.read_point_cloud(str(path), print_progress=False)
    except Exception as exc:  # open3d raises RuntimeError for unreadable files
        raise SceneError(f"{str(path)!r} could not be read as a point cloud: {exc}") from exc
    if not cloud.has_points():
        raise SceneError(
            f"{str(path)!r} holds no points; it is empty, truncated or not a point-cloud format open3d reads"
        )
    return cloud


def import_scan(
    path: str | Path,
    progress: Progress | None = None,
    voxel_m: float | None = None,
    reconstruct: Literal["poisson", "ball_pivoting", "none"] = "poisson",
    poisson_depth: int = 8,
    outlier_std: float = 2.0,
) -> Scene:
    """Clean a scan and reconstruct a surface; `voxel_m` defaults to 1/200 of the scan's diagonal."""
    o3d = require("open3d", "importing scans and point clouds")
    report = progress or (lambda f, s: None)
    p = check_file(path)
    report(0.05, "reading")
    cloud = _read(p)
    pts = np.asarray(cloud.points)
    check_positions(p, pts, "points")
    n_in = len(pts)
    report(0.2, "cleaning")
    if n_in > 2_000_000:  # thin huge scans first so outlier removal stays fast
        cloud = cloud.voxel_down_sample(float(np.linalg.norm(np.ptp(pts, axis=0))) / 4000.0)
    if len(cloud.points) >= 20:
        cloud, _ = cloud.remove_statistical_outlier(nb_neighbors=16, std_ratio=outlier_std)
    kept = np.asarray(cloud.points)
    lo, hi = np.percentile(kept, [1, 99], axis=0) if len(kept) else (np.zeros(3), np.zeros(3))
    voxel = voxel_m if voxel_m is not None else float(np.linalg.norm(hi - lo)) / 200.0
    if voxel <= 0:
        raise SceneError(f"{str(p)!r}: all points coincide, so there is no surface to reconstruct")
    cloud = cloud.voxel_down_sample(voxel)
    report(0.35, "normals")
    cloud.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=voxel * 4, max_nn=30))
    cloud.orient_normals_consistent_tangent_plane(10) if len(cloud.points) < 200_000 else None
    notes = [
        f"{n_in:,} points from {p.name}; voxel {voxel:.4g} m; {len(cloud.points):,} after cleaning",
        "axes and units kept as stored",
    ]
    scene = Scene(p.stem, Provenance("vpbridge.import.scan", "1.0", notes=notes))
    cpts = np.asarray(cloud.points, np.float32)
    colors = (
        np.asarray(cloud.colors, np.float32)
        if cloud.has_colors()
        else np.full((len(cpts), 3), 0.7, np.float32)
    )
    report(0.5, "reconstructing")
    if reconstruct != "none" and len(cpts) >= 30:
        mesh = _reconstruct(o3d, cloud, reconstruct, voxel, poisson_depth)
        if len(mesh.triangles):
            v = np.asarray(mesh.vertices, np.float32)
            mesh.compute_vertex_normals()
            mi = scene.add_material(Material("scan", (1.0, 1.0, 1.0, 1.0), 0.9))
            vc = np.asarray(mesh.vertex_colors, np.float32) if mesh.has_vertex_colors() else None
            scene.add_mesh(
                Mesh(
                    f"{p.stem}_surface",
                    "scan",
                    v,
                    np.asarray(mesh.vertex_normals, np.float32),
                    np.asarray(mesh.triangles, np.uint32),
                    mi,
                    colors=vc,
                )
            )
            notes.append(f"{reconstruct} reconstruction: {len(mesh.triangles):,} triangles")
    scene.add_points(
        PointCloud(f"{p.stem}_points", "scan", cpts, colors, "points", point_size_m=float(voxel))
    )
    report(1.0, "done")
    return scene


def _reconstruct(o3d: Any, cloud: Any, method: str, voxel: float, depth: int) -> Any:
    g = o3d.geometry
    if method == "poisson":
        mesh, density = g.TriangleMesh.create_from_point_cloud_poisson(cloud, depth=depth)
        d = np.asarray(density)
        if len(d):  # Poisson closes the surface far from the data; drop its least-supported vertices
            mesh.remove_vertices_by_mask(d < np.quantile(d, 0.05))
        return mesh.crop(cloud.get_axis_aligned_bounding_box())
    if method == "ball_pivoting":
        radii = o3d.utility.DoubleVector([voxel * 1.5, voxel * 3.0, voxel * 6.0])
        return g.TriangleMesh.create_from_point_cloud_ball_pivoting(cloud, radii)
    raise SceneError(f"`reconstruct` must be 'poisson', 'ball_pivoting' or 'none', got {method!r}")
