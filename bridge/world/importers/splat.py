"""3D Gaussian-splat PLY import: positions, colours from the degree-0 (DC) spherical-harmonic
coefficients, opacity (sigmoid of the stored logit), scales (exp of the stored log) and rotations,
as a `PointCloud(kind="splats")` labelled "splat" that the renderer draws as points or splats.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from bridge.errors import SceneError
from bridge.world.importers.checks import check_file, check_positions
from bridge.world.scene import PointCloud, Provenance, Scene

__all__ = ["SH_C0", "import_splat", "is_splat_header", "read_ply_header"]

SH_C0 = 0.28209479177387814
"""Degree-0 spherical-harmonic constant: colour = 0.5 + SH_C0 * f_dc."""
_TYPES = {
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
    "uchar": "u1",
    "uint8": "u1",
    "char": "i1",
    "int8": "i1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
}
Progress = Callable[[float, str], None]


def read_ply_header(path: Path) -> tuple[str, list[tuple[str, int, list[tuple[str, str]]]], int]:
    """(format, [(element, count, [(property, type)])], header length in bytes) of a PLY file."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if not head.startswith(b"ply"):
        raise SceneError(
            f"{str(path)!r} is not a PLY file (it does not start with 'ply'); check the extension"
        )
    end = head.find(b"end_header")
    if end < 0:
        raise SceneError(
            f"{str(path)!r}: PLY header has no 'end_header' in its first 64 KiB; the file is truncated or corrupt"
        )
    stop = head.index(b"\n", end) + 1
    fmt = ""
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    for line in head[:stop].decode("ascii", "replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "format":
            fmt = parts[1]
        elif parts[0] == "element":
            try:
                elements.append((parts[1], int(parts[2]), []))
            except (IndexError, ValueError):
                raise SceneError(f"{str(path)!r}: bad PLY element line {line!r}") from None
        elif parts[0] == "property" and elements:
            elements[-1][2].append((parts[-1], parts[1] if parts[1] != "list" else "list"))
    return fmt, elements, stop


def is_splat_header(elements: list[tuple[str, int, list[tuple[str, str]]]]) -> bool:
    names = {n for e in elements if e[0] == "vertex" for n, _ in e[2]}
    return {"f_dc_0", "opacity", "scale_0", "rot_0"} <= names


def import_splat(path: str | Path, progress: Progress | None = None) -> Scene:
    """Read a 3D Gaussian-splat PLY (binary little-endian, as written by 3DGS trainers)."""
    p = check_file(path)
    fmt, elements, start = read_ply_header(p)
    if fmt != "binary_little_endian":
        raise SceneError(f"{str(p)!r}: splat PLY must be binary_little_endian, got {fmt or 'no format line'}")
    if not elements or elements[0][0] != "vertex" or not is_splat_header(elements):
        raise SceneError(
            f"{str(p)!r} is not a Gaussian-splat PLY: it needs vertex properties f_dc_*, opacity, scale_*, rot_*"
        )
    _, count, props = elements[0]
    if any(t == "list" or t not in _TYPES for _, t in props):
        raise SceneError(f"{str(p)!r}: unsupported property type in the splat vertex element")
    dtype = np.dtype([(n, "<" + _TYPES[t]) for n, t in props])
    need = count * dtype.itemsize
    have = p.stat().st_size - start
    if count <= 0 or have < need:
        raise SceneError(
            f"{str(p)!r} is truncated: the header promises {count:,} splats ({need:,} bytes), the file holds {max(have, 0):,}"
        )
    data = np.fromfile(p, dtype=dtype, count=count, offset=start)
    pos = np.stack([data["x"], data["y"], data["z"]], 1).astype(np.float32)
    check_positions(p, pos, "splats")
    dc = np.stack([data[f"f_dc_{i}"] for i in range(3)], 1).astype(np.float32)
    srgb = np.clip(0.5 + SH_C0 * dc, 0.0, 1.0)
    colors = np.where(
        srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4
    )  # PointCloud colours are linear
    opacity = (1.0 / (1.0 + np.exp(-data["opacity"].astype(np.float64)))).astype(np.float32)
    scales = np.exp(np.stack([data[f"scale_{i}"] for i in range(3)], 1).astype(np.float64)).astype(np.float32)
    rot = np.stack([data[f"rot_{i}"] for i in range(4)], 1).astype(np.float64)
    rot /= np.linalg.norm(rot, axis=1, keepdims=True) + 1e-12
    scene = Scene(
        p.stem,
        Provenance(
            "vpbridge.import.splat",
            "1.0",
            notes=[f"{count:,} Gaussian splats from {p.name}; axes kept as stored"],
        ),
    )
    scene.add_points(
        PointCloud(
            p.stem,
            "splat",
            pos,
            colors.astype(np.float32),
            "splats",
            opacity,
            scales,
            rot.astype(np.float32),
            point_size_m=float(np.median(scales.max(1)) * 2),
        )
    )
    if progress:
        progress(1.0, "done")
    return scene
