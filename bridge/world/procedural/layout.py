"""Top-down layouts: a grid of cell classes (road, building, vegetation, water, ground, sidewalk)
that the city builder fills in. Made procedurally from a street grid, or read from a colour-coded
sketch PNG (legend in docs/world.md). Also reads an image prompt's palette and horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from bridge.errors import SceneError

__all__ = [
    "BUILDING",
    "GROUND",
    "ROAD",
    "SIDEWALK",
    "VEGETATION",
    "WATER",
    "Layout",
    "city_layout",
    "image_hints",
    "sketch_layout",
]

GROUND, ROAD, BUILDING, VEGETATION, WATER, SIDEWALK = 0, 1, 2, 3, 4, 5
MAX_SKETCH_PX = 1024


@dataclass
class Layout:
    """cells[row, col]: row grows towards +Z (south, image down), col towards +X (image right)."""

    cells: np.ndarray
    cell_m: float

    @property
    def size_m(self) -> tuple[float, float]:
        """(x extent, z extent) in metres."""
        return self.cells.shape[1] * self.cell_m, self.cells.shape[0] * self.cell_m

    def to_world(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sx, sz = self.size_m
        return (np.asarray(cols) + 0.5) * self.cell_m - sx / 2, (
            np.asarray(rows) + 0.5
        ) * self.cell_m - sz / 2


def city_layout(
    size_m: float, block_m: float, street_m: float, rng: np.random.Generator, cell_m: float = 1.0
) -> Layout:
    """A street grid with slightly irregular spacing, sidewalks round each block, buildings inside."""
    n = int(round(size_m / cell_m))
    cells = np.full((n, n), BUILDING, np.uint8)
    sw = max(1, int(round(3.0 / cell_m)))
    half = max(1, int(round(street_m / cell_m / 2)))
    for axis in (0, 1):
        # street centre lines, jittered so blocks are not all identical; one street through the centre
        pos, lines = n / 2, []
        while pos > 0:
            lines.append(pos)
            pos -= block_m / cell_m * rng.uniform(0.8, 1.25)
        pos = n / 2 + block_m / cell_m * rng.uniform(0.8, 1.25)
        while pos < n:
            lines.append(pos)
            pos += block_m / cell_m * rng.uniform(0.8, 1.25)
        for c in sorted(lines):
            a, b = int(c) - half - sw, int(c) + half + sw
            sl = (
                (slice(max(a, 0), max(b, 0)), slice(None))
                if axis == 0
                else (slice(None), slice(max(a, 0), max(b, 0)))
            )
            cells[sl] = np.where(cells[sl] == ROAD, ROAD, SIDEWALK)
            a2, b2 = int(c) - half, int(c) + half
            sl = (
                (slice(max(a2, 0), max(b2, 0)), slice(None))
                if axis == 0
                else (slice(None), slice(max(a2, 0), max(b2, 0)))
            )
            cells[sl] = ROAD
    return Layout(cells, cell_m)


# Legend colours (sRGB) and the class each stands for; a pixel takes the nearest.
_LEGEND = np.array(
    [[0, 0, 0], [128, 128, 128], [40, 160, 40], [40, 90, 220], [255, 255, 255], [230, 200, 120]], np.float64
)
_LEGEND_CLASS = np.array([ROAD, BUILDING, VEGETATION, WATER, GROUND, SIDEWALK], np.uint8)


def _read_image(path: str | Path, what: str) -> Image.Image:
    p = Path(path)
    if not p.is_file():
        raise SceneError(f"{what} {str(p)!r} does not exist; give a PNG or JPEG file")
    try:
        img = Image.open(p)
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise SceneError(
            f"{what} {str(p)!r} is not a readable image ({exc}); give a PNG or JPEG file"
        ) from exc
    if min(img.size) < 8:
        raise SceneError(f"{what} {str(p)!r} is {img.size[0]}x{img.size[1]} pixels; it must be at least 8x8")
    return img


def sketch_layout(path: str | Path, m_per_px: float) -> Layout:
    """Classify each pixel of a top-down sketch by the legend and mark sidewalks round building areas."""
    img = _read_image(path, "sketch").convert("RGB")
    if max(img.size) > MAX_SKETCH_PX:  # keep the grid small; detail below a few metres is lost anyway
        scale = MAX_SKETCH_PX / max(img.size)
        m_per_px /= scale
        img = img.resize(
            (max(8, int(img.size[0] * scale)), max(8, int(img.size[1] * scale))), Image.Resampling.NEAREST
        )
    rgb = np.asarray(img, np.float64)
    d = ((rgb[:, :, None, :] - _LEGEND[None, None]) ** 2).sum(-1)
    cells = _LEGEND_CLASS[np.argmin(d, axis=-1)]
    # a strip round each building area becomes sidewalk so buildings do not touch the road
    sw = max(1, int(round(3.0 / m_per_px)))
    building = cells == BUILDING
    inner = ndimage.binary_erosion(building, iterations=sw)
    cells = np.where(building & ~inner, SIDEWALK, cells).astype(np.uint8)
    return Layout(cells, m_per_px)


def image_hints(path: str | Path, colors: int = 4) -> tuple[list[str], float]:
    """(dominant sRGB colours as '#rrggbb', horizon height 0 top..1 bottom) of an image prompt."""
    img = _read_image(path, "image").convert("RGB")
    img.thumbnail((256, 256))
    q = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    pal = np.array((q.getpalette() or [])[: colors * 3], np.int64).reshape(-1, 3)
    counts = np.bincount(np.asarray(q).ravel(), minlength=colors)[: len(pal)]
    order = np.argsort(-counts, kind="stable")
    hexes = ["#{:02x}{:02x}{:02x}".format(*tuple(int(v) for v in pal[i])) for i in order if counts[i] > 0]
    lum = np.asarray(img.convert("L"), np.float64).mean(axis=1)
    lum = ndimage.uniform_filter1d(lum, size=max(3, len(lum) // 20))
    grad = np.diff(lum)
    lo, hi = int(len(grad) * 0.1), int(len(grad) * 0.9)
    row = lo + int(np.argmax(np.abs(grad[lo:hi]))) if hi > lo else len(lum) // 2
    return hexes, round(float(row / len(lum)), 3)
