"""The render thread: the only thread that touches the frame source (and so the GL context).

The event loop submits jobs; the thread renders and encodes them and resolves asyncio futures.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from bridge.render.source import FrameSource

__all__ = ["RenderWorker"]

log = logging.getLogger("vpbridge.render")
_STOP = object()


class RenderWorker:
    """One thread, one frame source, a bounded job queue (the scheduler never submits more than it must)."""

    def __init__(self, source_factory: Callable[[], FrameSource], *, max_queue: int = 64) -> None:
        self._factory = source_factory
        self._jobs: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="vpbridge-render", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.source: FrameSource | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise TimeoutError("the frame source did not start within 60 s")

    def submit(self, fn: Callable[[FrameSource], Any]) -> asyncio.Future[Any]:
        """Run fn(source) on the render thread; the future resolves on the calling loop."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._jobs.put_nowait((fn, loop, fut))
        return fut

    def _run(self) -> None:
        try:
            self.source = self._factory()
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        while True:
            item = self._jobs.get()
            if item is _STOP:
                break
            fn, loop, fut = item
            try:
                result = fn(self.source)
            except BaseException as exc:
                log.exception("render job failed")
                loop.call_soon_threadsafe(_set_exception, fut, exc)
            else:
                loop.call_soon_threadsafe(_set_result, fut, result)
        try:
            self.source.close()
        except Exception:
            log.exception("closing the frame source failed")

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self._jobs.put(_STOP)
            self._thread.join(timeout)

    @property
    def pending(self) -> int:
        return self._jobs.qsize()


def _set_result(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


def _set_exception(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)
