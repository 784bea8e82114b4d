"""Importers on real files written to tmp_path: meshes via trimesh (axes and units normalised and
reported), scans via open3d (cleaned, reconstructed, points kept), Gaussian splats, and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from bridge.errors import SceneError
from bridge.world import export_glb, import_file
from bridge.world.importers.scan import import_scan
from bridge.world.importers.splat import SH_C0


@pytest.mark.parametrize("suffix", [".glb", ".obj", ".ply", ".stl"])
def test_mesh_formats_import_with_spawn_collider_and_source_hash(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"box{suffix}"
    trimesh.creation.box((1.0, 2.0, 3.0)).export(path)
    scene = import_file(path)
    assert scene.triangle_count == 12 and scene.colliders
    assert scene.bookmark("spawn").kind == "spawn"
    assert scene.provenance.sources[0][0] == str(path) and len(scene.provenance.sources[0][1]) == 64
    assert any("scaled by" in n for n in scene.provenance.notes)


def test_stl_is_converted_from_z_up_and_millimetres_with_the_conversion_reported(tmp_path: Path) -> None:
    path = tmp_path / "part.stl"
    trimesh.creation.box((1000.0, 2000.0, 30000.0)).export(path)  # 30 m tall in Z, in millimetres
    scene = import_file(path)
    lo, hi = scene.bounds()
    assert np.allclose(hi - lo, [1.0, 30.0, 2.0], atol=1e-3)
    notes = " ".join(scene.provenance.notes)
    assert "Z-up to Y-up" in notes and "millimetres" in notes


def test_scan_is_cleaned_reconstructed_and_keeps_its_points(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(3000, 3))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    outliers = rng.uniform(-30, 30, (10, 3))
    path = tmp_path / "ball.xyz"
    np.savetxt(path, np.concatenate([pts, outliers]))
    scene = import_scan(path, poisson_depth=6)
    cloud = scene.point_clouds[0]
    assert cloud.label == "scan" and cloud.kind == "points" and 500 < len(cloud.positions) <= 3010
    assert np.abs(cloud.positions).max() < 5.0  # the far outliers were removed
    assert scene.meshes[0].label == "scan" and scene.triangle_count > 100
    assert scene.bookmark("spawn") if scene.bookmarks else True


def test_scan_ball_pivoting_and_pcd_through_import_file(tmp_path: Path) -> None:
    o3d = pytest.importorskip("open3d")
    g = np.linspace(-1, 1, 40)
    x, z = np.meshgrid(g, g)
    pts = np.stack([x.ravel(), 0.1 * np.sin(3 * x.ravel()), z.ravel()], 1)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    path = tmp_path / "sheet.pcd"
    o3d.io.write_point_cloud(str(path), cloud)
    scene = import_scan(path, reconstruct="ball_pivoting")
    assert scene.triangle_count > 100 and len(scene.point_clouds[0].positions) > 1000
    assert import_file(path).point_clouds  # dispatch by extension
    assert len(export_glb(scene)) > 0


def _write_splat(path: Path, n: int, truncate: int = 0) -> np.ndarray:
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
             "rot_0", "rot_1", "rot_2", "rot_3"]  # fmt: skip
    rng = np.random.default_rng(1)
    data = rng.normal(size=(n, len(names))).astype("<f4")
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
    header += "".join(f"property float {p}\n" for p in names) + "end_header\n"
    body = data.tobytes()
    path.write_bytes(header.encode() + (body[:-truncate] if truncate else body))
    return data


def test_splat_ply_imports_positions_colours_opacity_scales_and_rotations(tmp_path: Path) -> None:
    path = tmp_path / "room.ply"
    data = _write_splat(path, 500)
    scene = import_file(path)
    s = scene.point_clouds[0]
    assert (s.kind, s.label) == ("splats", "splat") and len(s.positions) == 500
    assert np.allclose(s.positions, data[:, :3])
    srgb = np.clip(0.5 + SH_C0 * data[:, 6:9], 0, 1)
    assert np.allclose(
        s.colors, np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4), atol=1e-5
    )
    assert s.opacity is not None and np.allclose(s.opacity, 1 / (1 + np.exp(-data[:, 9])), atol=1e-6)
    assert s.scales is not None and np.allclose(s.scales, np.exp(data[:, 10:13]), rtol=1e-5)
    assert s.rotations is not None and np.allclose(np.linalg.norm(s.rotations, axis=1), 1.0, atol=1e-5)
    assert len(export_glb(scene)) > 0


def test_bad_files_give_errors_naming_the_file_and_the_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.glb"
    empty.write_bytes(b"")
    with pytest.raises(SceneError, match=r"empty\.glb.*empty"):
        import_file(empty)
    wrong = tmp_path / "photo.glb"
    wrong.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(SceneError, match=r"photo\.glb.*not a GLB"):
        import_file(wrong)
    trunc = tmp_path / "cut.ply"
    _write_splat(trunc, 100, truncate=500)
    with pytest.raises(SceneError, match=r"cut\.ply.*truncated"):
        import_file(trunc)
    garbage = tmp_path / "noise.obj"
    garbage.write_text("this is not an obj file\n")
    with pytest.raises(SceneError, match=r"noise\.obj"):
        import_file(garbage)
    huge = tmp_path / "huge.obj"
    huge.write_text("v 0 0 0\nv 1e12 0 0\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(SceneError, match=r"huge\.obj.*absurd"):
        import_file(huge)
    with pytest.raises(SceneError, match=r"missing\.stl.*does not exist"):
        import_file(tmp_path / "missing.stl")
    with pytest.raises(SceneError, match=r"unsupported extension \.fbx"):
        (tmp_path / "a.fbx").write_bytes(b"x")
        import_file(tmp_path / "a.fbx")
    nopts = tmp_path / "none.xyz"
    nopts.write_text("\n")
    with pytest.raises(SceneError, match=r"none\.xyz"):
        import_file(nopts)


def test_own_glb_round_trips_with_instanced_props_kept_instanced(tmp_path: Path) -> None:
    from bridge.world import WorldSpec, build_scene

    scene = build_scene(WorldSpec(name="rt", size_m=120.0, seed=1))
    path = tmp_path / "rt.glb"
    path.write_bytes(export_glb(scene))
    back = import_file(path)
    collider_tris = sum(len(c.faces) for c in scene.colliders)
    assert back.triangle_count == scene.triangle_count + collider_tris
    assert any(m.instances is not None and len(m.instances) > 10 for m in back.meshes)
    assert np.allclose(back.bounds()[1], scene.bounds()[1], atol=1e-3)
