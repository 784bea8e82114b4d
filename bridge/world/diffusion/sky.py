"""Sky panoramas from a prompt: an equirectangular image (2:1) generated with wrap-around
convolutions so column 0 continues column W-1, then put into a scene's environment.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bridge.errors import ConfigError
from bridge.world.diffusion.config import check_params, generator, load_pipeline, to_uint8
from bridge.world.diffusion.seamless import circular_padding
from bridge.world.scene import Scene

__all__ = ["PANORAMA_SUFFIX", "apply_sky", "sky_panorama"]

PANORAMA_SUFFIX = ", equirectangular 360 degree panorama of the sky, horizon in the middle"


def sky_panorama(
    prompt: str,
    *,
    pipeline: Any = None,
    seed: int = 0,
    steps: int = 25,
    guidance_scale: float = 7.0,
    width: int = 1024,
    height: int = 512,
) -> np.ndarray:
    """HxWx3 uint8 sRGB panorama whose left and right edges meet; `pipeline` defaults to the configured model."""
    if not prompt.strip():
        raise ConfigError(
            "`prompt` for the sky panorama is empty; describe the sky, e.g. 'stormy sunset clouds'"
        )
    pipe = pipeline if pipeline is not None else load_pipeline("txt2img")
    check_params(seed, steps, guidance_scale, width, height)
    with circular_padding([pipe.unet, pipe.vae], wrap_x=True, wrap_y=False):
        out = pipe(
            prompt + PANORAMA_SUFFIX,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            width=width,
            height=height,
            generator=generator(pipe, seed),
            output_type="np",
        )
    return to_uint8(out.images)


def apply_sky(
    scene: Scene, panorama: np.ndarray, *, model: str = "", prompt: str = "", seed: int = 0
) -> Scene:
    """Use `panorama` as the scene's sky and record where it came from."""
    pano = np.asarray(panorama)
    if pano.ndim != 3 or pano.shape[2] != 3 or pano.dtype != np.uint8:
        raise ConfigError(f"`panorama` must be an HxWx3 uint8 image, got {pano.dtype} {pano.shape}")
    scene.environment.panorama = pano
    scene.environment.sky = "panorama"
    scene.version += 1
    scene.provenance.model_id = model or scene.provenance.model_id
    scene.provenance.notes.append(
        f"sky panorama {pano.shape[1]}x{pano.shape[0]} from {prompt!r}, seed {seed}"
    )
    return scene
