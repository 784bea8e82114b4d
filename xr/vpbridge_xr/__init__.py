"""vpbridge's OpenXR viewer: scouting and holographic review in a headset (`vpbridge xr ENDPOINT`),
and its desktop fallback (`vpbridge view ENDPOINT`).

The import name is `vpbridge_xr`; `xr` is pyopenxr's. Nothing here imports pyopenxr or GL at import
time, so the pure parts (locomotion, measuring, lenses, bindings) load anywhere.
"""

from __future__ import annotations

__all__: list[str] = []
