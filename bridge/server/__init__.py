"""The asyncio server: sessions, roles, dispatch, the stream scheduler, and how to run it."""

from bridge.server.app import Server
from bridge.server.config import Limits, ServerConfig
from bridge.server.runner import ServerThread, serve_forever

__all__ = ["Limits", "Server", "ServerConfig", "ServerThread", "serve_forever"]
