"""Writing what clients receive: H.264 MP4 clips (PyAV, extra `video`), PNG stills, contact sheets,
and depth visualisation."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bridge._optional import require

__all__ = ["ClipWriter", "contact_sheet", "depth_to_rgb"]


def depth_to_rgb(depth: np.ndarray, near: float | None = None, far: float | None = None) -> np.ndarray:
    """Log-scaled depth as an RGB image (near bright, far dark, sky black)."""
    d = np.asarray(depth, np.float32)
    finite = np.isfinite(d) & (d > 0)
    if not finite.any():
        return np.zeros((*d.shape, 3), np.uint8)
    lo = near if near is not None else float(d[finite].min())
    hi = far if far is not None else float(d[finite].max())
    lo = max(lo, 1e-3)
    safe = np.where(finite, np.clip(d, lo, max(hi, lo * 1.001)), lo)
    t = (np.log(safe) - np.log(lo)) / max(1e-6, np.log(max(hi, lo * 1.001)) - np.log(lo))
    v = np.where(finite, np.clip(1.0 - t, 0.0, 1.0), 0.0)
    rgb = np.stack([v**0.8, v**1.2, v**2.0], axis=-1)
    return (rgb * 255).astype(np.uint8)


class ClipWriter:
    """H.264 MP4 through PyAV: `with ClipWriter(path, fps, w, h) as clip: clip.write(rgb)`."""

    def __init__(self, path: str | Path, fps: int, width: int, height: int, *, crf: int = 20) -> None:
        av = require("av", "writing MP4 clips")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # H.264 wants even sizes: crop one pixel rather than rescale.
        self.width, self.height = width - width % 2, height - height % 2
        self._av = av
        self._container = av.open(str(self.path), mode="w")
        self._stream = self._container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        img = np.ascontiguousarray(rgb[: self.height, : self.width, :3])
        frame = self._av.VideoFrame.from_ndarray(img, format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def contact_sheet(
    images: Sequence[np.ndarray], labels: Sequence[str] = (), *, columns: int = 4, thumb_width: int = 320
) -> Image.Image:
    """A grid of thumbnails with a caption under each."""
    if not images:
        raise ValueError("`images` is empty: a contact sheet needs at least one image")
    h0, w0 = images[0].shape[:2]
    tw, th = thumb_width, max(1, round(thumb_width * h0 / w0))
    caption = 16 if labels else 0
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (tw + 4) + 4, rows * (th + caption + 4) + 4), (18, 18, 20))
    draw = ImageDraw.Draw(sheet)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        x, y = 4 + c * (tw + 4), 4 + r * (th + caption + 4)
        sheet.paste(
            Image.fromarray(np.ascontiguousarray(img[..., :3])).resize((tw, th), Image.Resampling.BILINEAR),
            (x, y),
        )
        if i < len(labels):
            draw.text((x + 2, y + th + 2), labels[i][:48], fill=(220, 220, 220))
    return sheet
