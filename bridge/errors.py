"""The exception root of vpbridge and its hierarchy; every error the package raises derives from it.

VPBridgeError
├── ConfigError            bad argument, option, file or configuration (names it and the fix)
├── ProtocolError          a message that is not valid protocol (carries an ErrorCode and field)
│   └── VersionError       protocol major versions differ
├── RemoteError            the peer answered with a typed Error
├── TransportError         sockets: cannot bind/connect, peer gone
│   └── Timeout            no answer in time
├── SceneError             a scene, spec or asset cannot be built, loaded or exported
├── PlanningError          no camera path keeps the clearance (or the walk rules)
└── MissingExtraError      an optional dependency is missing (names the extra to install)
"""

from __future__ import annotations

__all__ = [
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
]


class VPBridgeError(Exception):
    """Root of every error raised by vpbridge."""


class ConfigError(VPBridgeError, ValueError):
    """A bad argument, option, file or configuration value; the message names it and the fix."""


class ProtocolError(VPBridgeError):
    """A message that is not valid protocol.

    `code` is one of `bridge.protocol.ErrorCode`; `field` is the JSON-path-like name of the bad field
    (``"$.width"``) when one is known; `hint` says how to fix it.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class VersionError(ProtocolError):
    """The peer speaks another major version of the protocol."""


class RemoteError(VPBridgeError):
    """The server answered a request with a typed `Error`."""

    def __init__(self, code: str, message: str, *, field: str | None = None, hint: str = "") -> None:
        super().__init__(f"{code}: {message}" + (f" (hint: {hint})" if hint else ""))
        self.code = code
        self.message = message
        self.field = field
        self.hint = hint


class TransportError(VPBridgeError):
    """A socket could not bind or connect, or the peer went away."""


class Timeout(TransportError, TimeoutError):
    """No answer arrived within the timeout."""


class SceneError(VPBridgeError):
    """A scene, spec or asset could not be built, loaded or exported."""


class PlanningError(VPBridgeError):
    """No path keeps the clearance (or the walk rules) between the endpoints."""


class MissingExtraError(VPBridgeError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package `{module}`, which is not installed. "
            f"Install it with: pip install 'vpbridge[{extra}]'"
        )
        self.module = module
        self.extra = extra
