"""The synchronous client: the asyncio client running on a private event-loop thread.

with Client("tcp://127.0.0.1:5555") as c:
    stream = c.open_stream(width=640, height=360)
    frame = stream.render(look_at((0, 2, 5), (0, 0, 0)))

The per-frame calls (`Stream.request`, `grant`, `next_frame`, `render`) run in the caller's thread: they
send and read the frames socket directly (behind a lock the loop thread honours), so a frame costs no
hand-off to the loop thread and back. Everything else (handshake, heartbeats, state, control requests,
recovery after a server restart) runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bridge.client import AsyncClient, AsyncStream, SharedBookmark
from bridge.errors import Timeout
from bridge.protocol import messages as m
from bridge.protocol.frames import Frame
from bridge.transport.security import ClientKeys

__all__ = ["Client", "Stream"]

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="vpbridge-client", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise Timeout(f"no answer within {timeout:g} s") from None

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Stream:
    """Sync view of an `AsyncStream`."""

    def __init__(self, client: Client, inner: AsyncStream) -> None:
        self._c = client
        self.inner = inner

    @property
    def id(self) -> int:
        return self.inner.id

    @property
    def outstanding(self) -> int:
        """Credits granted and not yet used by a frame."""
        return self.inner.outstanding

    def grant(self, n: int = 1) -> None:
        credit = self.inner._credit(n)
        if credit is not None:
            self._send(credit, credit.n)

    def request(self, pose: Any, *, grant: int = 0, **kw: Any) -> int:
        """Ask for a frame from `pose` (see `AsyncStream.request`); returns the pose id the frame echoes."""
        req, credit = self.inner._pose_request(pose, grant, **kw)
        self._send(req, req.credits + (credit.n if credit is not None else 0))
        if credit is not None:
            self._send(credit, credit.n)
        return req.pose_id

    def _send(self, msg: Any, credits: int) -> None:
        """Send on the frames plane in this thread; credits counted for `msg` are given back if it fails."""
        try:
            self._c.inner._send_frames_blocking(msg, self._c.timeout)
        except BaseException:
            self.inner._untake_credits(credits)
            raise

    def next_frame(self, timeout: float | None = None) -> Frame:
        """The next frame that arrives; `Timeout` after `timeout` s (default: the client's timeout)."""
        return self.inner._next_frame_blocking(self._c.timeout if timeout is None else timeout)

    def render(self, pose: Any, *, timeout: float | None = None, **kw: Any) -> Frame:
        """Request `pose` and wait for its frame (granting one credit if none is outstanding)."""
        t = self._c.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        pose_id = self.request(pose, grant=0 if self.inner.outstanding else 1, **kw)
        while True:
            frame = self.next_frame(max(0.0, deadline - time.monotonic()))
            if frame.pose_id >= pose_id:
                return frame

    def perspectives(self) -> m.Perspectives:
        return self._c._run(self.inner.perspectives())

    def choose(self, name: str, *, preset: str = "cinematic", fps: float = 24.0) -> float:
        return self._c._run(self.inner.choose(name, preset=preset, fps=fps))

    def close(self) -> None:
        self._c._run(self.inner.close())


class Client:
    """Blocking client; same arguments as `AsyncClient`."""

    def __init__(
        self,
        endpoint: str,
        *,
        name: str = "python",
        role: str = "viewer",
        keys: str | Path | ClientKeys | None = None,
        timeout: float = 10.0,
        follow_state: bool = True,
        reconnect: bool = True,
        connect: bool = True,
        keep_frame_buffers: bool = True,
    ) -> None:
        self.timeout = timeout
        self._lt = _LoopThread()

        async def make() -> AsyncClient:
            c = AsyncClient(
                endpoint,
                name=name,
                role=role,
                keys=keys,
                timeout=timeout,
                follow_state=follow_state,
                reconnect=reconnect,
                keep_frame_buffers=keep_frame_buffers,
            )
            c._caller_reads_frames = True
            return c

        self.inner = self._lt.run(make(), timeout)
        if connect:
            self.connect()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return self._lt.run(coro, (self.timeout + 1.0) if timeout is None else timeout)

    def connect(self) -> m.Welcome:
        try:
            return self._run(self.inner.connect())
        except BaseException:
            self.close()
            raise

    @property
    def welcome(self) -> m.Welcome | None:
        return self.inner.welcome

    @property
    def state(self) -> dict[str, m.ParamValue]:
        return dict(self.inner.state)

    def request(self, msg: Any, timeout: float | None = None) -> Any:
        return self._run(self.inner.request(msg, timeout=timeout))

    def ping(self) -> float:
        return self._run(self.inner.ping())

    def open_stream(self, **kw: Any) -> Stream:
        return Stream(self, self._run(self.inner.open_stream(**kw)))

    def get_state(self) -> m.StateSnapshot:
        return self._run(self.inner.get_state())

    def set_params(
        self,
        values: dict[str, m.ParamValue],
        *,
        base_seq: int | None = None,
        base_version: int | None = None,
        message: str = "",
    ) -> int:
        return self._run(
            self.inner.set_params(values, base_seq=base_seq, base_version=base_version, message=message)
        )

    @property
    def version(self) -> int:
        """The history version of this client's last studio request."""
        return self.inner.version

    def commit(
        self, values: dict[str, m.ParamValue], *, base_version: int | None = None, message: str = ""
    ) -> int:
        return self._run(self.inner.commit(values, base_version=base_version, message=message))

    def begin_edit(self) -> None:
        self._run(self.inner.begin_edit())

    def update_edit(self, values: dict[str, m.ParamValue]) -> int:
        return self._run(self.inner.update_edit(values))

    def end_edit(self, message: str = "") -> int:
        return self._run(self.inner.end_edit(message))

    def abort_edit(self) -> None:
        self._run(self.inner.abort_edit())

    def undo(self) -> int:
        return self._run(self.inner.undo())

    def redo(self) -> int:
        return self._run(self.inner.redo())

    def branch(self, name: str, start: str | int = "") -> int:
        return self._run(self.inner.branch(name, start))

    def checkout(self, ref: str | int) -> int:
        return self._run(self.inner.checkout(ref))

    def history(self, limit: int = 50, ref: str | int = "") -> m.HistoryLog:
        return self._run(self.inner.history(limit, ref))

    def diff(self, a: str | int, b: str | int) -> dict[str, tuple[m.ParamValue, m.ParamValue]]:
        return self._run(self.inner.diff(a, b))

    def save_preset(self, name: str, values: dict[str, m.ParamValue] | None = None) -> None:
        self._run(self.inner.save_preset(name, values))

    def apply_preset(self, name: str) -> int:
        return self._run(self.inner.apply_preset(name))

    def presets(self) -> dict[str, dict[str, m.ParamValue]]:
        return self._run(self.inner.presets())

    def param_schema(self) -> list[dict[str, Any]]:
        return self._run(self.inner.param_schema())

    def save_bookmark(
        self,
        name: str,
        T_world_camera: Any,
        *,
        fov_y_deg: float = 60.0,
        note: str = "",
        kind: str = "bookmark",
    ) -> int:
        return self._run(
            self.inner.save_bookmark(name, T_world_camera, fov_y_deg=fov_y_deg, note=note, kind=kind),
            self.timeout * 2 + 1.0,
        )

    def delete_bookmark(self, name: str) -> int:
        return self._run(self.inner.delete_bookmark(name), self.timeout * 2 + 1.0)

    def bookmarks(self) -> dict[str, SharedBookmark]:
        """The current scene's shared bookmarks by name, from the followed state."""
        return self.inner.bookmarks()

    def scene_bookmarks(self) -> dict[str, SharedBookmark]:
        return self._run(self.inner.scene_bookmarks(), self.timeout * 4)

    def get_scene(self, *, chunk_bytes: int = 1 << 20) -> tuple[bytes, dict[str, Any]]:
        return self._run(self.inner.get_scene(chunk_bytes=chunk_bytes), self.timeout * 4)

    def generate(
        self,
        *,
        prompt: str = "",
        spec: str = "",
        spec_toml: str = "",
        seed: int = 0,
        wait: bool = True,
        timeout: float = 300.0,
    ) -> int:
        return self._run(
            self.inner.generate(
                prompt=prompt, spec=spec, spec_toml=spec_toml, seed=seed, wait=wait, timeout=timeout
            ),
            timeout + 5.0,
        )

    def wait_state(self, predicate: Any, timeout: float | None = None) -> None:
        self._run(self.inner.wait_state(predicate, timeout), (timeout or self.timeout) + 1.0)

    def close(self) -> None:
        if self._lt.loop.is_closed():
            return
        try:
            self._run(self.inner.close(), 5.0)
        finally:
            self._lt.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
