"""Finding and loading local diffusers pipelines: a path given by the caller, else the environment
(`VPBRIDGE_DIFFUSION_MODEL`, `VPBRIDGE_CONTROLNET_MODEL`). Loading is local-only: a missing or
incomplete folder is a clear ConfigError, never a download. Also the seeded-call helpers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bridge._optional import require
from bridge.errors import ConfigError

__all__ = [
    "CONTROLNET_ENV",
    "DEVICE_ENV",
    "MODEL_ENV",
    "check_params",
    "generator",
    "load_pipeline",
    "model_id",
    "to_uint8",
]

MODEL_ENV = "VPBRIDGE_DIFFUSION_MODEL"
"""Folder of a diffusers Stable Diffusion pipeline (with model_index.json)."""
CONTROLNET_ENV = "VPBRIDGE_CONTROLNET_MODEL"
"""Folder of a diffusers depth ControlNet; optional, enables depth-conditioned stylisation."""
DEVICE_ENV = "VPBRIDGE_DIFFUSION_DEVICE"
"""torch device for the pipelines (default: cuda when available, else cpu)."""

Kind = Literal["txt2img", "img2img", "controlnet_img2img"]


def _folder(path: str | os.PathLike[str] | None, env: str, what: str) -> Path:
    raw = path if path is not None else os.environ.get(env)
    if not raw:
        raise ConfigError(
            f"no local {what} configured: set {env} to a diffusers model folder (nothing is downloaded at run time)"
        )
    p = Path(raw)
    if not p.is_dir():
        raise ConfigError(
            f"{what} folder {str(p)!r} (from {'the argument' if path is not None else env}) does not exist"
        )
    if not (p / "model_index.json").exists() and not (p / "config.json").exists():
        raise ConfigError(
            f"{what} folder {str(p)!r} is not a diffusers model: it has no model_index.json or config.json"
        )
    return p


def load_pipeline(
    kind: Kind = "txt2img",
    model: str | os.PathLike[str] | None = None,
    controlnet: str | os.PathLike[str] | None = None,
) -> Any:
    """A diffusers pipeline loaded from local folders only (see MODEL_ENV / CONTROLNET_ENV)."""
    diffusers = require("diffusers", "diffusion builders")
    torch = require("torch", "diffusion builders")
    folder = _folder(model, MODEL_ENV, "diffusion model")
    device = os.environ.get(DEVICE_ENV) or ("cuda" if torch.cuda.is_available() else "cpu")
    opts: dict[str, Any] = {
        "local_files_only": True,
        "safety_checker": None,
        "requires_safety_checker": False,
    }
    try:
        if kind == "txt2img":
            pipe = diffusers.StableDiffusionPipeline.from_pretrained(folder, **opts)
        elif kind == "img2img":
            pipe = diffusers.StableDiffusionImg2ImgPipeline.from_pretrained(folder, **opts)
        elif kind == "controlnet_img2img":
            cn_folder = _folder(controlnet, CONTROLNET_ENV, "ControlNet model")
            cn = diffusers.ControlNetModel.from_pretrained(cn_folder, local_files_only=True)
            pipe = diffusers.StableDiffusionControlNetImg2ImgPipeline.from_pretrained(
                folder, controlnet=cn, **opts
            )
        else:
            raise ConfigError(f"`kind` must be txt2img, img2img or controlnet_img2img, got {kind!r}")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the diffusion model from {str(folder)!r}: {exc}") from exc
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def model_id(pipe: Any) -> str:
    name = getattr(getattr(pipe, "config", None), "_name_or_path", "") or ""
    return str(name) or type(pipe).__name__


def check_params(
    seed: int, steps: int, guidance_scale: float, width: int, height: int, multiple: int = 8
) -> None:
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ConfigError(f"`seed` must be a non-negative integer, got {seed!r}")
    if not 1 <= steps <= 500:
        raise ConfigError(f"`steps` must be 1..500, got {steps}")
    if not 0.0 <= guidance_scale <= 50.0:
        raise ConfigError(f"`guidance_scale` (CFG) must be 0..50, got {guidance_scale}")
    for name, v in (("width", width), ("height", height)):
        if v <= 0 or v % multiple:
            raise ConfigError(f"`{name}` must be a positive multiple of {multiple}, got {v}")


def generator(pipe: Any, seed: int) -> Any:
    torch = require("torch", "diffusion builders")
    # a CPU generator gives the same noise on every device, so a seed means the same image everywhere
    return torch.Generator("cpu").manual_seed(seed)


def to_uint8(images: Any) -> np.ndarray:
    """First image of a pipeline output (numpy float 0..1, NHWC) as HxWx3 uint8."""
    arr = np.asarray(images[0], np.float32)
    return np.asarray(np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8))
