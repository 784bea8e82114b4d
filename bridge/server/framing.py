"""Pose request → RenderJob, and RenderResult → the multipart frame (header + raw parts).

Runs on the render thread, so colour conversion, JPEG and float16 packing never touch the event loop.
"""

from __future__ import annotations

import io
import math
import time
import weakref
from dataclasses import dataclass
from typing import Any, cast

import msgspec
import numpy as np
import zmq

from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.render.source import FovAngles, RenderJob, RenderResult, View, fov_from_vertical

__all__ = ["StreamSpec", "build_job", "encode_frame", "restamp"]


@dataclass(frozen=True)
class StreamSpec:
    """A stream's settings from OpenStream; pose requests override per frame."""

    width: int
    height: int
    fov: m.Fov | m.Intrinsics | None
    near: float
    far: float
    color: str
    depth: str
    ids: str
    jpeg_quality: int
    projection: str
    ipd_m: float

    @staticmethod
    def from_open(req: m.OpenStream) -> StreamSpec:
        return StreamSpec(
            req.width,
            req.height,
            req.fov,
            req.near,
            req.far,
            req.color,
            req.depth,
            req.ids,
            req.jpeg_quality,
            req.projection,
            req.ipd_m,
        )


def fov_angles(cam: m.Fov | m.Intrinsics | None, width: int, height: int) -> FovAngles:
    if cam is None:
        return fov_from_vertical(math.radians(60.0), width, height)
    if isinstance(cam, m.Fov):
        return FovAngles(cam.left, cam.right, cam.up, cam.down)
    return FovAngles.from_intrinsics(cam.fx, cam.fy, cam.cx, cam.cy, width, height)


@dataclass
class FrameJob:
    """A render job plus what the frame header needs to echo."""

    job: RenderJob
    stream: int
    pose_id: int
    t_pose: int
    t_received: int
    color: str
    depth: str
    ids: str
    jpeg_quality: int
    perspective: str = ""
    """Set for frames the server drives along a perspective transition (echoed in the header)."""
    t_path: float = 0.0


def build_job(spec: StreamSpec, req: m.PoseRequest, params: dict[str, Any], t_received: int) -> FrameJob:
    w = req.width or spec.width
    h = req.height or spec.height
    near = req.near or spec.near
    far = req.far or spec.far
    if req.eyes:
        views = [
            View(np.asarray(e.T_world_camera, np.float64).reshape(4, 4), fov_angles(e.fov, w, h))
            for e in req.eyes
        ]
    else:
        T = np.asarray(req.T_world_camera, np.float64).reshape(4, 4)
        fov = fov_angles(req.fov or spec.fov, w, h)
        if spec.projection in ("stereo", "equirect_stereo"):
            views = [View(_eye(T, -spec.ipd_m / 2), fov), View(_eye(T, spec.ipd_m / 2), fov)]
        else:
            views = [View(T, fov)]
    color = req.color or spec.color
    depth = req.depth or spec.depth
    job = RenderJob(
        views=views,
        width=w,
        height=h,
        near=near,
        far=max(far, near * 1.001),
        projection=cast(Any, spec.projection),
        ipd_m=spec.ipd_m,
        want_color=color != "none",
        want_depth=depth != "none",
        want_ids=spec.ids != "none",
        depth_dtype="float16",  # what the wire carries: the renderer's GPU converts, not this thread
        params=dict(params),
    )
    return FrameJob(job, 0, req.pose_id, req.t_pose_ns, t_received, color, depth, spec.ids, spec.jpeg_quality)


def _eye(T: np.ndarray, dx: float) -> np.ndarray:
    """The pose moved `dx` metres along its own x axis (left eye negative)."""
    out = T.copy()
    out[:3, 3] += T[:3, 0] * dx
    return out


_FULL_SPHERE = m.Fov(left=-1.57, right=1.57, up=1.57, down=-1.57)


def _view_info(v: View, w: int, h: int, projection: str) -> m.ViewInfo:
    if projection.startswith("equirect"):
        # 360°: the pose gives the orientation of the image centre; "intrinsics" are pixels per radian
        # (each eye is half the height in top-bottom stereo), and the FOV is the full-sphere sentinel.
        eye_h = h / 2 if projection == "equirect_stereo" else h
        intr = m.Intrinsics(fx=w / (2 * math.pi), fy=eye_h / math.pi, cx=w / 2, cy=eye_h / 2)
        return m.ViewInfo(T_world_camera=_mat(v.T_world_camera), fov=_FULL_SPHERE, intrinsics=intr)
    fx, fy, cx, cy = v.fov.intrinsics(w, h)
    return m.ViewInfo(
        T_world_camera=_mat(v.T_world_camera),
        fov=m.Fov(left=v.fov.left, right=v.fov.right, up=v.fov.up, down=v.fov.down),
        intrinsics=m.Intrinsics(fx=fx, fy=fy, cx=cx, cy=cy),
    )


def _mat(T: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in np.asarray(T, np.float64).ravel())


def _encode_color(rgba: np.ndarray, encoding: str, quality: int, copy: bool) -> Any:
    if encoding == "rgba8":
        return np.array(rgba, copy=True) if copy else rgba
    if encoding == "rgb8":
        return np.ascontiguousarray(rgba[..., :3])
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buf, format="JPEG", quality=quality)
    return buf.getbuffer()


_f16_last: tuple[weakref.ref[np.ndarray], np.ndarray] | None = None
"""The last fresh depth array converted and its float16 copy (tuples are swapped atomically)."""


