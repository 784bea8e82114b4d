"""Frame stylisation for the renderer: image-to-image on a rendered frame, conditioned on its depth
through a ControlNet when one is configured, so the look follows the geometry. Same seed, same
frame in, same frame out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from bridge.errors import ConfigError
from bridge.world.diffusion.config import CONTROLNET_ENV, check_params, generator, load_pipeline, to_uint8

__all__ = ["FrameStyliser", "depth_to_image"]


def depth_to_image(depth: np.ndarray) -> Image.Image:
    """Linear depth (metres, 0 or inf = sky) -> the near-bright inverse-depth image depth ControlNets expect."""
    d = np.asarray(depth, np.float64)
    valid = np.isfinite(d) & (d > 0)
    inv = np.zeros_like(d)
    inv[valid] = 1.0 / d[valid]
    if valid.any():
        lo, hi = inv[valid].min(), inv[valid].max()
        inv[valid] = (inv[valid] - lo) / max(hi - lo, 1e-9)
    g = (inv * 255 + 0.5).astype(np.uint8)
    return Image.fromarray(np.repeat(g[..., None], 3, axis=2))


class FrameStyliser:
    """Stylise rendered frames. Give pipelines directly (tests, servers that share them) or let it load the configured ones."""

    def __init__(
        self, pipeline: Any = None, *, controlnet_pipeline: Any = None, use_controlnet: bool | None = None
    ) -> None:
        import os

        self.pipe = pipeline
        self.cn_pipe = controlnet_pipeline
        if self.pipe is None and self.cn_pipe is None:
            want_cn = bool(os.environ.get(CONTROLNET_ENV)) if use_controlnet is None else use_controlnet
            if want_cn:
                self.cn_pipe = load_pipeline("controlnet_img2img")
            else:
                self.pipe = load_pipeline("img2img")

    @property
    def depth_conditioned(self) -> bool:
        return self.cn_pipe is not None

    def stylise(
        self,
        rgb: np.ndarray,
        prompt: str,
        *,
        depth: np.ndarray | None = None,
        seed: int = 0,
        strength: float = 0.5,
        steps: int = 10,
        guidance_scale: float = 5.0,
        controlnet_scale: float = 1.0,
    ) -> np.ndarray:
        """HxWx3 uint8 frame in, same-size HxWx3 uint8 stylised frame out."""
        frame = np.asarray(rgb)
        if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
            raise ConfigError(f"`rgb` must be an HxWx3 (or 4) uint8 frame, got {frame.dtype} {frame.shape}")
        if not 0.0 < strength <= 1.0:
            raise ConfigError(f"`strength` must be in (0, 1], got {strength}")
        h, w = frame.shape[:2]
        # the pipelines need sizes divisible by 8: work at the nearest such size, then return to the frame's
        wh = (max(8, round(w / 8) * 8), max(8, round(h / 8) * 8))
        check_params(seed, steps, guidance_scale, *wh)
        img = Image.fromarray(frame[..., :3]).resize(wh, Image.Resampling.BICUBIC)
        common = {
            "prompt": prompt,
            "image": img,
            "strength": strength,
            "num_inference_steps": steps,
            "guidance_scale": guidance_scale,
            "output_type": "np",
        }
        if self.cn_pipe is not None:
            if depth is None:
                raise ConfigError(
                    "this styliser is depth-conditioned (ControlNet configured): pass `depth` with the frame"
                )
            if np.asarray(depth).shape[:2] != (h, w):
                raise ConfigError(f"`depth` must be {h}x{w} like the frame, got {np.asarray(depth).shape}")
            control = depth_to_image(depth).resize(wh, Image.Resampling.NEAREST)
            out = self.cn_pipe(
                **common,
                control_image=control,
                controlnet_conditioning_scale=controlnet_scale,
                generator=generator(self.cn_pipe, seed),
            )
        else:
            out = self.pipe(**common, generator=generator(self.pipe, seed))
        result = to_uint8(out.images)
        if result.shape[:2] != (h, w):
            result = np.asarray(Image.fromarray(result).resize((w, h), Image.Resampling.BICUBIC))
        return result
