"""Geometric truth of the renderer: depth against open3d's ray caster, projection of known points,
stereo disparity, asymmetric OpenXR frusta, equirect layout and wrap, and bit-exact repeatability."""

from __future__ import annotations

import math

import numpy as np
import open3d as o3d
import pytest

from bridge.render import FovAngles, RenderJob, SceneRenderer, View
from bridge.world.scene import Scene, look_at

from .helpers import EYE, MARKER, TARGET, centroid, make_job, project


def _raycast_depth(scene: Scene, T: np.ndarray, fov: FovAngles, w: int, h: int) -> np.ndarray:
    verts, faces = [], []
    base = 0
    for m in scene.meshes:
        v, f = m.world_triangles()
        verts.append(v)
        faces.append(f + base)
        base += len(v)
    rc = o3d.t.geometry.RaycastingScene()
    rc.add_triangles(
        o3d.core.Tensor(np.concatenate(verts), o3d.core.float32),
        o3d.core.Tensor(np.concatenate(faces).astype(np.uint32), o3d.core.uint32),
    )
    fx, fy, cx, cy = fov.intrinsics(w, h)
    u = (np.arange(w) + 0.5 - cx) / fx
    v = (cy - (np.arange(h) + 0.5)) / fy
    d_cam = np.stack(np.broadcast_arrays(u[None, :], v[:, None], -1.0), -1)
    # Unnormalised directions with z = -1: t_hit is then the depth along -Z itself.
    d_world = d_cam @ T[:3, :3].T
    o = np.broadcast_to(T[:3, 3], d_world.shape)
    rays = o3d.core.Tensor(np.concatenate([o, d_world], -1).astype(np.float32))
    return rc.cast_rays(rays)["t_hit"].numpy()


@pytest.mark.parametrize("depth_dtype", ["float32", "float16"])
def test_depth_agrees_with_open3d_ray_caster_within_one_percent(
    renderer: SceneRenderer, test_scene: Scene, depth_dtype: str
) -> None:
    w, h = 160, 120
    T = look_at((-3.0, 2.5, 4.0), (2.0, 1.0, -10.0))
    job = make_job(T, w, h, want_ids=True, depth_dtype=depth_dtype)
    view = renderer.render(job).views[0]
    assert view.depth is not None and view.ids is not None and view.depth.dtype == np.dtype(depth_dtype)
    truth = _raycast_depth(test_scene, T, job.views[0].fov, w, h)
    mesh_ids = {m.object_id for m in test_scene.meshes}
    covered = np.isin(view.ids, list(mesh_ids)) & np.isfinite(truth)
    assert covered.mean() > 0.5
    rel = np.abs(view.depth[covered] - truth[covered]) / truth[covered]
    assert (rel < 0.01).mean() >= 0.99
    # Sky agrees too: where the caster hits nothing, the renderer reports +inf.
    sky = ~np.isfinite(truth)
    assert sky.any() and np.isinf(view.depth[sky]).mean() >= 0.99


def test_same_pose_renders_the_same_frame_bit_for_bit_after_moving_away(renderer: SceneRenderer) -> None:
    params = {"look": "noir", "grain": 0.6, "time_of_day": 17.0}
    a = make_job(want_ids=True, params=params)
    elsewhere = make_job(look_at((5.0, 3.0, 3.0), (0.0, 1.0, -10.0)), want_ids=True, params=params)
    first = renderer.render(a).views[0]
    c1, d1, i1 = first.color.copy(), first.depth.copy(), first.ids.copy()  # type: ignore[union-attr]
    renderer.render(elsewhere)
    again = renderer.render(a).views[0]
    assert np.array_equal(c1, again.color)
    assert np.array_equal(d1, again.depth)
    assert np.array_equal(i1, again.ids)


def _marker_id(scene: Scene) -> int:
    return next(m.object_id for m in scene.meshes if m.name == "marker")


def test_known_point_lands_where_the_projection_says_and_moves_with_the_camera(
    renderer: SceneRenderer, test_scene: Scene
) -> None:
    w, h = 320, 240
    mid = _marker_id(test_scene)
    for dx in (0.0, 0.7):
        T = look_at(EYE + (dx, 0, 0), TARGET + (dx, 0, 0))
        job = make_job(T, w, h, want_ids=True)
        view = renderer.render(job).views[0]
        u, v, z = project(T, job.views[0].fov, w, h, MARKER)
        cu, cv = centroid(view.ids, mid)  # type: ignore[arg-type]
        assert abs(cu - u) < 0.5 and abs(cv - v) < 0.5
        assert abs(float(view.depth[int(cv), int(cu)]) - (z - 0.1)) < 0.05  # type: ignore[index]