def _depth_f16(depth: np.ndarray, fresh: bool) -> np.ndarray:
    """Depth as float16 for the wire. A source that honours `RenderJob.depth_dtype` already returns it
    (sent as is when fresh). float32 → float16 with numpy costs ~7–13 ms at 1080p (more than sending
    the frame), so a fresh, read-only array seen again (a source re-sending its cached frame) reuses its
    conversion."""
    global _f16_last
    if depth.dtype == np.float16:
        return depth if fresh else np.array(depth, copy=True)
    reusable = fresh and not depth.flags.writeable
    if reusable:
        last = _f16_last
        if last is not None and last[0]() is depth:  # a live weakref: identity cannot be a reused id
            return last[1]
    d16 = depth.astype(np.float16)
    if reusable:
        d16.flags.writeable = False  # shared by every frame that sends it
        _f16_last = (weakref.ref(depth), d16)
    return d16


def encode_frame(fj: FrameJob, result: RenderResult, seq: int) -> tuple[m.FrameHeader, list[Any]]:
    """Build the header and payload parts. Parts are buffers the transport sends zero-copy."""
    job = fj.job
    parts: list[Any] = []
    infos: list[m.PartInfo] = []
    copy = not result.fresh
    views = job.views
    view_infos = []
    for i, rv in enumerate(result.views):
        v = views[min(i, len(views) - 1)]
        h, w = (rv.color if rv.color is not None else rv.depth).shape[:2]  # type: ignore[union-attr]
        view_infos.append(_view_info(v, w, h, job.projection))
        if rv.color is not None and fj.color != "none":
            data = _encode_color(rv.color, fj.color, fj.jpeg_quality, copy)
            parts.append(data)
            infos.append(
                m.PartInfo(
                    kind="color", view=i, encoding=fj.color, width=w, height=h, nbytes=memoryview(data).nbytes
                )
            )
        if rv.depth is not None and fj.depth == "f16":
            d16 = _depth_f16(rv.depth, result.fresh)
            parts.append(d16)
            infos.append(
                m.PartInfo(kind="depth", view=i, encoding="f16", width=w, height=h, nbytes=d16.nbytes)
            )
        if rv.ids is not None and fj.ids == "u16":
            ids = np.array(rv.ids, np.uint16, copy=True) if copy else np.ascontiguousarray(rv.ids, np.uint16)
            parts.append(ids)
            infos.append(m.PartInfo(kind="ids", view=i, encoding="u16", width=w, height=h, nbytes=ids.nbytes))
    t_encode_end = time.monotonic_ns()
    header = m.FrameHeader(
        stream=fj.stream,
        seq=seq,
        pose_id=fj.pose_id,
        projection=job.projection,
        near=job.near,
        far=job.far,
        views=view_infos,
        parts=infos,
        times=m.StageTimes(
            t_pose=fj.t_pose,
            t_received=fj.t_received,
            t_render_start=result.t_render_start_ns,
            t_render_end=result.t_render_end_ns,
            t_encode_end=t_encode_end,
        ),
        scene_version=result.scene_version,
        look=result.look,
        provenance=result.provenance[:4096],
        perspective=fj.perspective,
        t_path=fj.t_path,
    )
    return header, [_sendable(p) for p in parts]


ZERO_COPY_MIN_BYTES = 65536
"""pyzmq's default `copy_threshold`: smaller parts are copied when sent, which is cheaper than sharing."""


def _sendable(part: Any) -> Any:
    """A large part wrapped in a `zmq.Frame` once, here, rather than by every send: libzmq shares one
    Frame's buffer between sends by reference count, so a frame sent again (a cache hit, several
    viewers of one view) costs no new zero-copy frame (~10 µs and a wake-up of pyzmq's release thread
    each). The Frame keeps the array referenced until libzmq and the cache are done with it, which is
    what the renderer's array pool waits for."""
    if isinstance(part, zmq.Frame) or memoryview(part).nbytes < ZERO_COPY_MIN_BYTES:
        return part
    return zmq.Frame(part, copy=False)


def header_bytes_with_send_time(header: m.FrameHeader) -> bytes:
    """Stamp t_send and encode; called by the loop immediately before the send."""
    times = msgspec.structs.replace(header.times, t_send=time.monotonic_ns())
    return codec.encode(msgspec.structs.replace(header, times=times))


def restamp(
    header: m.FrameHeader,
    *,
    stream: int,
    seq: int,
    pose_id: int,
    t_pose: int,
    t_received: int,
    perspective: str = "",
    t_path: float = 0.0,
    shared: bool = False,
) -> m.FrameHeader:
    """A cached frame's header for a new request, stamped to be sent now: its stream, seq, pose id and
    times (no render ran: render start = end = encode end = send = now), the cached views, parts and
    provenance unchanged (one header copy per send, where `header_bytes_with_send_time` would make two).

    `shared`: the frame comes from a render that was already running when this request arrived; its
    render and encode times are kept, counted from the request's arrival (so the stages stay ordered)."""

    now = time.monotonic_ns()
    if shared:
        o = header.times
        start = max(o.t_render_start, t_received)
        end = max(o.t_render_end, start)
        encoded = max(o.t_encode_end, end)
    else:
        start = end = encoded = now
    times = m.StageTimes(
        t_pose=t_pose,
        t_received=t_received,
        t_render_start=start,
        t_render_end=end,
        t_encode_end=encoded,
        t_send=max(now, encoded),
    )
    return msgspec.structs.replace(
        header,
        stream=stream,
        seq=seq,
        pose_id=pose_id,
        times=times,
        perspective=perspective,
        t_path=t_path,
    )
