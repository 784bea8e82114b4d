"""The Python client SDK (asyncio). `bridge.Client` (sync) wraps this on a private loop thread.

    async with AsyncClient("tcp://127.0.0.1:5555", role="director") as c:
        stream = await c.open_stream(width=640, height=360)
        frame = await stream.render(look_at((0, 2, 5), (0, 0, 0)))

It handshakes, heartbeats, follows shared state (snapshot + deltas, re-snapshot on a gap), receives
frames under credits, and recovers its session and streams after a server restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import select
import selectors
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, overload

import msgspec
import numpy as np
import zmq
import zmq.asyncio

from bridge import __version__
from bridge.errors import ProtocolError, RemoteError, Timeout, TransportError
from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.protocol.frames import Frame, decode_frame
from bridge.protocol.versioning import parse_semver
from bridge.transport import malloc
from bridge.transport.security import ClientKeys, load_client_keys
from bridge.transport.sockets import (
    Heartbeat,
    SocketOptions,
    configure,
    connect,
    readable,
    recv_nowait,
)

__all__ = ["AsyncClient", "AsyncStream", "SharedBookmark", "bookmarks_from_state"]

log = logging.getLogger("vpbridge.client")

_NOBLOCK = int(zmq.NOBLOCK)

FRAMES_WATCH_S = 0.05
"""Sync client: how often the loop thread reads the frames plane while no caller does."""


def _mat(pose: Any) -> tuple[float, ...]:
    a = np.asarray(pose, np.float64)
    if a.shape != (4, 4) and a.shape != (16,):
        raise ValueError(f"`pose` must be a 4×4 matrix (T_world_camera), got shape {a.shape}")
    return tuple(a.ravel().tolist())


BOOKMARK_PREFIX = "bookmark."
"""State key of a shared bookmark: 16 pose floats (row-major T_world_camera) + fov_y_deg."""
BOOKMARK_INFO_PREFIX = "bookmark_info."
"""State key of its metadata: JSON text {"kind", "note", "author", "time_ns"}."""


@dataclass(frozen=True)
class SharedBookmark:
    """A named camera pose: a shared one (saved by a client, in the state as `bookmark.<name>`) or, from
    `scene_bookmarks()`, one of the scene's own (read-only, `shared=False`)."""

    name: str
    T_world_camera: tuple[float, ...]
    """16 floats, row-major; `pose` is the same as a (4, 4) array."""
    fov_y_deg: float = 60.0
    note: str = ""
    """Free text (the scene's own bookmarks: their description)."""
    kind: str = "bookmark"
    author: str = ""
    """The client name of who saved it ("" for the scene's own)."""
    time_ns: int = 0
    """When it was saved (wall clock, ns since the Unix epoch; 0 for the scene's own)."""
    shared: bool = True
    """False for the scene's own bookmarks (read-only: saving or deleting that name is CONFLICT)."""

    @property
    def pose(self) -> np.ndarray:
        """`T_world_camera` as a (4, 4) float64 array (camera → world, −Z forward, Y up, metres)."""
        return np.asarray(self.T_world_camera, np.float64).reshape(4, 4)


def bookmarks_from_state(state: Mapping[str, m.ParamValue]) -> dict[str, SharedBookmark]:
    """The shared bookmarks in a state map (`bookmark.<name>` + `bookmark_info.<name>`), by name.
    Malformed entries are skipped; floats past the 17th and unknown JSON keys are ignored."""
    out: dict[str, SharedBookmark] = {}
    for key, value in state.items():
        if not key.startswith(BOOKMARK_PREFIX) or not isinstance(value, list) or len(value) < 17:
            continue
        name = key[len(BOOKMARK_PREFIX) :]
        info: Any = {}
        text = state.get(BOOKMARK_INFO_PREFIX + name)
        if isinstance(text, str):
            try:
                info = json.loads(text)
            except ValueError:
                info = {}
        if not isinstance(info, dict):
            info = {}
        out[name] = SharedBookmark(
            name=name,
            T_world_camera=tuple(float(x) for x in value[:16]),
            fov_y_deg=float(value[16]),
            note=str(info.get("note", "")),
            kind=str(info.get("kind", "bookmark")),
            author=str(info.get("author", "")),
            time_ns=int(info.get("time_ns", 0) or 0),
        )
    return dict(sorted(out.items()))


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _BlockingWait:
    """Where a sync caller's thread waits for a frame: the frames socket's FD (a message may be waiting to
    be read) and a wake-up socket the loop thread writes when it delivers one or the stream closes.
    Its fields change under the client's frames lock."""

    def __init__(self, frames_fd: int) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._rfd = self._r.fileno()
        # `select.poll` where there is one (no Python layer per wait: this runs per frame), else a selector
        # (Windows).
        self._frames_fd = frames_fd
        self._poll: Any = None
        self._sel: selectors.BaseSelector | None = None
        if hasattr(select, "poll"):
            self._poll = self._new_poll()
        else:
            self._sel = selectors.DefaultSelector()
            self._sel.register(frames_fd, selectors.EVENT_READ)
            self._sel.register(self._r, selectors.EVENT_READ)
        self._poll_free = threading.Lock()
        """Held by the thread waiting on `_poll` (a poll object refuses a second concurrent `poll()`): a
        second thread waiting on the same stream waits on a poll object of its own."""
        self.waiting = False
        """Set by a thread about to wait; a delivery then writes the wake-up."""
        self.users = 0
        """Threads inside `wait` (the last one out closes a retired wait)."""
        self.retired = False

    def notify(self, force: bool = False) -> None:
        if self.waiting or force:
            self.waiting = False
            try:
                self._w.send(b"\0")
            except OSError:  # full (a wake-up is already pending) or closed
                pass

    def _new_poll(self) -> Any:
        poll = select.poll()
        poll.register(self._frames_fd, select.POLLIN)
        poll.register(self._rfd, select.POLLIN)
        return poll

    def wait(self, timeout: float) -> None:
        timeout = min(timeout, 3600.0)  # the caller waits again until its own deadline (which may be inf)
        try:
            if self._poll is not None:
                if self._poll_free.acquire(blocking=False):
                    try:
                        ready = self._poll.poll(timeout * 1000.0)
                    finally:
                        self._poll_free.release()
                else:
                    ready = self._new_poll().poll(timeout * 1000.0)
                woke = any(fd == self._rfd for fd, _ in ready)
            else:
                assert self._sel is not None
                woke = any(key.fileobj is self._r for key, _ in self._sel.select(timeout))
            if woke:
                while self._r.recv(64):
                    pass
        except (OSError, ValueError):  # nothing left to read
            pass

    def retire(self) -> None:
        """The stream or client is closed: wake every waiter; its sockets close once none is inside."""
        self.retired = True
        self.notify(force=True)
        if self.users == 0:
            self.close()

    def left(self) -> None:
        """A thread is out of `wait`."""
        self.users -= 1
        if self.retired and self.users == 0:
            self.close()

    def close(self) -> None:
        if self._sel is not None:
            self._sel.close()
        self._r.close()
        self._w.close()


