"""Diffusion builders (extra `gen`): a seamless sky panorama and tileable material textures from a
prompt, and a frame styliser (image-to-image, depth-conditioned with a ControlNet) for the renderer.
Models are local diffusers folders named in config or environment variables; nothing downloads.
"""

from bridge.world.diffusion.config import CONTROLNET_ENV, DEVICE_ENV, MODEL_ENV, load_pipeline
from bridge.world.diffusion.sky import apply_sky, sky_panorama
from bridge.world.diffusion.stylise import FrameStyliser
from bridge.world.diffusion.textures import apply_texture, tileable_texture

__all__ = [
    "CONTROLNET_ENV",
    "DEVICE_ENV",
    "MODEL_ENV",
    "FrameStyliser",
    "apply_sky",
    "apply_texture",
    "load_pipeline",
    "sky_panorama",
    "tileable_texture",
]
