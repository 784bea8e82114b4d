"""GLSL sources for the renderer: read from the package's `glsl/` folder, with a tiny `#include`
and `#define` preprocessor so the sky and lighting code is written once and shared by every pass.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["source"]

_INCLUDE = re.compile(r'^#include "([\w.]+)"\s*$', re.MULTILINE)


@cache
def _read(name: str) -> str:
    return resources.files("bridge.render").joinpath("glsl", name).read_text(encoding="utf-8")


def source(name: str, defines: tuple[str, ...] = ()) -> str:
    """The text of `glsl/<name>` with includes expanded and `defines` inserted after `#version`."""
    text = _INCLUDE.sub(lambda m: _read(m.group(1)), _read(name))
    if defines:
        first, _, rest = text.partition("\n")
        text = first + "\n" + "".join(f"#define {d}\n" for d in defines) + rest
    return text
