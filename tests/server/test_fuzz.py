"""Fuzzing the control and frames ROUTERs of a real server over tcp: random and mutated input is always
answered with a typed reply (an `Error` matching what the codec says is wrong), nothing hangs, and the
server keeps serving. Oversize input gets TOO_LARGE, or a libzmq disconnect past ZMQ_MAXMSGSIZE."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from bridge.errors import ProtocolError
from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.server import ServerThread

SEED = 20240611
N_CONTROL = 6_000
N_FRAMES = 4_000
CONTROL_BATCH = 250
FRAMES_BATCH = 32
"""Below the frames ROUTER's SNDHWM (64): past it, error events to a peer that is not reading are dropped."""
REPLY_TIMEOUT_MS = 5_000
FRAMES_LIMIT = 65_536
EYE = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.5, 0.0, 0.0, 1.0, 4.0, 0.0, 0.0, 0.0, 1.0)

VALID_CONTROL = [
    m.Hello(rid=1, protocol="1.0.0", client="fuzz", role="director"),
    m.Ping(rid=2, t_client_ns=5),
    m.OpenStream(rid=3, width=32, height=24, fov=m.Fov(left=-0.5, right=0.5, up=0.4, down=-0.4)),
    m.CloseStream(rid=4, stream=1),
    m.GetState(rid=5),
    m.SetParams(rid=6, values={"exposure_ev": 1.0, "look": "noir"}, base_seq=3),
    m.Bye(rid=7),
]
VALID_FRAMES = [
    m.Attach(rid=8, session="0123456789abcdef01234567"),
    m.Credit(stream=1, n=2),
    m.PoseRequest(
        stream=1,
        pose_id=9,
        T_world_camera=EYE,
        width=32,
        height=24,
        eyes=[m.EyeView(T_world_camera=EYE, fov=m.Fov(left=-0.5, right=0.5, up=0.4, down=-0.4))],
    ),
]
HUGE_CLAIMS = [
    b"\xdf\xff\xff\xff\xff",  # map32 with 4G entries
    b"\xdd\xff\xff\xff\xff",  # array32 with 4G items
    b"\xdb\xff\xff\xff\xff",  # str32 of 4 GB
    b"\xc6\xff\xff\xff\xff",  # bin32 of 4 GB
    b"\xc9\xff\xff\xff\xff\x01",  # ext32 of 4 GB
    b"\x82\xa4type\xa4ping\xa3rid\xdb\x7f\xff\xff\xff",  # a valid prefix, then a 2 GB string
    b"\x83\xa4type\xaaset_params\xa3rid\x01\xa6values\xdf\xff\xff\xff\xff",
]


# -- generating input -------------------------------------------------------------------------------


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(12 if depth < 3 else 9)
    if kind == 0:
        return rng.choice([0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1])
    if kind == 1:
        return rng.randint(-(10**6), 10**6)
    if kind == 2:
        return rng.choice([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 1.58, 0.0])
    if kind == 3:
        return rng.uniform(-1e3, 1e3)
    if kind == 4:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.choice([0, 1, 8, 129, 300])))
    if kind == 5:
        return "x" * rng.choice([4097, 6000])
    if kind == 6:
        return rng.randbytes(rng.randrange(0, 40))
    if kind == 7:
        return rng.choice([None, True, False])
    if kind == 8:
        return rng.choice(["1.0.0", "2.0.0", "1.9.3", "director", "rgba8", "fov", "hello", "pose_request"])
    if kind == 9:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 20))]
    if kind == 10:
        return {str(rng.randrange(100)): random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}
    return [1.0] * rng.choice([15, 16, 17])


def mutate_map(rng: random.Random, msg: Any) -> bytes:
    raw = msgpack.unpackb(codec.encode(msg), raw=False)
    op = rng.randrange(5)
    key = rng.choice(sorted(raw))
    if op == 0:
        raw[key] = random_value(rng)  # a random value, often of the wrong type or out of range
    elif op == 1:
        del raw[key]  # a missing field
    elif op == 2:
        raw["type"] = rng.choice(["teleport", "", "Hello", "welcome", "frame_header", "x" * 300, 7, None])
    elif op == 3:
        raw[rng.choice(["extra", "z" * 50, "rid2"])] = random_value(rng)  # unknown fields are ignored
    else:
        nested = raw
        for _ in range(rng.randrange(1, 4)):  # values inside nested structs and lists
            inner = [v for v in nested.values() if isinstance(v, dict)]
            if not inner:
                break
            nested = rng.choice(inner)
        nested[rng.choice(sorted(nested))] = random_value(rng)
    return msgpack.packb(raw, use_bin_type=True)