class AsyncStream:
    """A frame stream. Grant credits and send poses; frames arrive for the newest pose per credit."""

    def __init__(self, client: AsyncClient, opened: m.StreamOpened, request: m.OpenStream) -> None:
        self.client = client
        self.id = opened.stream
        self.max_credits = opened.max_credits
        self.open_request = request
        self._inbox: deque[Frame] = deque()
        self._waiter: asyncio.Future[None] | None = None
        """Set while `next_frame` waits; resolved by a frame, a close, or its timeout."""
        self._pose_ids = itertools.count(1)
        self.last_pose: m.PoseRequest | None = None
        self.closed_reason: str | None = None
        self.outstanding = 0
        """Credits granted and not yet used by a frame (as far as this client knows)."""
        self._blocking: _BlockingWait | None = None
        """For `Stream` (the sync client): waits for a frame in the caller's thread (made on first use)."""

    def _take_credits(self, n: int) -> int:
        """Count up to `n` more credits as outstanding (capped at `max_credits`); how many were taken."""
        with self.client._frames_lock:
            n = max(0, min(n, self.max_credits - self.outstanding))
            self.outstanding += n
            return n

    def _credit(self, n: int) -> m.Credit | None:
        n = self._take_credits(n)
        return m.Credit(stream=self.id, n=n) if n else None

    def _untake_credits(self, n: int) -> None:
        """Credits counted by `_take_credits` whose message was never sent."""
        with self.client._frames_lock:
            self.outstanding = max(0, self.outstanding - n)

    async def _send(self, msg: m.PoseRequest | m.Credit, credits: int) -> None:
        """Send on the frames plane; the `credits` counted for `msg` are given back if it fails."""
        try:
            await self.client._send_frames(msg)
        except BaseException:
            self._untake_credits(credits)
            raise

    async def grant(self, n: int = 1) -> None:
        credit = self._credit(n)
        if credit is not None:
            await self._send(credit, credit.n)

    async def request(
        self,
        pose: Any,
        *,
        fov: m.Fov | m.Intrinsics | None = None,
        width: int | None = None,
        height: int | None = None,
        near: float | None = None,
        far: float | None = None,
        eyes: list[m.EyeView] | None = None,
        grant: int = 0,
    ) -> int:
        """Ask for a frame from `pose` (4×4 T_world_camera). Returns the pose id the frame will echo.

        `grant` credits go with the request (as `grant(n)` would, capped at `max_credits`): one message
        per frame instead of two against a 1.1+ server, a separate `Credit` against an older one."""
        req, credit = self._pose_request(
            pose, grant, fov=fov, width=width, height=height, near=near, far=far, eyes=eyes
        )
        await self._send(req, req.credits + (credit.n if credit is not None else 0))
        if credit is not None:
            await self._send(credit, credit.n)
        return req.pose_id

    def _pose_request(self, pose: Any, grant: int, **fields: Any) -> tuple[m.PoseRequest, m.Credit | None]:
        """The request to send for `pose` with optional `PoseRequest` fields (credits counted as
        outstanding), and a separate `Credit` to send after it when the server predates credits in pose
        requests."""
        self._check_open()
        fields["eyes"] = fields.get("eyes") or []
        n = self._take_credits(grant) if grant else 0
        folded = n if self.client.folds_credits else 0
        req = m.PoseRequest(
            stream=self.id,
            pose_id=next(self._pose_ids),
            T_world_camera=_mat(pose),
            t_pose_ns=time.monotonic_ns(),
            credits=folded,
            **fields,
        )
        self.last_pose = req
        return req, (m.Credit(stream=self.id, n=n) if n and not folded else None)

    async def next_frame(self, timeout: float | None = None) -> Frame:
        """The next frame that arrives (in arrival order)."""
        loop = asyncio.get_running_loop()
        lock = self.client._frames_lock
        with lock:
            if self._inbox:
                return self._inbox.popleft()
        deadline = None if timeout is None else loop.time() + timeout
        reader = self.client._want_frames()
        try:
            while True:
                with lock:  # a frame read by a sync caller's thread is delivered under this lock
                    if self._inbox:
                        return self._inbox.popleft()
                    self._check_open()
                    if deadline is not None and deadline <= loop.time():
                        raise Timeout(
                            f"no frame on stream {self.id} within {timeout:g} s "
                            f"(credits outstanding: {self.outstanding})"
                        )
                    # A bare future and one timer, not `wait_for` on an Event (a task per wait): this
                    # runs per frame.
                    waiter = self._waiter = loop.create_future()
                timer = None if deadline is None else loop.call_at(deadline, _wake, waiter)
                try:
                    await waiter
                finally:
                    self._waiter = None
                    if timer is not None:
                        timer.cancel()
        finally:
            if reader:
                self.client._unwant_frames()

    def _next_frame_blocking(self, timeout: float) -> Frame:
        """`next_frame` for the sync client, in the caller's thread: read the frames socket here (no
        event-loop round trip per frame), or wait for its FD or for a frame the loop thread delivers."""
        c = self.client
        deadline = time.monotonic() + timeout
        while True:
            with c._frames_lock:
                if self._blocking is not None:
                    # Reading now: a frame this thread delivers must not also write a wake-up (a spurious
                    # wake and two syscalls per frame); the loop thread sees the flag under this lock.
                    self._blocking.waiting = False
                if not self._inbox:
                    c._drain_here(self)
                if self._inbox:
                    frame = self._inbox.popleft()
                    if self._inbox and self._blocking is not None and self._blocking.users:
                        # Another thread waits on this stream and one wake-up may have stood for several
                        # frames (or been drained by this thread): wake it for the frame left.
                        self._blocking.notify(force=True)
                    return frame
                self._check_open()
                c._check_not_closed()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Timeout(
                        f"no frame on stream {self.id} within {timeout:g} s "
                        f"(credits outstanding: {self.outstanding})"
                    )
                if self._blocking is None:
                    assert c._frames_fd is not None  # `_check_not_closed` above
                    self._blocking = _BlockingWait(c._frames_fd)
                wait = self._blocking
                wait.waiting = True
                wait.users += 1
                c._threads_waiting += 1
            try:
                wait.wait(remaining)
            finally:
                with c._frames_lock:
                    c._threads_waiting -= 1
                    wait.left()

    async def render(self, pose: Any, *, timeout: float | None = None, **kw: Any) -> Frame:
        """Request `pose` and wait for its frame (granting one credit if none is outstanding)."""
        pose_id = await self.request(pose, grant=0 if self.outstanding else 1, **kw)
        timeout = self.client.timeout if timeout is None else timeout
        while True:
            frame = await self.next_frame(timeout)
            if frame.pose_id >= pose_id:
                return frame

    async def perspectives(self) -> m.Perspectives:
        """The scene's offered perspectives, and which one this stream is moving to or holding."""
        reply: m.Perspectives = await self.client.request(m.GetPerspectives(rid=0, stream=self.id))
        return reply

    async def choose(self, name: str, *, preset: str = "cinematic", fps: float = 24.0) -> float:
        """Move this stream to perspective `name`: the server streams the planned transition at `fps`
        (frames carry `header.perspective` and `header.t_path`), then holds. Grant credits to receive
        them. Returns the transition's duration in seconds (0.0 when it was superseded or a cut)."""
        self._check_open()
        ok: m.Ok = await self.client.request(
            m.ChoosePerspective(rid=0, stream=self.id, name=name, preset=preset, fps=fps)
        )
        try:
            return float(ok.detail)
        except ValueError:
            return 0.0

    def _deliver(self, frame: Frame) -> None:
        """Called with the client's frames lock held, on the loop thread or a sync caller's."""
        self.outstanding = max(0, self.outstanding - 1)
        self._inbox.append(frame)
        self._wake_waiters()

    def _closed(self, reason: str) -> None:
        with self.client._frames_lock:
            self.closed_reason = reason
            self._wake_waiters()
            self._retire_blocking()

    def _retire_blocking(self) -> None:
        """Frames lock held: wake any thread blocked in `next_frame` and free the wait's sockets."""
        if self._blocking is not None:
            self._blocking.retire()
            self._blocking = None

    def _wake_waiters(self) -> None:
        if self._waiter is not None:
            self.client._call_in_loop(_wake, self._waiter)
        if self._blocking is not None:
            self._blocking.notify()

    def _check_open(self) -> None:
        if self.closed_reason is not None:
            raise TransportError(f"stream {self.id} was closed: {self.closed_reason}")

    async def close(self) -> None:
        if self.closed_reason is None:
            self._closed("closed by client")  # wakes a waiting `next_frame` (any thread)
            self.client._streams.pop(self.id, None)
            await self.client.request(m.CloseStream(rid=0, stream=self.id))


