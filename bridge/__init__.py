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
from bridge.world.scene import look_at

__version__ = "0.1.0"

# Imported after __version__: the client and server read it.
from bridge.client import AsyncClient, AsyncStream
from bridge.client_sync import Client, Stream
from bridge.protocol.frames import Frame
from bridge.server import Server, ServerConfig, ServerThread

__all__ = [
    "PROTOCOL_VERSION",
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Frame",
    "Server",
    "ServerConfig",
    "ServerThread",
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
