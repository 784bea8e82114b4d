"""Socket construction: one place that sets linger, size limits, heartbeats, high-water marks and CURVE,
and resolves `--port 0` binds to the endpoints actually bound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import zmq

from bridge.errors import ConfigError, TransportError

__all__ = [
    "Heartbeat",
    "SocketOptions",
    "bind",
    "configure",
    "connect",
    "endpoint_for",
    "readable",
    "recv_nowait",
    "send_nowait",
]

S = TypeVar("S", bound=zmq.Socket[Any])

# Plain ints: pyzmq's flag constants are enum.IntFlag, and every `|` or `&` on them builds a new enum
# member (microseconds each) on paths that run several times per frame.
_NOBLOCK = int(zmq.NOBLOCK)
_SNDMORE_NOBLOCK = int(zmq.SNDMORE) | int(zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)


@dataclass(frozen=True)
class Heartbeat:
    """ZMTP heartbeats: libzmq pings the peer and closes a connection that stops answering."""

    interval_ms: int = 1000
    timeout_ms: int = 3000
    ttl_ms: int = 6000


@dataclass(frozen=True)
class SocketOptions:
    max_message_bytes: int = -1
    """ZMQ_MAXMSGSIZE: a peer sending a larger message is disconnected before it is read."""
    sndhwm: int = 1000
    rcvhwm: int = 1000
    heartbeat: Heartbeat | None = Heartbeat()
    router_mandatory: bool = False
    """ROUTER only: fail sends to unknown or full peers instead of dropping them silently."""


def configure(sock: S, opts: SocketOptions) -> S:
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, opts.sndhwm)
    sock.setsockopt(zmq.RCVHWM, opts.rcvhwm)
    if opts.max_message_bytes > 0:
        sock.setsockopt(zmq.MAXMSGSIZE, opts.max_message_bytes)
    if opts.heartbeat is not None:
        sock.setsockopt(zmq.HEARTBEAT_IVL, opts.heartbeat.interval_ms)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, opts.heartbeat.timeout_ms)
        sock.setsockopt(zmq.HEARTBEAT_TTL, opts.heartbeat.ttl_ms)
    if opts.router_mandatory and sock.type == zmq.ROUTER:
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
    return sock


def endpoint_for(scheme: str, host: str, port: int = 0) -> str:
    """tcp://host:port for tcp; for ipc/inproc the host part is the path or name."""
    if scheme == "tcp":
        h = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"tcp://{h}:{port}"
    if scheme in ("ipc", "inproc"):
        return f"{scheme}://{host}"
    raise ConfigError(f"unknown transport scheme {scheme!r}; use tcp, ipc or inproc")


def bind(sock: zmq.Socket[Any], endpoint: str) -> str:
    """Bind and return the endpoint actually bound (port 0 or '*' resolved to the real port)."""
    ep = (
        endpoint.replace(":0", ":*")
        if endpoint.startswith("tcp://") and endpoint.endswith(":0")
        else endpoint
    )
    try:
        sock.bind(ep)
    except zmq.ZMQError as exc:
        raise TransportError(f"cannot bind {endpoint}: {exc.strerror}; is another server using it?") from None
    last = sock.getsockopt(zmq.LAST_ENDPOINT)
    return last.decode() if isinstance(last, bytes) else str(last)


def connect(sock: zmq.Socket[Any], endpoint: str) -> None:
    try:
        sock.connect(endpoint)
    except zmq.ZMQError as exc:
        raise ConfigError(
            f"cannot connect to {endpoint!r}: {exc.strerror}; expected tcp://HOST:PORT or ipc://PATH"
        ) from None


def recv_nowait(sock: zmq.Socket[Any]) -> list[zmq.Frame] | None:
    """The next whole message as zero-copy frames without blocking, or None when none is waiting.

    For the hot paths that drain a socket from an event-loop reader: no future per message (as pyzmq's
    asyncio sockets make), `ZMQ_EVENTS` rather than a raised EAGAIN to find the end (reading it also
    re-arms the socket's FD), and `Frame.more` instead of a RCVMORE query per part. Raises ZMQError for
    a closed socket."""
    if not sock.getsockopt(_EVENTS) & _POLLIN:  # type: ignore[operator]
        return None
    try:
        frame = sock.recv(_NOBLOCK, copy=False)
    except zmq.Again:  # only if another thread reads this socket too
        return None
    parts = [frame]
    while frame.more:  # the rest of a multipart message is already here: ZeroMQ delivers it whole
        frame = sock.recv(_NOBLOCK, copy=False)
        parts.append(frame)
    return parts


def readable(sock: zmq.Socket[Any]) -> bool:
    """Whether a message waits (reads `ZMQ_EVENTS`, which also re-arms the socket's FD). A send can
    consume the FD's wake-up while a message waits, so a loop reader checks this after sending."""
    return bool(sock.getsockopt(_EVENTS) & _POLLIN)  # type: ignore[operator]


def send_nowait(sock: zmq.Socket[Any], parts: list[Any], copy: bool = True) -> None:
    """Send a multipart message without blocking; raises zmq.Again when the peer's queue is full and
    ZMQError for anything else (EHOSTUNREACH from a ROUTER_MANDATORY socket: the peer is gone).

    `copy=False` sends parts zero-copy, except those below pyzmq's `copy_threshold` (64 KiB by default),
    which are copied because that is cheaper than tracking them. Every part is checked for the buffer
    interface before anything is sent, so a bad part never leaves half a message queued."""
    for i, p in enumerate(parts):
        if not isinstance(p, (bytes, memoryview, zmq.Frame)):
            try:
                memoryview(p)
            except TypeError:
                raise TypeError(f"message part {i} ({type(p).__name__}) is not a buffer") from None
    last = len(parts) - 1
    for i, p in enumerate(parts):
        sock.send(p, _NOBLOCK if i == last else _SNDMORE_NOBLOCK, copy=copy)
