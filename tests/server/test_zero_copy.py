"""Frames leave the server zero-copy: the colour and depth parts sent are the scene renderer's own
arrays (no copy, no float32 → float16 cast on the render thread), and a buffer ZeroMQ still holds —
frames queued for a client that reads nothing — is never rendered into again."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import trimesh
import zmq

from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.render import SceneRenderer
from bridge.render.source import RenderJob, RenderResult
from bridge.server import ServerConfig, ServerThread
from bridge.world.scene import Environment, Material, Mesh, Provenance, Scene, look_at

W, H = 256, 192  # every colour and depth part above pyzmq's 64 KiB zero-copy threshold


def _scene() -> Scene:
    scene = Scene("zero_copy", Provenance("tests", seed=1), Environment(time_of_day_h=14.0))
    for name, extents, centre, colour in (
        ("ground", (60.0, 0.2, 60.0), (0.0, -0.1, 0.0), (0.4, 0.4, 0.35, 1.0)),
        ("block", (4.0, 6.0, 4.0), (2.0, 3.0, -10.0), (0.7, 0.3, 0.2, 1.0)),
    ):
        tm = trimesh.creation.box(extents)
        tm.apply_translation(centre)
        tm.unmerge_vertices()
        mat = scene.add_material(Material(name, colour))
        scene.add_mesh(
            Mesh(
                name,
                name,
                np.asarray(tm.vertices, np.float32),
                np.asarray(tm.vertex_normals, np.float32),
                np.asarray(tm.faces, np.uint32),
                material=mat,
            )
        )
    return scene


class SpySource:
    """The scene renderer, noting the address of every array it hands the server."""

    name = "scene"

    def __init__(self, scene: Scene) -> None:
        self.inner = SceneRenderer(scene, shadow_size=256)
        self.handed: list[set[int]] = []

    def render(self, job: RenderJob) -> RenderResult:
        res = self.inner.render(job)
        self.handed.append(
            {a.ctypes.data for v in res.views for a in (v.color, v.depth, v.ids) if a is not None}
        )
        return res

    def close(self) -> None:
        self.inner.close()


def _dealer(ctx: zmq.Context[Any], endpoint: str) -> zmq.Socket[Any]:
    s: zmq.Socket[Any] = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def _recv(sock: zmq.Socket[Any], timeout: float = 30.0) -> list[zmq.Frame]:
    assert sock.poll(int(timeout * 1000)), "nothing received in time"
    return sock.recv_multipart(copy=False)


class Session:
    def __init__(self, ctx: zmq.Context[Any], srv: ServerThread, name: str) -> None:
        self.ctl = _dealer(ctx, srv.endpoints["control"])
        self.ctl.send(codec.encode(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, client=name)))
        welcome = codec.decode_control_reply(_recv(self.ctl)[0].bytes)
        assert isinstance(welcome, m.Welcome)
        self.fr = _dealer(ctx, srv.endpoints["frames"])
        self.fr.send(codec.encode(m.Attach(rid=2, session=welcome.session)))
        assert _recv(self.fr)[0].bytes == codec.EVENT_TOPIC
        self.ctl.send(codec.encode(m.OpenStream(rid=3, width=W, height=H)))
        opened = codec.decode_control_reply(_recv(self.ctl)[0].bytes)
        assert isinstance(opened, m.StreamOpened)
        self.stream = opened.stream
        self.pose_id = 0

    def request(self, T: np.ndarray, credit: int = 0) -> None:
        if credit:
            self.fr.send(codec.encode(m.Credit(stream=self.stream, n=credit)))
        self.pose_id += 1
        pose = m.PoseRequest(stream=self.stream, pose_id=self.pose_id, T_world_camera=tuple(T.ravel()))
        self.fr.send(codec.encode(pose))

    def frame(self) -> list[zmq.Frame]:
        parts = _recv(self.fr)
        assert parts[0].bytes == codec.FRAME_TOPIC
        header = codec.decode_header(parts[1].bytes)
        assert [p.kind for p in header.parts] == ["color", "depth"]
        return parts[2:]

    def close(self) -> None:
        self.ctl.close(linger=0)
        self.fr.close(linger=0)


def _address(f: zmq.Frame) -> int:
    return int(np.frombuffer(f.buffer, np.uint8).ctypes.data)


def _wait(cond: Any, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_frames_are_the_renderers_own_buffers_and_queued_ones_are_never_rendered_into() -> None:
    scene = _scene()
    sources: list[SpySource] = []

    def factory() -> SpySource:
        sources.append(SpySource(scene))
        return sources[-1]

    # inproc hands a message's buffer to the peer as is; no frame cache, so only ZeroMQ holds frames.
    cfg = ServerConfig(port=0, transport="inproc", host=f"zero-copy-{os.getpid()}", cache_bytes=0)
    srv = ServerThread(cfg, source_factory=factory).start()
    sessions: list[Session] = []
    try:
        assert srv.server is not None and srv.server.ctx is not None
        ctx: zmq.Context[Any] = zmq.Context.shadow(srv.server.ctx.underlying)
        stalled = Session(ctx, srv, "stalled")
        busy = Session(ctx, srv, "busy")
        sessions += [stalled, busy]
        spy = sources[0]

        def frames_sent() -> object:
            return srv.call(lambda s: s.stats["frames"])

        # The stalled client asks for three frames, one at a time, and reads none of them.
        poses = [look_at((-4.0 + 2.0 * i, 2.0, 6.0), (2.0, 1.0, -10.0)) for i in range(3)]
        for i, T in enumerate(poses):
            stalled.request(T, credit=3 if i == 0 else 0)
            assert _wait(lambda i=i: frames_sent() == i + 1)
        held = set().union(*spy.handed)
        assert len(spy.handed) == 3
        assert len(held) == 6, "queued frames share arrays: the server copied them or the pool reused them"

        # Meanwhile another client keeps the renderer busy.
        for i in range(6):
            busy.request(look_at((5.0, 1.0 + 0.5 * i, 8.0), (0.0, 1.0, -10.0)), credit=1)
            busy.frame()
        rendered_meanwhile = set().union(*spy.handed[3:])
        assert not held & rendered_meanwhile, "an array ZeroMQ still held was rendered into"

        # Now the stalled client reads: its frames are the renderer's arrays, unchanged since rendered
        # (rendering is deterministic: the same poses rendered again give the same bytes).
        queued = [stalled.frame() for _ in poses]
        for parts, handed in zip(queued, spy.handed[:3], strict=True):
            assert {_address(p) for p in parts} == handed, "the server copied a frame's arrays"
        for T, parts in zip(poses, queued, strict=True):
            busy.request(T, credit=1)
            again = busy.frame()
            assert [p.bytes for p in parts] == [p.bytes for p in again], "a queued frame was overwritten"
            depth = np.frombuffer(again[1].buffer, np.float16)
            assert np.isposinf(depth).any() and np.isfinite(depth).any()  # sky and geometry, as f16
    finally:
        for s in sessions:
            s.close()
        srv.stop()
