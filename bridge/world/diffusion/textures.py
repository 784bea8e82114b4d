"""Tileable material textures from a prompt (wrap-around convolutions on both axes), and putting
them on the materials of a scene's meshes with a given label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bridge.errors import ConfigError
from bridge.world.diffusion.config import check_params, generator, load_pipeline, to_uint8
from bridge.world.diffusion.seamless import circular_padding
from bridge.world.scene import Scene

__all__ = ["apply_texture", "tileable_texture"]


def tileable_texture(
    prompt: str,
    *,
    pipeline: Any = None,
    seed: int = 0,
    steps: int = 25,
    guidance_scale: float = 7.0,
    size: int = 512,
) -> np.ndarray:
    """size x size x 3 uint8 texture that tiles in both directions."""
    if not prompt.strip():
        raise ConfigError(
            "`prompt` for the texture is empty; describe the material, e.g. 'weathered red brick'"
        )
    pipe = pipeline if pipeline is not None else load_pipeline("txt2img")
    check_params(seed, steps, guidance_scale, size, size)
    with circular_padding([pipe.unet, pipe.vae], wrap_x=True, wrap_y=True):
        out = pipe(
            prompt + ", seamless tileable texture, top-down, flat lighting",
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            width=size,
            height=size,
            generator=generator(pipe, seed),
            output_type="np",
        )
    return to_uint8(out.images)


def apply_texture(scene: Scene, texture: np.ndarray, label: str, *, note: str = "") -> int:
    """Set `texture` as the base-colour texture of every material used by meshes labelled `label`; returns how many."""
    tex = np.asarray(texture)
    if tex.ndim != 3 or tex.shape[2] not in (3, 4) or tex.dtype != np.uint8:
        raise ConfigError(f"`texture` must be an HxWx3 or HxWx4 uint8 image, got {tex.dtype} {tex.shape}")
    mats = sorted({m.material for m in scene.meshes if m.label == label and m.uvs is not None})
    if not mats:
        labels = sorted({m.label for m in scene.meshes})
        raise ConfigError(
            f"no textured meshes labelled {label!r} in scene {scene.name!r}; labels present: {', '.join(labels)}"
        )
    for i in mats:
        scene.materials[i].base_color_texture = tex
    scene.version += 1
    scene.provenance.notes.append(
        f"texture on {label!r} ({len(mats)} material(s)){': ' + note if note else ''}"
    )
    return len(mats)
