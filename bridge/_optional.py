"""Optional heavy dependencies, imported where used, failing with the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from bridge.errors import MissingExtraError

_EXTRA = {
    "torch": "gen",
    "diffusers": "gen",
    "transformers": "gen",
    "open3d": "scan",
    "xr": "xr",
    "av": "video",
    "bpy": "blender",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import `module` or raise MissingExtraError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise
        raise MissingExtraError(module, _EXTRA.get(module.split(".")[0], "all"), purpose) from exc