def test_asymmetric_openxr_fov_projects_through_its_intrinsics(
    renderer: SceneRenderer, test_scene: Scene
) -> None:
    w, h = 200, 160
    fov = FovAngles(left=-0.75, right=0.35, up=0.55, down=-0.25)
    T = look_at(EYE, TARGET)
    view = renderer.render(make_job(T, w, h, fov=fov, want_ids=True)).views[0]
    u, v, _ = project(T, fov, w, h, MARKER)
    cu, cv = centroid(view.ids, _marker_id(test_scene))  # type: ignore[arg-type]
    assert abs(cu - u) < 0.5 and abs(cv - v) < 0.5


def test_stereo_pair_shows_the_disparity_of_its_baseline(renderer: SceneRenderer, test_scene: Scene) -> None:
    w, h, ipd = 320, 240, 0.3
    T = look_at(EYE, TARGET)
    job = make_job(T, w, h, projection="stereo", ipd_m=ipd, want_ids=True)
    left, right = renderer.render(job).views
    fx = job.views[0].fov.intrinsics(w, h)[0]
    _, _, z = project(T, job.views[0].fov, w, h, MARKER)
    mid = _marker_id(test_scene)
    disparity = centroid(left.ids, mid)[0] - centroid(right.ids, mid)[0]  # type: ignore[arg-type]
    assert abs(disparity - fx * ipd / z) < 0.5
    assert not np.array_equal(left.color, right.color)


def test_two_given_eye_views_render_as_given(renderer: SceneRenderer) -> None:
    T = look_at(EYE, TARGET)
    fovs = [FovAngles(-0.8, 0.6, 0.6, -0.6), FovAngles(-0.6, 0.8, 0.6, -0.6)]
    job = RenderJob([View(T, f) for f in fovs], 120, 100, projection="stereo", want_ids=True)
    a, b = (v.ids.copy() for v in renderer.render(job).views)  # type: ignore[union-attr]
    # Arrays are reused by the next render, so the pair is copied first.
    single = renderer.render(RenderJob([View(T, fovs[1])], 120, 100, want_ids=True)).views[0]
    assert np.array_equal(b, single.ids)
    assert not np.array_equal(a, b)


def test_equirect_looks_ahead_at_the_centre_and_its_columns_wrap(
    renderer: SceneRenderer, test_scene: Scene
) -> None:
    w, h = 512, 256
    T = look_at(EYE, TARGET)
    view = renderer.render(make_job(T, w, h, projection="equirect", want_ids=True)).views[0]
    assert view.color is not None and view.depth is not None and view.ids is not None
    assert view.color.shape == (h, w, 4)
    # Straight ahead (−Z) is the centre column, at the horizon row.
    ball = next(m for m in test_scene.meshes if m.name == "ball")
    cu, cv = centroid(view.ids, ball.object_id)
    d = np.array([3.0, 1.0, -6.0]) - EYE
    lon = math.atan2(d[0], -d[2])
    lat = math.atan2(d[1], math.hypot(d[0], d[2]))
    assert abs(cu - (lon / (2 * math.pi) + 0.5) * w) < 1.0
    assert abs(cv - (0.5 - lat / math.pi) * h) < 1.0
    # Columns 0 and W-1 are neighbours on the sphere; columns half a turn apart are not.
    img = view.color[..., :3].astype(float)
    seam = np.abs(img[:, 0] - img[:, -1]).mean()
    across = np.abs(img[:, 0] - img[:, w // 2]).mean()
    assert seam < 0.25 * across
    # Depth is the distance along each ray: straight down it is the eye height above the ground.
    assert abs(float(view.depth[-1].mean()) - EYE[1]) / EYE[1] < 0.01
    assert np.isinf(view.depth[0]).all()


def test_equirect_stereo_renders_two_offset_panoramas(renderer: SceneRenderer) -> None:
    job = make_job(w=128, h=64, projection="equirect_stereo", ipd_m=0.5, want_ids=True)
    top, bottom = renderer.render(job).views
    assert top.color.shape == bottom.color.shape == (64, 128, 4)  # type: ignore[union-attr]
    assert not np.array_equal(top.depth, bottom.depth)
