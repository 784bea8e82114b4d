"""The frames plane is drained by a loop reader (every waiting message per wake-up, in batches): a
burst larger than a batch is handled in order, the newest pose wins, credits stay capped, and the
server keeps answering while it streams."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.server import ServerThread
from bridge.server.app import FRAMES_BATCH

EYE = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.7, 0.0, 0.0, 1.0, 5.0, 0.0, 0.0, 0.0, 1.0)


class Sockets:
    def __init__(self) -> None:
        self.ctx: zmq.Context[Any] = zmq.Context()
        self.made: list[zmq.Socket[Any]] = []

    def dealer(self, endpoint: str) -> zmq.Socket[Any]:
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDHWM, 0)
        s.connect(endpoint)
        self.made.append(s)
        return s


@pytest.fixture
def ctx() -> Iterator[Sockets]:
    sockets = Sockets()
    yield sockets
    for s in sockets.made:
        s.close(linger=0)
    sockets.ctx.term()


def _recv(sock: zmq.Socket[Any], timeout: float = 10.0) -> list[bytes] | None:
    return sock.recv_multipart() if sock.poll(int(timeout * 1000)) else None


def _session(ctx: Sockets, srv: ServerThread) -> tuple[zmq.Socket[Any], zmq.Socket[Any], int]:
    ctl = ctx.dealer(srv.endpoints["control"])
    ctl.send(codec.encode(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, client="burst")))
    got = _recv(ctl)
    assert got is not None
    welcome = codec.decode_control_reply(got[0])
    assert isinstance(welcome, m.Welcome)
    frames = ctx.dealer(welcome.endpoints.frames)
    frames.send(codec.encode(m.Attach(rid=2, session=welcome.session)))
    ok = _recv(frames)
    assert ok is not None and codec.decode_frames_event(ok[1]) == m.Ok(rid=2, detail="attached")
    ctl.send(codec.encode(m.OpenStream(rid=3, width=32, height=24)))
    got = _recv(ctl)
    assert got is not None
    opened = codec.decode_control_reply(got[0])
    assert isinstance(opened, m.StreamOpened)
    return ctl, frames, opened.stream


def test_a_burst_longer_than_a_drain_batch_is_handled_and_the_newest_pose_wins(
    server: ServerThread, ctx: Sockets
) -> None:
    ctl, frames, stream = _session(ctx, server)
    n = 3 * FRAMES_BATCH  # several wake-ups' worth, all queued before the server reads any
    for i in range(1, n + 1):
        frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=i, T_world_camera=EYE)))
    frames.send(codec.encode(m.Credit(stream=stream, n=64)))  # capped at max_credits
    got: list[m.FrameHeader] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        parts = _recv(frames, 0.5)
        if parts is None:
            break
        assert parts[0] == codec.FRAME_TOPIC, codec.decode_frames_event(parts[1])
        got.append(codec.decode_header(parts[1]))
    assert len(got) == 1, "one pose waited when the credits came: one frame, not one per request"
    assert got[0].pose_id == n, "the newest of the burst"
    # The remaining credits are held: each new pose renders at once, up to max_credits in all.
    for i in range(n + 1, n + 4):
        frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=i, T_world_camera=EYE)))
        parts = _recv(frames, 5.0)
        if i < n + 3:
            assert parts is not None and codec.decode_header(parts[1]).pose_id == i
        else:
            assert parts is None, "three credits at most"
    ctl.send(codec.encode(m.Ping(rid=9, t_client_ns=1)))
    pong = _recv(ctl)
    assert pong is not None and isinstance(codec.decode_control_reply(pong[0]), m.Pong)


def _moved(i: int) -> tuple[float, ...]:
    pose = list(EYE)
    pose[3] = 0.01 * i  # a new view each time: rendered, so its frame is sent from the render callback
    return tuple(pose)


def test_requests_keep_being_read_while_frames_go_out(server: ServerThread, ctx: Sockets) -> None:
    """A send on the frames socket (here: finished renders, sent from a loop callback) can take the
    socket's FD wake-up while requests wait; the reader must still see them, so a long
    credit-per-frame stream of new views never stalls."""
    _, frames, stream = _session(ctx, server)
    frames.send(codec.encode(m.Credit(stream=stream, n=3)))
    for i in range(1, 4):
        frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=i, T_world_camera=_moved(i))))
    received = 0
    pose_id = 3
    while received < 300:
        parts = _recv(frames, 5.0)
        assert parts is not None, f"stalled after {received} frames"
        assert parts[0] == codec.FRAME_TOPIC
        received += 1
        pose_id += 1
        frames.send(
            codec.encode(m.PoseRequest(stream=stream, pose_id=pose_id, T_world_camera=_moved(pose_id)))
        )
        frames.send(codec.encode(m.Credit(stream=stream, n=1)))


def test_the_python_client_streams_credit_per_frame_without_stalling(server: ServerThread) -> None:
    """The same on the client side: its pose and credit sends happen between frames and can take its
    frames socket's wake-up while the next frame waits."""
    import asyncio

    from bridge.client import AsyncClient

    async def run() -> int:
        async with AsyncClient(server.endpoints["control"], follow_state=False) as c:
            st = await c.open_stream(width=32, height=24)
            await st.grant(3)
            for i in range(1, 4):
                await st.request(_pose_matrix(i))
            n = 0
            while n < 300:
                await st.next_frame(timeout=5.0)
                n += 1
                await st.request(_pose_matrix(n + 3))
                await st.grant(1)
            return n

    assert asyncio.run(run()) == 300