def bit_flip(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        i = rng.randrange(len(buf) * 8)
        buf[i // 8] ^= 1 << (i % 8)
    if rng.random() < 0.2:  # and sometimes truncate or extend
        buf = (
            buf[: rng.randrange(len(buf))] if rng.random() < 0.5 else buf + rng.randbytes(rng.randrange(1, 9))
        )
    return bytes(buf)


def fuzz_case(rng: random.Random, valid: list[Any]) -> list[bytes]:
    """One request as its message parts."""
    kind = rng.randrange(100)
    if kind < 15:
        return [rng.randbytes(rng.randrange(0, 200))]
    if kind < 40:
        return [bit_flip(rng, codec.encode(rng.choice(valid)))]
    if kind < 80:
        return [mutate_map(rng, rng.choice(valid))]
    if kind < 85:
        return [rng.choice(HUGE_CLAIMS)]
    if kind < 88:
        opener = rng.choice([b"\x91", b"\x81\xa1k"])
        return [opener * rng.choice([50, 5_000, 50_000]) + b"\x01"]
    if kind < 93:
        return [msgpack.packb(random_value(rng), use_bin_type=True)]  # not a map, or a map without `type`
    if kind < 97:  # multipart with extra parts
        return [codec.encode(rng.choice(valid))] + [rng.randbytes(3) for _ in range(rng.randrange(1, 4))]
    return [codec.encode(rng.choice(valid))]


def expected(
    parts: list[bytes], decoder: Callable[[bytes], Any], limit: int | None
) -> tuple[str, str | None] | None:
    """The (code, field) the server must answer with, or None for a request the schema accepts."""
    if len(parts) != 1:
        return ("BAD_REQUEST", None)
    if limit is not None and len(parts[0]) > limit:
        return ("TOO_LARGE", None)
    try:
        decoder(parts[0])
    except ProtocolError as exc:
        return (exc.code, exc.field)
    return None


# -- sockets ----------------------------------------------------------------------------------------


class Sockets:
    """A context whose sockets are all closed (linger 0) at teardown, even when a test fails."""

    def __init__(self) -> None:
        self.ctx: zmq.Context[Any] = zmq.Context()
        self.made: list[zmq.Socket[Any]] = []

    def socket(self, kind: int) -> zmq.Socket[Any]:
        self.made.append(self.ctx.socket(kind))
        return self.made[-1]

    def close(self) -> None:
        for sock in self.made:
            sock.close(linger=0)
        self.ctx.term()


@pytest.fixture
def zctx() -> Iterator[Sockets]:
    sockets = Sockets()
    yield sockets
    sockets.close()


def dealer(ctx: Sockets, endpoint: str) -> zmq.Socket[Any]:
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.connect(endpoint)
    return sock


def recv(sock: zmq.Socket[Any], timeout_ms: int = REPLY_TIMEOUT_MS) -> list[bytes] | None:
    if sock.poll(timeout_ms, zmq.POLLIN):
        return sock.recv_multipart()
    return None


def control_reply(sock: zmq.Socket[Any], msg: Any) -> Any:
    sock.send(codec.encode(msg))
    parts = recv(sock)
    assert parts is not None, f"no reply to {type(msg).__name__}"
    return codec.decode_control_reply(parts[0])


def assert_serves_a_frame(ctx: Sockets, srv: ServerThread) -> None:
    """The full path by hand: Hello → Welcome, Attach → Ok, OpenStream, Credit + PoseRequest → a frame."""
    ctl = dealer(ctx, srv.endpoints["control"])
    welcome = control_reply(ctl, m.Hello(rid=1, protocol=m.PROTOCOL_VERSION, client="after-fuzz"))
    assert isinstance(welcome, m.Welcome)
    frames = dealer(ctx, welcome.endpoints.frames)
    frames.send(codec.encode(m.Attach(rid=2, session=welcome.session)))
    ok = recv(frames)
    assert ok is not None and ok[0] == codec.EVENT_TOPIC
    assert codec.decode_frames_event(ok[1]) == m.Ok(rid=2, detail="attached")
    opened = control_reply(ctl, m.OpenStream(rid=3, width=32, height=24))
    assert isinstance(opened, m.StreamOpened)
    frames.send(codec.encode(m.Credit(stream=opened.stream, n=1)))
    frames.send(codec.encode(m.PoseRequest(stream=opened.stream, pose_id=4, T_world_camera=EYE)))
    got = recv(frames)
    assert got is not None and got[0] == codec.FRAME_TOPIC, got
    header = codec.decode_header(got[1])
    codec.check_frame_parts(header, got[2:])
    assert (header.pose_id, header.parts[0].width, header.parts[0].height) == (4, 32, 24)


# -- tests ------------------------------------------------------------------------------------------


def run_plane(
    sock: zmq.Socket[Any],
    cases: list[list[bytes]],
    decoder: Callable[[bytes], Any],
    reply_decoder: Callable[[bytes], Any],
    topic: bytes | None,
    limit: int | None,
    batch_size: int,
) -> dict[str, int]:
    """Send in batches, then read each batch's replies in order (one DEALER: the server answers in order)."""
    codes: dict[str, int] = {}
    for start in range(0, len(cases), batch_size):
        batch = cases[start : start + batch_size]
        for parts in batch:
            sock.send_multipart(parts)
        for i, parts in enumerate(batch, start):
            got = recv(sock)
            assert got is not None, f"request {i} ({parts[0][:40]!r}...) got no answer"
            if topic is not None:
                assert got[0] == topic and len(got) == 2, got
            reply = reply_decoder(got[-1])  # a typed reply, decodable by a client
            want = expected(parts, decoder, limit)
            if want is not None:
                assert isinstance(reply, m.Error), f"request {i} {parts!r} was invalid but got {reply!r}"
                assert (reply.code.value, reply.field) == want, f"request {i} {parts!r}: {reply!r}"
            if isinstance(reply, m.Error):
                assert reply.code is not m.ErrorCode.INTERNAL, (
                    f"request {i} {parts!r} hit a server bug: {reply!r}"
                )
                codes[reply.code.value] = codes.get(reply.code.value, 0) + 1
            else:
                codes[m.tag_of(type(reply))] = codes.get(m.tag_of(type(reply)), 0) + 1
    return codes


def test_fuzzed_requests_get_typed_errors_and_the_server_keeps_serving(
    server: ServerThread, zctx: Sockets
) -> None:
    rng = random.Random(SEED)
    control_cases = [fuzz_case(rng, VALID_CONTROL) for _ in range(N_CONTROL)]
    frames_cases = [fuzz_case(rng, VALID_FRAMES) for _ in range(N_FRAMES)]
    frames_cases += [
        [b"\x81\xa4type\xa6credit" + b"\x00" * (FRAMES_LIMIT + 10)]
    ]  # over the frames-plane limit
    ctl = dealer(zctx, server.endpoints["control"])
    frm = dealer(zctx, server.endpoints["frames"])
    t0 = time.monotonic()
    control_codes = run_plane(
        ctl,
        control_cases,
        codec.decode_control_request,
        codec.decode_control_reply,
        None,
        None,
        CONTROL_BATCH,
    )
    frames_codes = run_plane(
        frm,
        frames_cases,
        codec.decode_frames_request,
        codec.decode_frames_event,
        codec.EVENT_TOPIC,
        FRAMES_LIMIT,
        FRAMES_BATCH,
    )
    elapsed = time.monotonic() - t0
    assert len(control_cases) + len(frames_cases) >= 10_000
    # the mix really exercised every kind of refusal
    assert {"BAD_REQUEST", "UNSUPPORTED", "UNAUTHORIZED"} <= set(control_codes), control_codes
    assert {"BAD_REQUEST", "UNSUPPORTED", "UNAUTHORIZED", "TOO_LARGE"} <= set(frames_codes), frames_codes
    assert elapsed < 60, f"fuzzing took {elapsed:.1f} s"
    # and afterwards: the fuzzing sockets and fresh clients are still served
    assert isinstance(control_reply(ctl, m.Ping(rid=11)), m.Pong)
    assert_serves_a_frame(zctx, server)
    assert server.server is not None and server.server.stats["errors"] >= 5_000


def test_control_message_over_max_message_bytes_gets_too_large(server: ServerThread, zctx: Sockets) -> None:
    ctl = dealer(zctx, server.endpoints["control"])
    big = msgpack.packb({"type": "ping", "rid": 77, "pad": "x" * (2 << 20)})
    ctl.send(big)
    got = recv(ctl)
    assert got is not None
    reply = codec.decode_control_reply(got[0])
    assert isinstance(reply, m.Error) and reply.code is m.ErrorCode.TOO_LARGE
    assert str(len(big)) in reply.message and str(1 << 20) in reply.message
    assert isinstance(control_reply(ctl, m.Ping(rid=78)), m.Pong), "the connection stays usable"


def test_message_over_zmq_maxmsgsize_drops_only_that_connection(server: ServerThread, zctx: Sockets) -> None:
    other = dealer(zctx, server.endpoints["control"])
    assert isinstance(control_reply(other, m.Hello(rid=1, protocol=m.PROTOCOL_VERSION)), m.Welcome)
    rogue = zctx.socket(zmq.DEALER)
    rogue.setsockopt(zmq.LINGER, 0)
    rogue.setsockopt(zmq.RECONNECT_IVL, 60_000)  # stay down once dropped, so the drop is observable
    monitor = rogue.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
    zctx.made.append(monitor)
    rogue.connect(server.endpoints["control"])
    try:
        assert recv_event(monitor, 5.0) == zmq.EVENT_CONNECTED
        rogue.send(b"\xc6" + (20 << 20).to_bytes(4, "big") + bytes(20 << 20))  # 20 MiB > 16 MiB hard limit
        assert recv_event(monitor, 10.0) == zmq.EVENT_DISCONNECTED, "libzmq should drop the connection"
        assert recv(rogue, 300) is None, "an oversize message is never read, so never answered"
    finally:
        rogue.disable_monitor()
    # everyone else is unaffected, the session included
    pong = control_reply(other, m.Ping(rid=2))
    assert isinstance(pong, m.Pong) and pong.session
    assert_serves_a_frame(zctx, server)


def recv_event(monitor: zmq.Socket[Any], timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not monitor.poll(int(left * 1000)):
            break
        event = recv_monitor_message(monitor)["event"]
        if event in (zmq.EVENT_CONNECTED, zmq.EVENT_DISCONNECTED):
            return int(event)
    return None
