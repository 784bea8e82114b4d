"""The non-blocking socket helpers the frames plane is built on, and the client's allocator setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import zmq

from bridge.transport import malloc
from bridge.transport.sockets import readable, recv_nowait, send_nowait


@pytest.fixture
def pair() -> Iterator[tuple[zmq.Socket[Any], zmq.Socket[Any]]]:
    ctx: zmq.Context[Any] = zmq.Context()
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    a.bind("inproc://pair")
    b.connect("inproc://pair")
    yield a, b
    ctx.destroy(linger=0)


def _wait_readable(sock: zmq.Socket[Any]) -> None:
    assert sock.poll(2000), "nothing arrived"


def test_recv_nowait_returns_none_when_nothing_waits(pair: Any) -> None:
    _, b = pair
    assert recv_nowait(b) is None
    assert not readable(b)


def test_a_whole_multipart_message_comes_back_zero_copy(pair: Any) -> None:
    a, b = pair
    big = np.arange(1 << 17, dtype=np.uint8)  # above pyzmq's 64 KiB copy threshold
    send_nowait(a, [b"topic", b"header", big], copy=False)
    send_nowait(a, [b"second"])
    _wait_readable(b)
    assert readable(b)
    first = recv_nowait(b)
    assert first is not None
    assert [f.bytes for f in first[:2]] == [b"topic", b"header"]
    assert np.array_equal(np.frombuffer(first[2].buffer, np.uint8), big)
    second = recv_nowait(b)
    assert second is not None and [f.bytes for f in second] == [b"second"]
    assert recv_nowait(b) is None


def test_a_part_without_the_buffer_interface_sends_nothing(pair: Any) -> None:
    a, b = pair
    with pytest.raises(TypeError, match="part 1"):
        send_nowait(a, [b"ok", object()])
    send_nowait(a, [b"after"])
    _wait_readable(b)
    got = recv_nowait(b)
    assert got is not None and [f.bytes for f in got] == [b"after"], "no half message was queued"


def test_a_full_queue_raises_again_instead_of_blocking() -> None:
    ctx: zmq.Context[Any] = zmq.Context()
    try:
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.SNDHWM, 2)
        dealer.setsockopt(zmq.IMMEDIATE, 1)  # no peer: nowhere to queue
        dealer.connect("tcp://127.0.0.1:9")
        with pytest.raises(zmq.Again):
            send_nowait(dealer, [b"x"])
    finally:
        ctx.destroy(linger=0)


def test_keep_frame_buffers_is_applied_once_and_reports_the_same_result() -> None:
    first = malloc.keep_frame_buffers()
    assert isinstance(first, bool)
    assert malloc.keep_frame_buffers() is first
