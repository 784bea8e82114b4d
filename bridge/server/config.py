"""Server configuration: where to bind, limits, liveness timeouts, keys."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from bridge.errors import ConfigError
from bridge.protocol.messages import MAX_CREDITS
from bridge.transport.sockets import endpoint_for

__all__ = ["Limits", "ServerConfig"]


def _default_history() -> Path:
    from bridge.server.studio import default_history_path

    return default_history_path()


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 1 << 20
    """Requests larger than this get TOO_LARGE before they are decoded."""
    hard_max_message_bytes: int = 16 << 20
    """ZMQ_MAXMSGSIZE: a peer sending more than this is disconnected by libzmq without reading it."""
    max_width: int = 8192
    max_height: int = 8192
    max_credits: int = 3
    """Frames a stream may have in flight (rendered, not yet consumed): 1..64. More hides more round-trip
    latency (a WAN link, or a fast same-host link next to busy cores) at the cost of frame age."""
    max_streams: int = 8
    """Per session."""
    max_sessions: int = 256
    heartbeat_ms: int = 2000
    """ZMTP heartbeat interval; clients also ping at this interval."""
    session_timeout_ms: int = 10_000
    """A session with no message on any plane for this long is dropped."""
    stall_timeout_ms: int = 30_000
    """A stream holding a pose but no credit for this long is closed."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5555
    """Control port; state and frames use port+1 and port+2. 0 picks three free ports."""
    transport: str = "tcp"
    """tcp, ipc (host is a path prefix) or inproc (host is a name prefix; same process only)."""
    keys_file: Path | None = None
    allow_insecure_remote: bool = False
    """Bind a non-loopback address without CURVE keys (the traffic is unencrypted and unauthenticated)."""
    limits: Limits = field(default_factory=Limits)
    name: str = "vpbridge"
    history_path: Path | str | None = field(default_factory=lambda: _default_history())
    """The parameter history (SQLite, WAL). Default `$VPBRIDGE_DATA/history.sqlite` or
    ~/.local/share/vpbridge/history.sqlite; "none" (or None): a throwaway history in a temp dir."""
    cache_bytes: int = 256 << 20
    """Budget of the frame cache (encoded frames by scene version, parameters, pose, size); 0 = off."""

    def endpoints(self) -> dict[str, str]:
        if self.transport == "tcp":
            ports = (0, 0, 0) if self.port == 0 else (self.port, self.port + 1, self.port + 2)
            return {
                plane: endpoint_for("tcp", self.host, p)
                for plane, p in zip(("control", "state", "frames"), ports, strict=False)
            }
        return {
            plane: endpoint_for(self.transport, f"{self.host}-{plane}")
            for plane in ("control", "state", "frames")
        }

    def validate(self) -> None:
        if not 1 <= self.limits.max_credits <= MAX_CREDITS:
            raise ConfigError(
                f"`max_credits` must be 1..{MAX_CREDITS} (frames in flight per stream), "
                f"got {self.limits.max_credits}"
            )
        if self.cache_bytes < 0:
            raise ConfigError(
                f"`cache_bytes` must be ≥ 0 (0 disables the frame cache), got {self.cache_bytes}"
            )
        if self.transport not in ("tcp", "ipc", "inproc"):
            raise ConfigError(f"`transport` must be tcp, ipc or inproc, got {self.transport!r}")
        if self.transport == "tcp" and not 0 <= self.port <= 65533:
            raise ConfigError(f"`--port` must be 0 (free ports) or 1..65533, got {self.port}")
        if (
            self.keys_file is None
            and self.transport == "tcp"
            and not self.is_loopback()
            and not self.allow_insecure_remote
        ):
            raise ConfigError(
                f"refusing to bind {self.host} without keys: anyone on the network could connect. "
                "Use `--keys FILE` (see `vpbridge keys`), bind 127.0.0.1, or pass --insecure to allow it"
            )

    def is_loopback(self) -> bool:
        if self.host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False