class AsyncClient:
    """Connects to a vpbridge server's control endpoint and learns the other planes from `Welcome`."""

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
        keep_frame_buffers: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self.name = name
        self.role = role
        self.keys = load_client_keys(keys) if isinstance(keys, (str, Path)) else keys
        self.timeout = timeout
        self.follow_state = follow_state
        self.reconnect = reconnect
        self.keep_frame_buffers = keep_frame_buffers
        """On the first `open_stream`, keep freed frame buffers for reuse instead of handing them back to
        the OS (glibc; process-wide, once: see `bridge.transport.malloc`). Without it, receiving 1080p
        frames costs ~0.5 ms of page faults each."""
        self.welcome: m.Welcome | None = None
        self.folds_credits = False
        """Whether the server takes credits inside a `PoseRequest` (protocol 1.1+; from `Welcome`)."""
        self.state: dict[str, m.ParamValue] = {}
        self.state_seq = -1
        self.scene_version = 0
        self.resnapshots = 0
        self.version = 0
        """The history version of this client's last studio request (0 before one)."""
        self.on_state: list[Callable[[m.StateDelta | m.StateSnapshot], None]] = []
        self._rids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._streams: dict[int, AsyncStream] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._state_event = asyncio.Event()
        self._recovering: asyncio.Task[None] | None = None
        self._closed = False
        self._frames_fd: int | None = None
        self._frames_loop: asyncio.AbstractEventLoop | None = None
        self._frames_wake_pending = False
        self._frames_draining = False
        self._frames_lock = threading.RLock()
        """Guards the frames socket and per-stream credits and inboxes: the loop thread and a sync caller's
        thread both use them (ZeroMQ sockets may change threads behind a lock)."""
        self._caller_reads_frames = False
        """Set by the sync client: its callers read the frames socket in their own threads, and the loop
        thread reads it only while something on the loop waits on it (`_want_frames`)."""
        self._frames_interest = 0
        self._threads_waiting = 0
        """Sync callers' threads blocked on the frames socket's FD (a send made elsewhere must then check
        for a waiting message, as it may have taken the FD's signal)."""
        self._loop_thread = 0
        self._every_stream: weakref.WeakSet[AsyncStream] = weakref.WeakSet()
        """Every stream opened (also those `_recover` has out of `_streams` for a moment): `close()`
        wakes their waiters."""
        self.ctx = zmq.asyncio.Context()

    # -- connection -----------------------------------------------------------------------------

    @overload
    def _socket(self, kind: int) -> zmq.asyncio.Socket: ...
    @overload
    def _socket(self, kind: int, sync: Literal[True]) -> zmq.Socket[bytes]: ...

    def _socket(self, kind: int, sync: bool = False) -> Any:
        raw: zmq.Socket[Any] = self.ctx.socket(kind, cast(Any, zmq.Socket)) if sync else self.ctx.socket(kind)
        sock = configure(raw, SocketOptions(heartbeat=Heartbeat(1000, 3000, 6000), rcvhwm=64))
        if self.keys is not None:
            sock.setsockopt_string(zmq.CURVE_SERVERKEY, self.keys.server_public)
            sock.setsockopt_string(zmq.CURVE_PUBLICKEY, self.keys.public)
            sock.setsockopt_string(zmq.CURVE_SECRETKEY, self.keys.secret)
        return sock

    async def connect(self) -> m.Welcome:
        self.control = self._socket(zmq.DEALER)
        connect(self.control, self.endpoint)
        self._tasks.append(asyncio.create_task(self._control_reader(), name="vpb-control"))
        welcome = await self._handshake()
        self.state_sub = self._socket(zmq.SUB)
        self.state_sub.setsockopt(zmq.SUBSCRIBE, codec.STATE_TOPIC)
        connect(self.state_sub, welcome.endpoints.state)
        # The frames plane is the per-frame path: a plain socket drained by a loop reader (no future per
        # message), as on the server.
        self.frames = self._socket(zmq.DEALER, sync=True)
        connect(self.frames, welcome.endpoints.frames)
        self._frames_loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._frames_fd = cast(int, self.frames.getsockopt(zmq.FD))
        if self._caller_reads_frames:
            self._tasks.append(asyncio.create_task(self._frames_watch(), name="vpb-frames-watch"))
        else:
            self._frames_interest = 1
            self._frames_loop.add_reader(self._frames_fd, self._frames_readable)
        await self._attach()
        if self.follow_state:
            self._tasks.append(asyncio.create_task(self._state_reader(), name="vpb-state"))
            await self._resnapshot()
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="vpb-heartbeat"))
        return welcome

    async def _handshake(self) -> m.Welcome:
        role = cast(Any, self.role)
        hello = m.Hello(
            rid=0, protocol=m.PROTOCOL_VERSION, client=self.name, client_version=__version__, role=role
        )
        welcome = await self.request(hello)
        assert isinstance(welcome, m.Welcome)
        for w in welcome.warnings:
            log.warning("server: %s", w)
        self.welcome = welcome
        try:
            v = parse_semver(welcome.protocol)
            self.folds_credits = (v.major, v.minor) >= (1, 1)
        except ProtocolError:  # not semver: assume the oldest 1.x behaviour
            self.folds_credits = False
        return welcome

    async def _attach(self) -> None:
        assert self.welcome is not None
        await self._frames_request(m.Attach(rid=0, session=self.welcome.session))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.welcome is not None:
            try:
                await self.request(m.Bye(rid=0), timeout=1.0)
            except Exception:  # the server may already be gone; closing must still succeed
                pass
        # Cancel until done: on Python 3.11 `asyncio.wait_for` swallows a cancel that lands as its inner
        # future completes, and the heartbeat loop would then run on (and close() hang) forever.
        tasks = [*self._tasks, *([self._recovering] if self._recovering is not None else [])]
        pending = {t for t in tasks if not t.done()}
        while pending:
            for t in pending:
                t.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.5)
        await asyncio.gather(*tasks, return_exceptions=True)
        with self._frames_lock:
            if self._frames_fd is not None and self._frames_loop is not None:
                self._frames_loop.remove_reader(self._frames_fd)
            self._frames_fd = None
            self.ctx.destroy(linger=0)
            for st in list(self._every_stream):
                st._wake_waiters()
                st._retire_blocking()

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- requests -------------------------------------------------------------------------------

    async def request(self, msg: Any, *, timeout: float | None = None) -> Any:
        """Send a control request (its rid is assigned here) and return the typed reply.

        Raises RemoteError for an `Error` reply and Timeout when no reply arrives."""
        rid = next(self._rids)
        msg = msgspec.structs.replace(msg, rid=rid)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        try:
            await self.control.send(codec.encode(msg))
            reply = await asyncio.wait_for(fut, self.timeout if timeout is None else timeout)
        except asyncio.TimeoutError:
            raise Timeout(
                f"no reply to {m.tag_of(type(msg))} from {self.endpoint} within "
                f"{self.timeout if timeout is None else timeout:g} s; is the server running?"
            ) from None
        finally:
            self._pending.pop(rid, None)
        if isinstance(reply, m.Error):
            if (
                reply.code == m.ErrorCode.UNAUTHORIZED
                and self.reconnect
                and not self._closed
                and not isinstance(msg, (m.Hello, m.Bye))
            ):
                await self._recover("server forgot our session")
                return await self.request(msg, timeout=timeout)
            raise RemoteError(reply.code.value, reply.message, field=reply.field, hint=reply.hint)
        return reply

    async def _frames_request(self, msg: m.Attach) -> None:
        rid = next(self._rids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        reader = self._want_frames()
        try:
            await self._send_frames(msgspec.structs.replace(msg, rid=rid))
            reply = await asyncio.wait_for(fut, self.timeout)
        except asyncio.TimeoutError:
            raise Timeout(f"frames endpoint did not answer Attach within {self.timeout:g} s") from None
        finally:
            self._pending.pop(rid, None)
            if reader:
                self._unwant_frames()
        if isinstance(reply, m.Error):
            raise RemoteError(reply.code.value, reply.message, field=reply.field, hint=reply.hint)

    async def _send_frames(self, msg: Any) -> None:
        """Send on the frames plane. Non-blocking: the queue only fills (1000 messages) while the server
        is unreachable, and then this waits for room, as a blocking send would."""
        data = codec.encode(msg)
        delay = 0.001
        while not self._send_frames_now(data):
            await asyncio.sleep(delay)
            delay = min(2 * delay, 0.05)

    def _send_frames_now(self, data: bytes) -> bool:
        sock = self.frames
        with self._frames_lock:
            try:
                sock.send(data, _NOBLOCK)
            except zmq.Again:
                return False
            finally:
                # A send can take the socket's FD signal while a frame waits: wake the reader if one does.
                if (
                    not self._frames_draining
                    and not self._frames_wake_pending
                    and not sock.closed
                    and readable(sock)
                ):
                    self._frames_wake()
        return True

    # -- the frames plane from a sync caller's thread (`bridge.client_sync`) ----------------------

    def _send_frames_blocking(self, msg: Any, timeout: float) -> None:
        """Send on the frames plane from the caller's thread. While another thread or the loop waits on
        the socket's FD, then read what waits (the send may have taken the FD's signal from them); this
        thread itself checks the socket before it next waits. Waits for room as `_send_frames` does, up
        to `timeout`."""
        data = codec.encode(msg)
        deadline = 0.0  # set once a send finds the queue full
        delay = 0.001
        while True:
            with self._frames_lock:
                self._check_not_closed()
                sock = self.frames
                try:
                    sock.send(data, _NOBLOCK)
                    return
                except zmq.Again:
                    pass
                finally:
                    # The send may have taken the FD's signal from a thread or the loop waiting on it: read
                    # what waits (this thread checks the socket itself before it waits).
                    if (
                        (self._threads_waiting or self._frames_interest)
                        and not sock.closed
                        and readable(sock)
                    ):
                        self._drain_here()
            if not deadline:
                deadline = time.monotonic() + timeout
            elif time.monotonic() >= deadline:
                raise Timeout(
                    f"could not send to {self.endpoint} for {timeout:g} s (the frames queue is full); "
                    "is the server running?"
                )
            time.sleep(delay)
            delay = min(2 * delay, 0.05)

    def _drain_here(self, until: AsyncStream | None = None) -> None:
        """Read every waiting frames-plane message in this (a sync caller's) thread, frames lock held:
        frames go to their streams here, anything else to the loop thread. With `until`, stop once that
        stream has a frame, unless another thread or the loop waits on the socket's FD (this read may have
        taken its signal); the caller checks the socket again before it waits."""
        sock = self.frames
        for _ in range(256):
            try:
                parts = recv_nowait(sock)
            except zmq.ZMQError:  # closed under us: the next check says so
                return
            if parts is None:
                return
            t = time.monotonic_ns()
            if parts[0].bytes == codec.FRAME_TOPIC:
                self._on_frame(parts, t)
                if (
                    until is not None
                    and until._inbox
                    and not (self._threads_waiting or self._frames_interest)
                ):
                    return
            else:
                self._call_in_loop(self._on_frames_message, parts, t)
        self._call_in_loop(self._frames_wake)  # more waiting than one pass reads: the loop goes on

    def _check_not_closed(self) -> None:
        if self._closed or self._frames_fd is None:
            raise TransportError(f"the client for {self.endpoint} is closed")

    def _call_in_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn` now when on the loop thread, else hand it to the loop."""
        if threading.get_ident() == self._loop_thread:
            fn(*args)
            return
        loop = self._frames_loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # the loop is closed: the client is gone
                pass

    def _want_frames(self) -> bool:
        """Something on the loop waits for a frames-plane message. With the sync client's callers
        reading the socket, the loop reads it only while such a wait lasts (else every frame would wake
        both threads); returns whether the caller must `_unwant_frames` after."""
        if not self._caller_reads_frames or self._frames_fd is None or self._frames_loop is None:
            return False
        self._frames_interest += 1
        if self._frames_interest == 1:
            self._frames_loop.add_reader(self._frames_fd, self._frames_readable)
            self._frames_wake()  # a message may already wait: the FD only signals new arrivals
        return True

    async def _frames_watch(self) -> None:
        """With the sync client, read the frames plane on the loop every 50 ms while nothing there waits
        on it: a stream the server closes, or its goodbye, is seen without a caller reading frames."""
        while True:
            await asyncio.sleep(FRAMES_WATCH_S)
            if not self._frames_interest:
                self._frames_readable()

    def _unwant_frames(self) -> None:
        self._frames_interest -= 1
        if self._frames_interest == 0 and self._frames_fd is not None and self._frames_loop is not None:
            self._frames_loop.remove_reader(self._frames_fd)

    async def ping(self) -> float:
        """Round-trip time in seconds."""
        t0 = time.monotonic_ns()
        await self.request(m.Ping(rid=0, t_client_ns=t0))
        return (time.monotonic_ns() - t0) / 1e9

    async def open_stream(self, **kw: Any) -> AsyncStream:
        """Open a stream; keyword arguments are `OpenStream` fields (width, height, fov, color, depth, ...)."""
        req = m.OpenStream(rid=0, **kw)
        if self.keep_frame_buffers:
            malloc.keep_frame_buffers()
        opened = await self.request(req)
        st = AsyncStream(self, opened, req)
        self._streams[st.id] = st
        self._every_stream.add(st)
        return st

    async def get_state(self) -> m.StateSnapshot:
        snap: m.StateSnapshot = await self.request(m.GetState(rid=0))
        return snap

    async def set_params(
        self,
        values: dict[str, m.ParamValue],
        *,
        base_seq: int | None = None,
        base_version: int | None = None,
        message: str = "",
    ) -> int:
        """Change live parameters (director role); the change is one history version, on disk when
        this returns (its id is in `self.version`). Returns the new state seq. CONFLICT when
        `base_seq` is not the state's seq or `base_version` is not HEAD (the message names HEAD)."""
        ok = await self._studio(
            m.SetParams(rid=0, values=values, base_seq=base_seq, base_version=base_version, message=message)
        )
        return int(ok.detail)

    async def commit(
        self, values: dict[str, m.ParamValue], *, base_version: int | None = None, message: str = ""
    ) -> int:
        """`set_params` that returns the history version committed (durable on return)."""
        await self.set_params(values, base_version=base_version, message=message)
        return self.version

    async def _studio(self, req: Any) -> m.Ok:
        ok: m.Ok = await self.request(req)
        if ok.version:
            self.version = ok.version
        return ok

    async def begin_edit(self) -> None:
        """Open a live-edit transaction (a slider drag): updates render live, `end_edit` commits once."""
        await self._studio(m.Edit(rid=0, action="begin"))

    async def update_edit(self, values: dict[str, m.ParamValue]) -> int:
        """Apply `values` live inside the open transaction (validated, rendered, not yet in history).
        Returns the new state seq."""
        ok = await self._studio(m.Edit(rid=0, action="update", values=values))
        return int(ok.detail)

    async def end_edit(self, message: str = "") -> int:
        """Commit the transaction's net change as one version; returns its id (HEAD's if no change)."""
        return (await self._studio(m.Edit(rid=0, action="end", message=message))).version

    async def abort_edit(self) -> None:
        """Drop the transaction; the values it touched return to HEAD's."""
        await self._studio(m.Edit(rid=0, action="abort"))

    async def undo(self) -> int:
        """Revert the latest change on HEAD (a new version, returned); CONFLICT when none is left."""
        return (await self._studio(m.Undo(rid=0))).version

    async def redo(self) -> int:
        """Re-apply what the latest undo reverted (a new version, returned)."""
        return (await self._studio(m.Redo(rid=0))).version

    async def branch(self, name: str, start: str | int = "") -> int:
        """Create branch `name` at `start` (branch or version; default HEAD). Returns its version."""
        return (await self._studio(m.Branch(rid=0, name=name, start=str(start)))).version

    async def checkout(self, ref: str | int) -> int:
        """Move HEAD to a branch (or a version id: detached) and apply its values live."""
        return (await self._studio(m.Checkout(rid=0, ref=str(ref)))).version

    async def history(self, limit: int = 50, ref: str | int = "") -> m.HistoryLog:
        """The log from `ref` (default HEAD), newest first, with HEAD, its branch and every branch."""
        log_: m.HistoryLog = await self.request(m.GetHistory(rid=0, ref=str(ref), limit=limit))
        return log_

    async def diff(self, a: str | int, b: str | int) -> dict[str, tuple[m.ParamValue, m.ParamValue]]:
        """Parameters that differ between two refs: name → (value in a, value in b)."""
        d: m.HistoryDiff = await self.request(m.Diff(rid=0, a=str(a), b=str(b)))
        return {k: (d.before.get(k), d.after.get(k)) for k in d.before.keys() | d.after.keys()}

    async def save_preset(self, name: str, values: dict[str, m.ParamValue] | None = None) -> None:
        """Store `values` (default: every value at HEAD) as preset `name`."""
        await self._studio(m.SavePreset(rid=0, name=name, values=values or {}))

    async def apply_preset(self, name: str) -> int:
        """Commit preset `name` on HEAD; returns the version."""
        return (await self._studio(m.ApplyPreset(rid=0, name=name))).version

    async def presets(self) -> dict[str, dict[str, m.ParamValue]]:
        reply: m.Presets = await self.request(m.ListPresets(rid=0))
        return reply.presets

    async def param_schema(self) -> list[dict[str, Any]]:
        """The parameter schema as records (name, type, unit, min, max, choices, default, ...)."""
        reply: m.ParamSchema = await self.request(m.GetSchema(rid=0))
        records: list[dict[str, Any]] = json.loads(reply.schema_json)
        return records

    async def save_bookmark(
        self,
        name: str,
        T_world_camera: Any,
        *,
        fov_y_deg: float = 60.0,
        note: str = "",
        kind: str = "bookmark",
    ) -> int:
        """Save (or replace) shared bookmark `name` of the current scene at `T_world_camera` (4×4 or
        16 floats, row-major); any role. Durable on the server when this returns, and (when following
        state) already in `bookmarks()`. Returns the state seq. RemoteError: BAD_REQUEST (name, kind,
        pose), CONFLICT (a name of the scene's own bookmarks), RATE_LIMITED (the scene is full)."""
        ok: m.Ok = await self.request(
            m.SaveBookmark(
                rid=0,
                name=name,
                T_world_camera=_mat(T_world_camera),
                fov_y_deg=fov_y_deg,
                note=note,
                kind=kind,
            )
        )
        return await self._seen(int(ok.detail))

    async def delete_bookmark(self, name: str) -> int:
        """Delete shared bookmark `name`; any role. Returns the state seq. RemoteError NOT_FOUND when there
        is none, CONFLICT for one of the scene's own."""
        ok: m.Ok = await self.request(m.DeleteBookmark(rid=0, name=name))
        return await self._seen(int(ok.detail))

    def bookmarks(self) -> dict[str, SharedBookmark]:
        """The current scene's shared bookmarks by name, from the followed state (`follow_state=True`)."""
        return bookmarks_from_state(self.state)

    async def scene_bookmarks(self) -> dict[str, SharedBookmark]:
        """The scene's own bookmarks (read-only; spawn points, bookmarks, shots) from the `GetScene`
        manifest, by name, with `shared=False`; {} when the server has no scene. Every bookmark a client
        can show: `{**await c.scene_bookmarks(), **c.bookmarks()}` (the names never clash)."""
        try:
            info: m.SceneInfo = await self.request(m.GetScene(rid=0))
        except RemoteError as exc:
            if exc.code == "NOT_FOUND":
                return {}
            raise
        out: dict[str, SharedBookmark] = {}
        for b in json.loads(info.manifest).get("bookmarks", []):
            out[b["name"]] = SharedBookmark(
                name=b["name"],
                T_world_camera=tuple(float(x) for x in np.asarray(b["T_world_camera"], np.float64).ravel()),
                fov_y_deg=float(b.get("fov_y_deg", 60.0)),
                note=str(b.get("description", "")),
                kind=str(b.get("kind", "bookmark")),
                shared=False,
            )
        return out

    async def _seen(self, seq: int) -> int:
        """Wait (best effort, up to `timeout`) until the followed state has caught up with `seq`."""
        if self.follow_state:
            try:
                await self.wait_state(lambda _s: self.state_seq >= seq)
            except Timeout:
                log.warning("state seq %d not seen within %g s", seq, self.timeout)
        return seq

    async def get_scene(self, *, chunk_bytes: int = 1 << 20) -> tuple[bytes, dict[str, Any]]:
        """The current scene as (GLB bytes, manifest). Chunks are pulled a few at a time and checked by hash."""
        info: m.SceneInfo = await self.request(m.GetScene(rid=0, chunk_bytes=chunk_bytes))
        parts: dict[int, bytes] = {}
        window = 4
        for start in range(0, info.chunks, window):
            replies = await asyncio.gather(
                *(
                    self.request(
                        m.GetSceneChunk(
                            rid=0, scene_version=info.scene_version, index=i, chunk_bytes=chunk_bytes
                        )
                    )
                    for i in range(start, min(info.chunks, start + window))
                )
            )
            for r in replies:
                parts[r.index] = r.data
        glb = b"".join(parts[i] for i in range(info.chunks))
        if len(glb) != info.nbytes or hashlib.sha256(glb).hexdigest() != info.sha256:
            raise ProtocolError(
                "BAD_REQUEST", "the scene download does not match its size or sha256; try again"
            )
        manifest: dict[str, Any] = json.loads(info.manifest)
        return glb, manifest

    async def generate(
        self,
        *,
        prompt: str = "",
        spec: str = "",
        spec_toml: str = "",
        seed: int = 0,
        wait: bool = True,
        timeout: float = 300.0,
    ) -> int:
        """Build a new scene on the server (director role); with `wait`, return once every client switched to it.
        Returns the job id; progress is in `state["job.<id>.progress"]`."""
        ok = await self.request(m.Generate(rid=0, prompt=prompt, spec=spec, spec_toml=spec_toml, seed=seed))
        job = int(ok.detail)
        if wait:
            key = f"job.{job}.stage"
            await self.wait_state(
                lambda s: s.get(key) == "done" or str(s.get(key, "")).startswith("failed"), timeout
            )
            stage = str(self.state.get(key))
            if stage.startswith("failed"):
                raise RemoteError("INTERNAL", f"generate job {job} {stage}")
        return job

    async def wait_state(
        self, predicate: Callable[[dict[str, m.ParamValue]], bool], timeout: float | None = None
    ) -> None:
        """Wait until the followed state satisfies `predicate`."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not predicate(self.state):
            self._state_event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("state did not reach the expected value in time")
            try:
                await asyncio.wait_for(self._state_event.wait(), left)
            except asyncio.TimeoutError:
                pass

    # -- background readers ---------------------------------------------------------------------

    async def _control_reader(self) -> None:
        while True:
            data = await self.control.recv()
            try:
                msg = codec.decode_control_reply(data)
            except ProtocolError as exc:
                log.warning("undecodable control message from server: %s", exc)
                continue
            if isinstance(msg, m.ServerBye):
                self._on_server_bye(msg.reason)
                continue
            fut = self._pending.get(getattr(msg, "rid", -1))
            if fut is not None and not fut.done():
                fut.set_result(msg)

    def _frames_readable(self) -> None:
        """Handle every waiting frames-plane message: ZeroMQ's FD signals state changes, not waiting
        messages, so read until EAGAIN (or a batch, then go on next iteration)."""
        self._frames_wake_pending = False
        with self._frames_lock:
            if self._frames_fd is None:
                return
            sock = self.frames
            self._frames_draining = True
            try:
                for _ in range(64):
                    parts = recv_nowait(sock)
                    if parts is None:
                        return
                    self._on_frames_message(parts, time.monotonic_ns())
            except zmq.ZMQError as exc:  # closed under us
                log.debug("frames socket: %s", exc)
                return
            finally:
                self._frames_draining = False
        self._frames_wake()

    def _frames_wake(self) -> None:
        if not self._frames_wake_pending and self._frames_loop is not None and self._frames_fd is not None:
            self._frames_wake_pending = True
            self._frames_loop.call_soon(self._frames_readable)

    def _on_frames_message(self, parts: list[zmq.Frame], t: int) -> None:
        if parts[0].bytes == codec.FRAME_TOPIC:
            self._on_frame(parts, t)
            return
        try:
            evt = codec.decode_frames_event(parts[1].buffer if len(parts) > 1 else b"")
            self._on_frames_event(evt)
        except ProtocolError as exc:
            log.warning("bad message on the frames plane: %s", exc)
        except Exception:  # a bug here must not stop the frames plane
            log.exception("handling a frames-plane message failed")

    def _on_frame(self, parts: list[zmq.Frame], t: int) -> None:
        """A frame, read on the loop thread or a sync caller's; the frames lock is held."""
        try:
            frame = decode_frame(parts[1:], t)
            st = self._streams.get(frame.header.stream)
            if st is not None:
                st._deliver(frame)
        except ProtocolError as exc:
            log.warning("bad frame on the frames plane: %s", exc)
        except Exception:  # a bug here must not stop the frames plane (or raise into a caller's thread)
            log.exception("handling a frame failed")

    def _on_frames_event(self, evt: Any) -> None:
        if isinstance(evt, m.StreamClosed):
            st = self._streams.pop(evt.stream, None)
            if st is not None:
                st._closed(evt.reason)
        elif isinstance(evt, m.ServerBye):
            self._on_server_bye(evt.reason)
        elif isinstance(evt, (m.Ok, m.Error)):
            fut = self._pending.get(evt.rid)
            if fut is not None and not fut.done():
                fut.set_result(evt)
            elif isinstance(evt, m.Error):
                if evt.code == m.ErrorCode.UNAUTHORIZED and self.reconnect:
                    self._schedule_recover("frames socket not attached")
                else:
                    log.warning("server error on the frames plane: %s %s", evt.code.value, evt.message)

    async def _state_reader(self) -> None:
        while True:
            _topic, data = await self.state_sub.recv_multipart()
            try:
                msg = codec.decode_state(data)
            except ProtocolError as exc:
                log.warning("bad state message: %s", exc)
                continue
            if isinstance(msg, m.ServerBye):
                self._on_server_bye(msg.reason)
            elif isinstance(msg, m.StateHeartbeat):
                if msg.seq > self.state_seq:
                    await self._resnapshot()
            elif msg.seq <= self.state_seq:
                continue  # already in the snapshot
            elif msg.seq != self.state_seq + 1:
                await self._resnapshot()  # a gap: deltas were missed
            else:
                self._apply(msg)

    def _apply(self, msg: m.StateDelta | m.StateSnapshot) -> None:
        if isinstance(msg, m.StateSnapshot):
            self.state = dict(msg.values)
        else:
            self.state.update(msg.values)
            for k in msg.removed:
                self.state.pop(k, None)
        self.state_seq = msg.seq
        self.scene_version = msg.scene_version
        for cb in self.on_state:
            cb(msg)
        self._state_event.set()

    async def _resnapshot(self) -> None:
        self.resnapshots += 1
        self._apply(await self.get_state())

    async def _heartbeat(self) -> None:
        assert self.welcome is not None
        period = self.welcome.limits.heartbeat_ms / 1000
        while True:
            await asyncio.sleep(period)
            try:
                pong = await self.request(m.Ping(rid=0, t_client_ns=time.monotonic_ns()), timeout=period * 3)
            except Timeout:
                continue  # the server may be restarting; ZeroMQ reconnects by itself
            if not pong.session and self.reconnect:
                self._schedule_recover("server restarted")

    # -- recovery after a server restart ---------------------------------------------------------

    def _on_server_bye(self, reason: str) -> None:
        log.info("server said goodbye: %s", reason)
        with self._frames_lock:
            for st in self._streams.values():
                st.outstanding = 0

    def _schedule_recover(self, why: str) -> None:
        if self._closed:  # closing: a recovery started now would outlive the loop ("Task was destroyed")
            return
        if self._recovering is None or self._recovering.done():
            self._recovering = asyncio.create_task(self._recover(why))

    async def _recover(self, why: str) -> None:
        """Handshake again, re-attach, re-open every stream under its old object, re-send its last pose."""
        log.info("recovering session: %s", why)
        await self._handshake()
        await self._attach()
        old = list(self._streams.values())
        self._streams.clear()
        for st in old:
            opened = await self.request(st.open_request)
            with self._frames_lock:
                st.id, st.max_credits, st.outstanding = opened.stream, opened.max_credits, 0
                self._streams[st.id] = st
            if st.last_pose is not None:
                st.last_pose = msgspec.structs.replace(st.last_pose, stream=st.id)
                await self._send_frames(st.last_pose)
            await st.grant(1)
        if self.follow_state:
            await self._resnapshot()