def _pose_matrix(i: int) -> list[list[float]]:
    p = _moved(i)
    return [list(p[r * 4 : r * 4 + 4]) for r in range(4)]


def test_a_credit_folded_into_the_pose_request_grants_a_frame(server: ServerThread, ctx: Sockets) -> None:
    """Protocol 1.1: `PoseRequest.credits` works as a `Credit` sent just before it, capped the same way."""
    _, frames, stream = _session(ctx, server)
    frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=1, T_world_camera=EYE)))
    assert _recv(frames, 0.5) is None, "no credit, no frame"
    frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=2, T_world_camera=_moved(2), credits=1)))
    parts = _recv(frames)
    assert parts is not None and codec.decode_header(parts[1]).pose_id == 2
    # 64 folded credits are capped at max_credits (3): three new views render, the fourth waits.
    frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=3, T_world_camera=_moved(3), credits=64)))
    got = [codec.decode_header(p[1]).pose_id for p in iter(lambda: _recv(frames, 0.5), None)]
    assert got == [3]
    for i in (4, 5, 6):
        frames.send(codec.encode(m.PoseRequest(stream=stream, pose_id=i, T_world_camera=_moved(i))))
        parts = _recv(frames, 5.0 if i < 6 else 0.5)
        if i < 6:
            assert parts is not None and codec.decode_header(parts[1]).pose_id == i
        else:
            assert parts is None, "the folded 64 were capped at 3"


def test_a_bad_folded_credit_is_refused_naming_the_field(server: ServerThread, ctx: Sockets) -> None:
    _, frames, stream = _session(ctx, server)
    bad = codec.encode(
        {"type": "pose_request", "stream": stream, "pose_id": 7, "T_world_camera": EYE, "credits": 65}
    )
    frames.send(bad)
    parts = _recv(frames)
    assert parts is not None and parts[0] == codec.EVENT_TOPIC
    err = codec.decode_frames_event(parts[1])
    assert isinstance(err, m.Error) and err.code == m.ErrorCode.BAD_REQUEST and err.field == "$.credits"


@pytest.mark.parametrize("server_version", ["1.0.0", m.PROTOCOL_VERSION])
def test_the_python_client_folds_credits_only_for_servers_that_take_them(
    server: ServerThread, server_version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a 1.1 server the credit rides in the pose request; against a 1.0 server (which would
    ignore the field and never send a frame) the client sends a separate `Credit`. Both stream."""
    import asyncio

    from bridge.client import AsyncClient
    from bridge.server import control

    monkeypatch.setattr(control.m, "PROTOCOL_VERSION", server_version)
    sent: list[Any] = []

    async def run() -> tuple[bool, int]:
        async with AsyncClient(server.endpoints["control"], follow_state=False) as c:
            send = c._send_frames

            async def spy(msg: Any) -> None:
                sent.append(msg)
                await send(msg)

            c._send_frames = spy  # type: ignore[method-assign]
            st = await c.open_stream(width=32, height=24)
            n = 0
            for i in range(1, 41):
                await st.request(_pose_matrix(i), grant=1)
                await st.next_frame(timeout=5.0)
                n += 1
            return c.folds_credits, n

    folds, n = asyncio.run(run())
    assert n == 40
    poses = [s for s in sent if isinstance(s, m.PoseRequest)]
    credits = [s for s in sent if isinstance(s, m.Credit)]
    assert folds == (server_version != "1.0.0")
    if folds:
        assert not credits and all(p.credits == 1 for p in poses), "one message per frame"
    else:
        assert len(credits) == 40 and all(p.credits == 0 for p in poses)
