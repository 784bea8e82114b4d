"""ZeroMQ transport: socket set-up (limits, heartbeats, CURVE) and key management."""

from bridge.transport.security import (
    ClientKeys,
    KeysFile,
    ZapHandler,
    add_client,
    generate_keypair,
    load_client_keys,
    load_keys_file,
)
from bridge.transport.sockets import (
    Heartbeat,
    SocketOptions,
    bind,
    configure,
    connect,
    endpoint_for,
    readable,
    recv_nowait,
    send_nowait,
)

__all__ = [
    "ClientKeys",
    "Heartbeat",
    "KeysFile",
    "SocketOptions",
    "ZapHandler",
    "add_client",
    "bind",
    "configure",
    "connect",
    "endpoint_for",
    "generate_keypair",
    "load_client_keys",
    "load_keys_file",
    "readable",
    "recv_nowait",
    "send_nowait",
]
