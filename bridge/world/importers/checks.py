"""Checks shared by the importers: the file exists, is not empty or absurdly large, and the geometry
read from it is finite and of a sane size. Every error names the file and the problem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.errors import SceneError

__all__ = ["MAX_EXTENT_M", "MAX_FILE_BYTES", "MAX_POINTS", "check_file", "check_positions"]

MAX_FILE_BYTES = 4 << 30
"""Files above 4 GiB are refused before reading."""
MAX_POINTS = 200_000_000
MAX_EXTENT_M = 1.0e6
"""A scene wider than 1000 km after unit conversion is a unit or parsing error, not a set."""


def check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise SceneError(f"{str(p)!r} does not exist; check the path")
    if not p.is_file():
        raise SceneError(f"{str(p)!r} is not a file")
    size = p.stat().st_size
    if size == 0:
        raise SceneError(f"{str(p)!r} is empty (0 bytes); export it again")
    if size > MAX_FILE_BYTES:
        raise SceneError(
            f"{str(p)!r} is {size / 2**30:.1f} GiB, over the {MAX_FILE_BYTES >> 30} GiB import limit; decimate it first"
        )
    return p


def check_positions(path: str | Path, positions: np.ndarray, what: str = "vertices") -> None:
    if positions.ndim != 2 or positions.shape[1] != 3 or len(positions) == 0:
        raise SceneError(
            f"{str(path)!r} contains no {what}; the file is empty or not what its extension says"
        )
    if len(positions) > MAX_POINTS:
        raise SceneError(
            f"{str(path)!r} has {len(positions):,} {what}, over the {MAX_POINTS:,} limit; decimate it first"
        )
    if not np.all(np.isfinite(positions)):
        raise SceneError(f"{str(path)!r} has non-finite (NaN or infinite) {what}; the file is corrupt")
    extent = float(np.ptp(positions, axis=0).max())
    if extent > MAX_EXTENT_M:
        raise SceneError(
            f"{str(path)!r} spans {extent:.3g} m after unit conversion, which is absurd; check its units (pass `unit_scale`)"
        )
