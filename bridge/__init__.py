"""vpbridge: a real-time game-engine bridge and virtual-production server.

The public surface is re-exported here; everything else lives in layer packages
(protocol, transport, server, world, render, motion, studio).
"""

from __future__ import annotations

from bridge.errors import (
    ConfigError,
    MissingExtraError,
    PlanningError,
    ProtocolError,
    RemoteError,
    SceneError,
    Timeout,
    TransportError,
    VersionError,
    VPBridgeError,
)
from bridge.protocol.messages import PROTOCOL_VERSION

__version__ = "0.1.0"

# Imported after __version__: the client and server read it.
from bridge.client import AsyncClient, AsyncStream, SharedBookmark
from bridge.client_sync import Client, Stream
from bridge.protocol.frames import Frame

_LAZY = {
    "Server": "bridge.server",
    "ServerConfig": "bridge.server",
    "ServerThread": "bridge.server",
    "look_at": "bridge.world.scene",
}


def __getattr__(name: str) -> object:
    """The server (and through it the renderer and GL) and the world layer load only when asked for, so a
    client-only program (an engine add-on, a CLI probe) imports the protocol, transport and client alone."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "PROTOCOL_VERSION",
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Frame",
    "Server",
    "ServerConfig",
    "ServerThread",
    "SharedBookmark",
    "Stream",
    "look_at",
    "ConfigError",
    "MissingExtraError",
    "PlanningError",
    "ProtocolError",
    "RemoteError",
    "SceneError",
    "Timeout",
    "TransportError",
    "VPBridgeError",
    "VersionError",
    "__version__",
]
