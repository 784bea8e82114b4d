"""A received frame: the typed header, payload parts as numpy views (no copies), and the per-stage
latency breakdown a client can print from the header alone."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.errors import ProtocolError
from bridge.protocol import codec
from bridge.protocol import messages as m

__all__ = ["Frame", "FrameView", "decode_frame"]


@dataclass(slots=True)
class FrameView:
    """One view of a frame (mono: the only one; stereo: left then right)."""

    info: m.ViewInfo
    color: np.ndarray | None = None
    """(H, W, 4) or (H, W, 3) uint8, row 0 at the top (JPEG is decoded to RGB)."""
    depth: np.ndarray | None = None
    """(H, W) float16 metres along −Z; +inf = sky."""
    ids: np.ndarray | None = None

    @property
    def T_world_camera(self) -> np.ndarray:
        return np.asarray(self.info.T_world_camera, np.float64).reshape(4, 4)


@dataclass(slots=True)
class Frame:
    header: m.FrameHeader
    views: list[FrameView]
    t_received_ns: int
    """Client monotonic clock when the frame was read."""

    @property
    def color(self) -> np.ndarray | None:
        return self.views[0].color

    @property
    def depth(self) -> np.ndarray | None:
        return self.views[0].depth

    @property
    def ids(self) -> np.ndarray | None:
        return self.views[0].ids

    @property
    def pose_id(self) -> int:
        return self.header.pose_id

    def latency_ms(self) -> dict[str, float]:
        """Per-stage milliseconds. Server stages use the server clock, end-to-end uses the client's;
        `transport` is what the end-to-end time leaves after the server's part (network + client)."""
        t = self.header.times
        out = {
            "queue": (t.t_render_start - t.t_received) / 1e6,
            "render": (t.t_render_end - t.t_render_start) / 1e6,
            "encode": (t.t_encode_end - t.t_render_end) / 1e6,
            "send": (t.t_send - t.t_encode_end) / 1e6,
        }
        server = (t.t_send - t.t_received) / 1e6
        out["server"] = server
        if t.t_pose:
            total = (self.t_received_ns - t.t_pose) / 1e6
            out["transport"] = max(0.0, total - server)
            out["total"] = total
        return out

    def latency_table(self) -> str:
        rows = self.latency_ms()
        return "\n".join(f"  {k:<10} {v:8.2f} ms" for k, v in rows.items())


_U8, _F16, _U16 = np.dtype(np.uint8), np.dtype(np.float16), np.dtype(np.uint16)
"""Dtype objects made once: `np.ndarray(shape, dtype, buffer)` is one call where `frombuffer` + `reshape`
is two, on a path that runs per frame."""


def _color(info: m.PartInfo, buf: Any) -> np.ndarray:
    if info.encoding == "rgba8":
        return np.ndarray((info.height, info.width, 4), _U8, buf)
    if info.encoding == "rgb8":
        return np.ndarray((info.height, info.width, 3), _U8, buf)
    if info.encoding == "jpeg":
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(bytes(buf))).convert("RGB"))
    raise ProtocolError(
        "UNSUPPORTED", f"unknown colour encoding {info.encoding!r}", field="$.parts[].encoding"
    )


def decode_frame(parts: list[Any], t_received_ns: int) -> Frame:
    """Decode [header, payload...] (topic already stripped). Payloads become read-only numpy views."""
    if not parts:
        raise ProtocolError("BAD_REQUEST", "frame has no header part")
    header = codec.decode_header(parts[0])
    payload = [p.buffer if hasattr(p, "buffer") else memoryview(p) for p in parts[1:]]
    codec.check_frame_parts(header, payload)
    views = [FrameView(v) for v in header.views]
    for info, buf in zip(header.parts, payload, strict=True):
        if not 0 <= info.view < len(views):
            raise ProtocolError(
                "BAD_REQUEST", f"part names view {info.view} but the header has {len(views)} views"
            )
        v = views[info.view]
        kind = info.kind
        if kind == "color":
            v.color = _color(info, buf)
        elif kind == "depth":
            v.depth = np.ndarray((info.height, info.width), _F16, buf)
        elif kind == "ids":
            v.ids = np.ndarray((info.height, info.width), _U16, buf)
    return Frame(header, views, t_received_ns)
