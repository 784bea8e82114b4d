"""Fixtures for server tests: in-process servers on free loopback ports, raw sockets that never hang."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from bridge.protocol import codec
from bridge.server import Limits, ServerConfig, ServerThread


@pytest.fixture
def make_server() -> Iterator[Any]:
    started: list[ServerThread] = []

    def make(limits: Limits | None = None, **cfg: Any) -> ServerThread:
        config = ServerConfig(port=0, limits=limits or Limits(), **cfg)
        srv = ServerThread(config).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def srv(make_server: Any) -> ServerThread:
    return make_server()  # type: ignore[no-any-return]


class Raw:
    """A raw DEALER with bounded receives, for tests that speak the protocol by hand."""

    def __init__(self, ctx: zmq.Context[Any], endpoint: str) -> None:
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def send(self, msg: Any) -> None:
        self.sock.send(codec.encode(msg))

    def recv_parts(self, timeout: float = 5.0) -> list[bytes] | None:
        if self.sock.poll(int(timeout * 1000)):
            return self.sock.recv_multipart()
        return None

    def recv_control(self, timeout: float = 5.0) -> Any:
        parts = self.recv_parts(timeout)
        assert parts is not None, "no reply in time"
        return codec.decode_control_reply(parts[0])


@pytest.fixture
def zctx() -> Iterator[zmq.Context[Any]]:
    ctx: zmq.Context[Any] = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture
def raw(zctx: zmq.Context[Any]) -> Iterator[Any]:
    made: list[Raw] = []

    def make(endpoint: str) -> Raw:
        made.append(Raw(zctx, endpoint))
        return made[-1]

    yield make
    for r in made:
        r.sock.close(linger=0)
