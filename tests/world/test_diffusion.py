"""Diffusion builders on tiny pipelines built from config on CPU: shapes, determinism for a seed,
seamless panorama wrap, tileable textures, stylisation (plain and depth-conditioned), results landing
in the scene, local-only loading from the environment variable, and the error when none is set.

The transformers/diffusers warnings filtered here come from building the tiny models (torchvision
not installed, prompt truncated to the tiny tokenizer's 32 tokens); they are not ours to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("diffusers")

from bridge.errors import ConfigError
from bridge.world import Provenance, Scene, WorldSpec, build_scene, export_glb
from bridge.world.diffusion import (
    MODEL_ENV,
    FrameStyliser,
    apply_sky,
    apply_texture,
    load_pipeline,
    sky_panorama,
    tileable_texture,
)

from .tiny_diffusion import tiny_controlnet_img2img, tiny_img2img, tiny_pipeline

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tiny_pipeline(tmp_path_factory.mktemp("tiny"))


def _seam_ratio(img: np.ndarray, axis: int) -> float:
    x = img.astype(np.float64)
    first, last = np.take(x, 0, axis=axis), np.take(x, -1, axis=axis)
    seam = np.abs(first - last).mean()
    inner = np.abs(np.diff(x, axis=axis)).mean()
    return float(seam / inner)


def test_sky_panorama_has_the_asked_shape_and_is_deterministic_for_a_seed(pipe: Any) -> None:
    a = sky_panorama("sunset clouds", pipeline=pipe, seed=3, steps=2, width=128, height=64)
    assert a.shape == (64, 128, 3) and a.dtype == np.uint8
    assert np.array_equal(
        a, sky_panorama("sunset clouds", pipeline=pipe, seed=3, steps=2, width=128, height=64)
    )
    assert not np.array_equal(
        a, sky_panorama("sunset clouds", pipeline=pipe, seed=4, steps=2, width=128, height=64)
    )


def test_sky_panorama_wraps_seamlessly_left_to_right(pipe: Any) -> None:
    ratios = [
        _seam_ratio(sky_panorama("sky", pipeline=pipe, seed=s, steps=2, width=128, height=64), axis=1)
        for s in range(3)
    ]
    # the left and right columns differ no more than any two neighbouring columns do
    assert np.mean(ratios) < 1.3


def test_tileable_texture_tiles_in_both_directions(pipe: Any) -> None:
    tex = tileable_texture("red brick", pipeline=pipe, seed=1, steps=2, size=64)
    assert tex.shape == (64, 64, 3)
    assert _seam_ratio(tex, 0) < 1.5 and _seam_ratio(tex, 1) < 1.5


def test_results_land_in_the_scene_and_in_the_glb(pipe: Any) -> None:
    scene = build_scene(WorldSpec(name="small", size_m=120.0, seed=2))
    pano = sky_panorama("dusk", pipeline=pipe, seed=0, steps=1, width=64, height=32)
    apply_sky(scene, pano, model="tiny", prompt="dusk")
    tex = tileable_texture("asphalt", pipeline=pipe, seed=0, steps=1, size=32)
    assert apply_texture(scene, tex, "road") == 1
    assert scene.environment.sky == "panorama" and scene.environment.panorama is pano
    assert scene.provenance.model_id == "tiny"
    glb = export_glb(scene)
    assert glb.count(b"image/png") == 2
    with pytest.raises(ConfigError, match="labels present"):
        apply_texture(scene, tex, "lava")


def test_stylise_keeps_the_frame_size_and_is_deterministic(pipe: Any) -> None:
    frame = np.random.default_rng(0).integers(0, 255, (60, 100, 3), dtype=np.uint8)
    styliser = FrameStyliser(tiny_img2img(pipe))
    a = styliser.stylise(frame, "film noir", seed=5, steps=2, strength=0.6)
    assert a.shape == frame.shape and a.dtype == np.uint8 and not styliser.depth_conditioned
    assert np.array_equal(a, styliser.stylise(frame, "film noir", seed=5, steps=2, strength=0.6))


def test_depth_conditioned_stylise_needs_and_uses_the_depth(pipe: Any) -> None:
    frame = np.full((48, 64, 3), 120, np.uint8)
    depth = np.tile(np.linspace(1, 50, 64), (48, 1))
    styliser = FrameStyliser(controlnet_pipeline=tiny_controlnet_img2img(pipe))
    assert styliser.depth_conditioned
    out = styliser.stylise(frame, "vibrant", depth=depth, seed=1, steps=2)
    assert out.shape == frame.shape
    other = styliser.stylise(frame, "vibrant", depth=depth[:, ::-1].copy(), seed=1, steps=2)
    assert not np.array_equal(out, other)
    with pytest.raises(ConfigError, match="depth"):
        styliser.stylise(frame, "vibrant", seed=1, steps=2)


def test_model_loads_from_the_env_folder_locally(
    pipe: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe.save_pretrained(tmp_path / "model")
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "model"))
    loaded = load_pipeline("txt2img")
    a = sky_panorama("sky", pipeline=loaded, seed=2, steps=1, width=64, height=32)
    assert np.array_equal(a, sky_panorama("sky", pipeline=pipe, seed=2, steps=1, width=64, height=32))


def test_missing_model_is_a_clear_error_not_a_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    with pytest.raises(ConfigError, match=MODEL_ENV):
        sky_panorama("sky")
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_pipeline()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="model_index.json"):
        load_pipeline(model=tmp_path / "empty")


def test_bad_parameters_name_the_argument(pipe: Any) -> None:
    with pytest.raises(ConfigError, match="width"):
        sky_panorama("sky", pipeline=pipe, width=100, height=64)
    with pytest.raises(ConfigError, match="steps"):
        tileable_texture("brick", pipeline=pipe, steps=0)
    with pytest.raises(ConfigError, match="panorama"):
        apply_sky(Scene("s", Provenance("t")), np.zeros((4, 4), np.uint8))
