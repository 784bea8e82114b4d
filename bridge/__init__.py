"""vpbridge: a real-time game-engine bridge and virtual-production server.

The public surface is re-exported here; everything else lives in layer packages
(protocol, transport, server, world, render, motion, studio).
"""

from __future__ import annotations

from bridge.errors import (
    ConfigError,
    MissingExtraError,
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

__all__ = [
    "PROTOCOL_VERSION",
    "ConfigError",
    "MissingExtraError",
    "ProtocolError",
    "RemoteError",
    "SceneError",
    "Timeout",
    "TransportError",
    "VPBridgeError",
    "VersionError",
    "__version__",
]
