"""The add-on's one connection to a server: the vpbridge Python client, its live stream and the manifest.

Kept out of bpy so the connection outlives operator calls; the client reconnects by itself, and its
state (`client.state`) is the live parameter map kept current by the server's state feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INSTALL_HINT = (
    "the vpbridge add-on needs the vpbridge client (pyzmq, msgspec, numpy) in Blender's Python: "
    "install the release build of the extension (it bundles the wheels), or see "
    "engine_plugin/blender/README.md"
)


def _client_class() -> Any:
    try:
        from bridge.client_sync import Client
    except ImportError as exc:
        raise RuntimeError(f"{INSTALL_HINT} ({exc})") from exc
    return Client


@dataclass
class Link:
    client: Any
    endpoint: str
    manifest: dict[str, Any] = field(default_factory=dict)
    stream: Any = None
    stream_size: tuple[int, int] = (0, 0)

    def state(self) -> dict[str, Any]:
        return dict(self.client.state)

    def close(self) -> None:
        try:
            if self.stream is not None:
                self.stream.close()
        finally:
            self.stream = None
            self.client.close()


_link: Link | None = None


def connect(endpoint: str, *, keys: str = "", role: str = "viewer", timeout: float = 10.0) -> Link:
    """Open (or replace) the connection. `keys` is a CURVE keys file, empty for a loopback server."""
    global _link
    disconnect()
    client = _client_class()(endpoint, name="blender", role=role, keys=keys or None, timeout=timeout)
    _link = Link(client=client, endpoint=endpoint)
    return _link


def current() -> Link:
    if _link is None:
        raise RuntimeError("not connected to a vpbridge server: press Connect in the vpbridge panel first")
    return _link


def connected() -> bool:
    return _link is not None


def disconnect() -> None:
    global _link
    if _link is not None:
        link, _link = _link, None
        link.close()
