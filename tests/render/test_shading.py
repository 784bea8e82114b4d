"""What the shading does: looks move colour statistics the right way, night lights windows and darkens
the sky, the sun casts shadows, points and splats render, and live parameters never rebuild the scene."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.errors import ConfigError
from bridge.render import LOOKS, RenderJob, SceneRenderer
from bridge.world.scene import Scene, look_at

from .helpers import build_test_scene, make_job, project


def _saturation(rgba: np.ndarray) -> float:
    rgb = rgba[..., :3].astype(float)
    mx, mn = rgb.max(-1), rgb.min(-1)
    return float(np.mean((mx - mn) / np.maximum(mx, 1.0)))


def _luma(rgba: np.ndarray) -> np.ndarray:
    return np.asarray(rgba[..., :3].astype(float) @ np.array([0.2126, 0.7152, 0.0722]) / 255.0)


def _shot(renderer: SceneRenderer, **params: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    v = renderer.render(make_job(want_ids=True, params=params)).views[0]
    return v.color.copy(), v.depth.copy(), v.ids.copy()  # type: ignore[union-attr]


def test_looks_list_names_the_four_grades() -> None:
    assert LOOKS == ("neutral", "noir", "vibrant", "documentary")


def test_noir_has_no_saturation_and_vibrant_has_more_than_neutral(renderer: SceneRenderer) -> None:
    neutral = _shot(renderer, look="neutral")[0]
    noir = _shot(renderer, look="noir")[0]
    vibrant = _shot(renderer, look="vibrant")[0]
    documentary = _shot(renderer, look="documentary")[0]
    assert np.array_equal(noir[..., 0], noir[..., 1]) and np.array_equal(noir[..., 1], noir[..., 2])
    assert _saturation(vibrant) > 1.15 * _saturation(neutral)
    assert _saturation(documentary) < _saturation(neutral)
    # Noir is also the hardest grade: more contrast than neutral.
    assert _luma(noir).std() > _luma(neutral).std()


def test_night_lights_the_windows_and_darkens_the_sky(renderer: SceneRenderer, test_scene: Scene) -> None:
    win = next(m.object_id for m in test_scene.meshes if m.name == "windows")
    day_c, _, day_ids = _shot(renderer, time_of_day=13.0)
    night_c, _, night_ids = _shot(renderer, time_of_day=23.0)
    day_l, night_l = _luma(day_c), _luma(night_c)
    assert night_l[night_ids == win].mean() > 0.6 > day_l[day_ids == win].mean()
    assert night_l[night_ids == 0].mean() < 0.08
    assert day_l[day_ids == 0].mean() > 0.4
    # Outside the windows, night is much darker than day.
    rest = (night_ids != win) & (night_ids != 0)
    assert night_l[rest].mean() < 0.5 * day_l[rest].mean()


def test_sun_angles_override_time_of_day_and_move_the_sky(renderer: SceneRenderer) -> None:
    low = _shot(renderer, time_of_day=12.0, sun_azimuth=270.0, sun_elevation=3.0)[0]
    high = _shot(renderer, time_of_day=12.0)[0]
    sky_low, sky_high = low[:10, ..., :3].mean((0, 1)), high[:10, ..., :3].mean((0, 1))
    # A sun on the horizon warms the sky relative to noon (red rises against blue).
    assert sky_low[0] / sky_low[2] > sky_high[0] / sky_high[2]


def test_sun_casts_a_shadow_behind_the_building(renderer: SceneRenderer) -> None:
    # Sun in the south (+Z) at 35 degrees: the 8 m building spanning z -18..-14 shades the ground
    # north of it out to z = -18 - 8 / tan(35) = -29.4.
    T = look_at((3.0, 30.0, -2.0), (3.0, 0.0, -24.0))
    job = make_job(T, 200, 150, params={"sun_azimuth": 180.0, "sun_elevation": 35.0})
    luma = _luma(renderer.render(job).views[0].color)  # type: ignore[arg-type]

    def at(z: float) -> float:
        u, v, _ = project(T, job.views[0].fov, 200, 150, np.array([1.0, 0.0, z]))
        return float(luma[int(v) - 1 : int(v) + 2, int(u) - 1 : int(u) + 2].mean())

    shaded, lit_front, lit_beyond = at(-24.0), at(-9.0), at(-34.0)
    assert shaded < 0.8 * lit_front and shaded < 0.8 * lit_beyond


def test_fog_and_exposure_change_the_frame(renderer: SceneRenderer) -> None:
    base = _luma(_shot(renderer)[0]).mean()
    brighter = _luma(_shot(renderer, exposure_ev=1.0)[0]).mean()
    foggy_c, _, ids = _shot(renderer, fog_density=0.3)
    assert brighter > base + 0.05
    # Thick fog flattens the frame toward the horizon colour.
    assert _luma(foggy_c)[ids != 0].std() < _luma(_shot(renderer)[0])[ids != 0].std()


def test_scan_points_and_splats_render_with_ids_and_depth(renderer: SceneRenderer, test_scene: Scene) -> None:
    scan, splats = test_scene.point_clouds
    T = look_at((0.0, 1.2, 1.0), (0.0, 1.0, -9.0))
    v = renderer.render(make_job(T, 240, 160, want_ids=True)).views[0]
    assert (v.ids == scan.object_id).sum() > 200  # type: ignore[union-attr]
    assert (v.ids == splats.object_id).sum() > 50  # type: ignore[union-attr]
    assert test_scene.label_of(scan.object_id) == "scan"
    # The scan is a wall at z = -9, so its depth is 10 m from a camera at z = +1 (tilted slightly).
    d = v.depth[v.ids == scan.object_id]  # type: ignore[index]
    assert np.all(np.abs(d - 10.0) < 0.2)


def test_changing_look_or_time_of_day_never_rebuilds_the_scene(renderer: SceneRenderer) -> None:
    uploads = renderer.scene_uploads
    for look in LOOKS:
        for tod in (6.0, 12.0, 21.0):
            renderer.render(make_job(w=64, h=48, params={"look": look, "time_of_day": tod, "grain": 0.5}))
    assert renderer.scene_uploads == uploads


def test_result_carries_version_look_provenance_and_timestamps(
    renderer: SceneRenderer, test_scene: Scene
) -> None:
    res = renderer.render(make_job(w=64, h=48, params={"look": "vibrant", "unknown_param": 3}))
    assert res.scene_version == test_scene.version and res.look == "vibrant"
    assert res.provenance == test_scene.provenance.summary()
    assert 0 < res.t_render_start_ns <= res.t_render_end_ns
    v = res.views[0]
    assert v.color.dtype == np.uint8 and v.color.shape == (48, 64, 4)  # type: ignore[union-attr]
    assert v.depth.dtype == np.float32 and v.ids is None  # type: ignore[union-attr]
    assert (v.color[..., 3] == 255).all()  # type: ignore[index]


def test_set_scene_switches_live_on_the_same_context(renderer: SceneRenderer) -> None:
    other = build_test_scene()
    other.meshes = other.meshes[:1]  # just the ground
    other.point_clouds = []
    other.version = 9
    second = SceneRenderer(other, ctx=renderer.ctx)
    try:
        res = second.render(make_job(w=64, h=48, want_ids=True))
        assert res.scene_version == 9
        assert set(np.unique(res.views[0].ids)) <= {0, 1}  # type: ignore[arg-type]
        second.set_scene(build_test_scene())
        ids = second.render(make_job(w=64, h=48, want_ids=True)).views[0].ids
        assert len(np.unique(ids)) > 3  # type: ignore[arg-type]
    finally:
        second.close()


@pytest.mark.parametrize(
    ("job", "field"),
    [
        (RenderJob([], 64, 48), "views"),
        (make_job(w=0, h=48), "width"),
        (make_job(near=5.0, far=1.0), "near"),
        (make_job(params={"look": "sepia"}), "look"),
    ],
)
def test_bad_jobs_raise_config_errors_naming_the_field(
    renderer: SceneRenderer, job: RenderJob, field: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        renderer.render(job)


def test_a_panorama_sky_shows_its_own_columns_by_direction_and_switches_off_with_the_scene(
    renderer: SceneRenderer,
) -> None:
    # Four coloured bands centred on -Z (column 0), +X, +Z and -X: the panorama's layout convention.
    w, h = 64, 32
    u = (np.arange(w) + 0.5) / w
    band = (np.floor(u * 4 + 0.5).astype(int)) % 4
    colours = np.array([[230, 20, 20], [20, 230, 20], [20, 20, 230], [230, 230, 20]], np.uint8)
    pano = np.broadcast_to(colours[band][None], (h, w, 3)).copy()
    scene = build_test_scene()
    scene.environment.sky, scene.environment.panorama = "panorama", pano
    second = SceneRenderer(scene, ctx=renderer.ctx)
    try:
        eye = np.array([0.0, 1.5, 0.0])
        want = {(0.0, -1.0): 0, (1.0, 0.0): 1, (0.0, 1.0): 2, (-1.0, 0.0): 3}
        for (dx, dz), k in want.items():
            T = look_at(tuple(eye), tuple(eye + np.array([dx, 1.2, dz])))  # up into the sky
            v = second.render(make_job(T=T, w=48, h=36, want_ids=True)).views[0]
            assert v.color is not None and v.ids is not None
            centre = v.color[18, 24, :3].astype(int)
            assert v.ids[18, 24] == 0, "the centre pixel should be sky"
            dominant = {0: (0,), 1: (1,), 2: (2,), 3: (0, 1)}[k]
            others = [c for c in range(3) if c not in dominant]
            assert min(centre[list(dominant)]) > max(centre[others]) + 40, (k, centre)
        # The same renderer back on an analytic sky draws no bands (the panorama is compiled out).
        second.set_scene(build_test_scene())
        T = look_at(tuple(eye), tuple(eye + np.array([1.0, 1.2, 0.0])))
        sky = second.render(make_job(T=T, w=48, h=36)).views[0].color
        assert sky is not None
        r, g, b = (int(x) for x in sky[18, 24, :3])
        assert not (g > r + 40 and g > b + 40), "no green band from the old panorama"
    finally:
        second.close()
