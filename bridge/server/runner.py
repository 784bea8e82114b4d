"""Running a server: in the foreground with signal handling (the CLI), or on a background thread
(tests, `vpbridge demo`, embedding in another program)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from bridge.render.source import FrameSource
from bridge.server.app import Server
from bridge.server.config import ServerConfig
from bridge.world.scene import Scene

__all__ = ["ServerThread", "serve_forever"]

log = logging.getLogger("vpbridge.server")


def _write_ready(path: Path, endpoints: dict[str, str]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), **endpoints}, indent=2))
    tmp.replace(path)  # atomic: readers never see a half-written file


async def _serve(
    config: ServerConfig,
    source_factory: Callable[[], FrameSource] | None,
    scene: Scene | None,
    ready_file: Path | None,
    on_ready: Callable[[dict[str, str]], None] | None,
) -> None:
    server = Server(config, source_factory, scene)
    endpoints = await server.start()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        loop.create_task(server.stop(f"server stopped ({sig.name})"))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    if ready_file is not None:
        _write_ready(ready_file, endpoints)
    if on_ready is not None:
        on_ready(endpoints)
    try:
        await server.wait_closed()
    finally:
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)


def serve_forever(
    config: ServerConfig,
    source_factory: Callable[[], FrameSource] | None = None,
    *,
    scene: Scene | None = None,
    ready_file: Path | None = None,
    on_ready: Callable[[dict[str, str]], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; then close streams, tell clients, and return (no traceback)."""
    asyncio.run(_serve(config, source_factory, scene, ready_file, on_ready))


class ServerThread:
    """A server on its own thread and event loop. `with ServerThread(cfg) as srv: srv.endpoints[...]`."""

    def __init__(
        self,
        config: ServerConfig | None = None,
        source_factory: Callable[[], FrameSource] | None = None,
        scene: Scene | None = None,
    ) -> None:
        self.config = config or ServerConfig(port=0)
        self._factory = source_factory
        self._scene = scene
        self.server: Server | None = None
        self.endpoints: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vpbridge-server", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            try:
                self.server = Server(self.config, self._factory, self._scene)
                self.endpoints = await self.server.start()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            await self.server.wait_closed()

        asyncio.run(main())

    def start(self, timeout: float = 60.0) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("server did not start in time")
        if self._error is not None:
            raise self._error
        return self

    def call(self, fn: Callable[[Server], object], timeout: float = 10.0) -> object:
        """Run fn(server) on the server's loop and return its result (for tests and tools)."""
        assert self._loop is not None and self.server is not None
        server = self.server

        async def run() -> object:
            return fn(server)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def stop(self, reason: str = "server shutting down", timeout: float = 20.0) -> None:
        if self._loop is not None and self.server is not None and self._thread.is_alive():
            fut = asyncio.run_coroutine_threadsafe(self.server.stop(reason), self._loop)
            try:
                fut.result(timeout)
            except Exception:
                log.exception("server stop failed")
        self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
