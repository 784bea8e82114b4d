"""Wrap-around convolutions: while active, every padded Conv2d of the given modules pads circularly
along the chosen axes, so what the network makes continues across the left/right (and top/bottom)
edges. That is what makes panoramas seamless and textures tile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bridge._optional import require

__all__ = ["circular_padding"]


@contextmanager
def circular_padding(modules: list[Any], wrap_x: bool = True, wrap_y: bool = False) -> Iterator[int]:
    """Patch the padded Conv2d layers of `modules`; yields how many were patched; restores on exit."""
    torch = require("torch", "diffusion builders")
    F = torch.nn.functional
    patched = []
    for module in modules:
        for conv in module.modules():
            if (
                not isinstance(conv, torch.nn.Conv2d)
                or isinstance(conv.padding, str)
                or conv.padding == (0, 0)
            ):
                continue

            def forward(x: Any, weight: Any, bias: Any, conv: Any = conv) -> Any:
                py, px = conv.padding
                x = F.pad(x, (px, px, 0, 0), mode="circular" if wrap_x else "constant")
                x = F.pad(x, (0, 0, py, py), mode="circular" if wrap_y else "constant")
                return F.conv2d(x, weight, bias, conv.stride, 0, conv.dilation, conv.groups)

            conv._conv_forward = forward
            patched.append(conv)
    try:
        yield len(patched)
    finally:
        for conv in patched:
            del conv._conv_forward
