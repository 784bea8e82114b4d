"""The asyncio server: owns the three sockets, sessions, the stream scheduler and shutdown.

One event loop owns every socket. Rendering and encoding run on the render thread (`RenderWorker`);
the loop only decodes requests, schedules the newest pose of each stream that holds a credit, and
sends finished frames zero-copy. Control requests are answered by `bridge.server.control`.

The frames plane (two small messages per frame in, one frame out) is the hot path, so its socket is a
plain ZeroMQ socket watched with `loop.add_reader`: each wake-up handles every waiting message with
non-blocking receives, and sends are direct non-blocking calls, with no future per message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast, overload

import zmq
import zmq.asyncio

from bridge.errors import ProtocolError
from bridge.protocol import codec
from bridge.protocol import messages as m
from bridge.render.source import FrameSource
from bridge.server import control, framing
from bridge.server.bookmarks import BookmarkService
from bridge.server.config import ServerConfig
from bridge.server.perspectives import PerspectiveService
from bridge.server.scenes import SceneService
from bridge.server.session import Session, Stream
from bridge.server.state import StateStore
from bridge.server.studio import StudioService
from bridge.server.worker import RenderWorker
from bridge.studio import PARAMS, FrameKey, frame_key_for_job, nbytes_of
from bridge.transport.security import KeysFile, ZapHandler, load_keys_file
from bridge.transport.sockets import (
    Heartbeat,
    SocketOptions,
    bind,
    configure,
    readable,
    recv_nowait,
    send_nowait,
)
from bridge.world.scene import Scene

__all__ = ["Server"]

log = logging.getLogger("vpbridge.server")
PIPELINE_DEPTH = 2
"""Render jobs in flight: one rendering while the next waits, so the thread never idles between frames."""
FRAMES_BATCH = 256
"""Frames-plane messages handled per loop wake-up before yielding to other callbacks (more are
handled on the next iteration)."""


class Server:
    """A vpbridge server. `await start()`, then `await wait_closed()`; `await stop()` from anywhere on the loop."""

    def __init__(
        self,
        config: ServerConfig,
        source_factory: Callable[[], FrameSource] | None = None,
        scene: Scene | None = None,
    ) -> None:
        config.validate()
        self.config = config
        self.limits = config.limits
        if source_factory is None:
            from bridge.render.testpattern import TestPatternSource

            source_factory = TestPatternSource
        self.keys: KeysFile | None = load_keys_file(config.keys_file) if config.keys_file else None
        self.worker = RenderWorker(source_factory)
        self.sessions: dict[bytes, Session] = {}
        """Sessions by control routing id."""
        self.by_token: dict[str, Session] = {}
        self.by_frames_id: dict[bytes, Session] = {}
        self.streams: dict[int, Stream] = {}
        self.state = StateStore(self._publish)
        self.scenes = SceneService(self.state, scene, self._switch_source)
        # A fresh history starts from the scene's own parameters; a restored one wins over them.
        self.studio = StudioService(self, {k: v for k, v in self.state.values.items() if k in PARAMS})
        self.studio.sync_from_head()
        self.bookmarks = BookmarkService(self)  # shared bookmarks: stored per scene, published in the state
        self.bookmarks.publish_current()
        self.scenes.on_new_scene = self.bookmarks.scene_switched
        self.perspectives = PerspectiveService(self)
        self.endpoints: dict[str, str] = {}
        self.stats = {
            "frames": 0,
            "dropped_hwm": 0,
            "errors": 0,
            "sessions_dropped": 0,
            "replaced": 0,
            "cache_hits": 0,
            "shared_renders": 0,
        }
        self._next_stream = 1
        self._in_flight = 0
        self._rendering: dict[FrameKey, list[_Waiter]] = {}
        """Frames being rendered, by cache key, with the other requests waiting for the same frame."""
        self._rr: list[int] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = asyncio.Event()
        self._stopping = False
        self._frames_wake_pending = False
        self._frames_draining = False
        self._frames_fd: int | None = None
        self._zap: ZapHandler | None = None
        self.ctx: zmq.asyncio.Context | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> dict[str, str]:
        await asyncio.to_thread(self.worker.start)
        self.ctx = zmq.asyncio.Context()
        hb = Heartbeat(self.limits.heartbeat_ms, self.limits.heartbeat_ms * 3, self.limits.heartbeat_ms * 6)
        if self.keys is not None:
            self._zap = ZapHandler(self.ctx, self.keys)
            self._zap.start()
        opts = SocketOptions(
            max_message_bytes=self.limits.hard_max_message_bytes,
            heartbeat=hb,
            router_mandatory=True,
            sndhwm=1000,
            rcvhwm=1000,
        )
        want = self.config.endpoints()
        try:
            self.control = self._socket(zmq.ROUTER, opts)
            # A plain (not asyncio) socket on the same context: see the module docstring.
            self.frames = self._socket(
                zmq.ROUTER,
                SocketOptions(
                    max_message_bytes=1 << 20, heartbeat=hb, router_mandatory=True, sndhwm=64, rcvhwm=1000
                ),
                sync=True,
            )
            self.pub = self._socket(zmq.PUB, SocketOptions(heartbeat=hb, sndhwm=10_000))
            self.endpoints = {
                "control": bind(self.control, want["control"]),
                "state": bind(self.pub, want["state"]),
                "frames": bind(self.frames, want["frames"]),
            }
        except BaseException:
            if self._zap is not None:
                await self._zap.close()
            self._close_sockets()
            await asyncio.to_thread(self.worker.stop)
            raise
        loop = asyncio.get_running_loop()
        self._frames_fd = fd = cast(int, self.frames.getsockopt(zmq.FD))
        loop.add_reader(fd, self._frames_readable)
        self._frames_wake()  # messages may have arrived before the reader was registered
        for coro, name in (
            (self._control_loop(), "control"),
            (self._housekeeping(), "housekeeping"),
            (self.perspectives.run(), "perspectives"),
        ):
            self._tasks.append(loop.create_task(coro, name=f"vpbridge-{name}"))
        log.info("serving on %s", self.endpoints)
        return self.endpoints

    @overload
    def _socket(self, kind: int, opts: SocketOptions) -> zmq.asyncio.Socket: ...
    @overload
    def _socket(self, kind: int, opts: SocketOptions, sync: Literal[True]) -> zmq.Socket[bytes]: ...

    def _socket(self, kind: int, opts: SocketOptions, sync: bool = False) -> Any:
        assert self.ctx is not None
        raw: zmq.Socket[Any] = self.ctx.socket(kind, cast(Any, zmq.Socket)) if sync else self.ctx.socket(kind)
        sock = configure(raw, opts)
        if self.keys is not None:
            sock.setsockopt(zmq.CURVE_SERVER, 1)
            sock.setsockopt_string(zmq.CURVE_SECRETKEY, self.keys.server_secret)
            sock.setsockopt_string(zmq.ZAP_DOMAIN, "vpbridge")
        return sock

    async def stop(self, reason: str = "server shutting down") -> None:
        """Tell every client, close every stream, stop the render thread and the sockets."""
        if self._stopping:
            await self._closed.wait()
            return
        self._stopping = True
        bye = codec.encode(m.ServerBye(reason=reason))
        for s in list(self.sessions.values()):
            for st in list(s.streams.values()):
                self._send_event(s, m.StreamClosed(stream=st.id, reason=reason))
            self._send_control(s.control_id, bye)
        _send_now(self.pub, [codec.STATE_TOPIC, bye])
        await asyncio.sleep(0.05)  # let the goodbyes leave before the sockets close
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._zap is not None:
            await self._zap.close()
        self._close_sockets()
        self.scenes.close()
        self.perspectives.close()
        await asyncio.to_thread(self.worker.stop)
        self.studio.close()
        self._closed.set()

    def _close_sockets(self) -> None:
        if self._frames_fd is not None:
            asyncio.get_running_loop().remove_reader(self._frames_fd)
            self._frames_fd = None
        for name in ("control", "frames", "pub"):
            sock = getattr(self, name, None)
            if sock is not None:
                sock.close(linger=0)
        if self.ctx is not None:
            self.ctx.term()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    # -- control plane --------------------------------------------------------------------------

    async def _control_loop(self) -> None:
        while True:
            frames = await self.control.recv_multipart(copy=False)
            ident = frames[0].bytes
            try:
                reply = self._handle_control(frames)
            except Exception as exc:  # a bug must not take the server down; the client still gets an answer
                log.exception("control request failed")
                reply = m.Error(
                    code=m.ErrorCode.INTERNAL,
                    message=f"internal error: {type(exc).__name__}",
                    hint="this is a server bug; the server keeps running",
                )
            if asyncio.iscoroutine(reply):  # slow answers (scene export) run as tasks: the loop goes on
                task = asyncio.get_running_loop().create_task(self._answer_later(ident, reply))
                self._tasks.append(task)
                task.add_done_callback(self._tasks.remove)
            elif reply is not None:
                self._send_control(ident, codec.encode(reply))

    async def _answer_later(self, ident: bytes, coro: Any) -> None:
        try:
            reply = await coro
        except Exception as exc:
            log.exception("control request failed")
            reply = m.Error(code=m.ErrorCode.INTERNAL, message=f"internal error: {type(exc).__name__}")
        self._send_control(ident, codec.encode(reply))

    def _handle_control(self, frames: list[zmq.Frame]) -> Any:
        if len(frames) != 2:
            self.stats["errors"] += 1
            return m.Error(
                code=m.ErrorCode.BAD_REQUEST,
                message=f"expected one message part, got {len(frames) - 1}",
                hint="send each control request as a single MessagePack frame",
            )
        body = frames[1].buffer
        if body.nbytes > self.limits.max_message_bytes:
            self.stats["errors"] += 1
            return m.Error(
                rid=codec.request_id_of(body[:4096]),
                code=m.ErrorCode.TOO_LARGE,
                message=f"request of {body.nbytes} bytes exceeds the limit of {self.limits.max_message_bytes}",
                hint="split the request; see Welcome.limits.max_message_bytes",
            )
        try:
            req = codec.decode_control_request(body)
        except ProtocolError as exc:
            self.stats["errors"] += 1
            return _error_reply(exc, body)
        user_key = _user_id(frames[1])
        return control.handle(self, frames[0].bytes, req, user_key)

    def _send_control(self, ident: bytes, body: bytes) -> None:
        exc = _send_now(self.control, [ident, body])
        if exc is not None:  # EHOSTUNREACH: the peer is gone; EAGAIN: it stopped reading
            session = self.sessions.get(ident)
            if session is not None and not self._stopping:
                log.info("control peer %s unreachable (%s); dropping its session", session.name, exc)
                self.drop_session(session, "unreachable")

    # -- sessions -------------------------------------------------------------------------------

    def add_session(self, session: Session) -> None:
        old = self.sessions.get(session.control_id)
        if old is not None:
            self.drop_session(old, "re-handshake")
        self.sessions[session.control_id] = session
        self.by_token[session.token] = session
        self.state.update(
            {f"presence.{session.token[:8]}": f"{session.name} ({session.role})"}, author=session.name
        )

    def drop_session(self, session: Session, why: str) -> None:
        if self.sessions.get(session.control_id) is not session:
            return
        for sid in list(session.streams):
            self.close_stream(session.streams[sid], why, notify=False)
        del self.sessions[session.control_id]
        self.by_token.pop(session.token, None)
        if session.frames_id is not None:
            self.by_frames_id.pop(session.frames_id, None)
        self.stats["sessions_dropped"] += 1
        if not self._stopping:
            gone = [f"presence.{session.token[:8]}", f"camera.{session.token[:8]}"]
            removed = tuple(k for k in gone if k in self.state.values)
            self.state.update({}, removed=removed, author=session.name)
            if self.studio.history.in_transaction(session.token):  # a drag left open: back to HEAD
                self.studio.publish(self.studio.history.abort(session.token), session.name)
        log.info("session %s (%s) closed: %s", session.name, session.role, why)

    def open_stream(self, session: Session, spec: framing.StreamSpec) -> Stream:
        st = Stream(self._next_stream, session, spec, self.limits.max_credits)
        self._next_stream += 1
        session.streams[st.id] = st
        self.streams[st.id] = st
        self._rr.append(st.id)
        return st

    def close_stream(self, st: Stream, reason: str, *, notify: bool) -> None:
        st.session.streams.pop(st.id, None)
        self.streams.pop(st.id, None)
        self.perspectives.forget(st.id)
        if st.id in self._rr:
            self._rr.remove(st.id)
        if notify:
            self._send_event(st.session, m.StreamClosed(stream=st.id, reason=reason))

    def _switch_source(self, scene: Scene) -> None:
        """Hand the new scene to the frame source on its own thread (GL resources live there)."""

        def switch(source: FrameSource) -> None:
            set_scene = getattr(source, "set_scene", None)
            if set_scene is not None:
                set_scene(scene)

        self.worker.submit(switch)

    def state_changed(self) -> None:
        """Live parameters changed: re-render every stream's last pose (unless a newer one waits)."""
        for st in self.streams.values():
            if st.pending is None and st.last_pose is not None:
                st.pending, st.t_pending = st.last_pose, time.monotonic_ns()
        self._pump()

    # -- frames plane ---------------------------------------------------------------------------

    def _frames_readable(self) -> None:
        """Handle every waiting frames-plane message (the socket's FD signalled, or a send may have
        taken its signal). ZeroMQ's FD is edge-like: it signals when the socket's state changes, not
        while messages wait, so this reads until EAGAIN (or a batch, then goes on next iteration)."""
        self._frames_wake_pending = False
        if self._frames_fd is None:
            return
        sock = self.frames
        self._frames_draining = True
        try:
            for _ in range(FRAMES_BATCH):
                frames = recv_nowait(sock)
                if frames is None:
                    return
                self._on_frames_message(frames)
        except zmq.ZMQError as exc:  # the socket closed under us (shutdown)
            log.debug("frames socket: %s", exc)
            return
        finally:
            self._frames_draining = False
        self._frames_wake()  # a full batch: more may wait

    def _frames_wake(self) -> None:
        """Run `_frames_readable` on the next loop iteration (once, however often it is asked)."""
        if not self._frames_wake_pending and self._frames_fd is not None:
            self._frames_wake_pending = True
            asyncio.get_running_loop().call_soon(self._frames_readable)

    def _on_frames_message(self, frames: list[zmq.Frame]) -> None:
        ident = frames[0].bytes
        try:
            reply = self._handle_frames(ident, frames)
        except Exception as exc:
            log.exception("frames request failed")
            reply = m.Error(code=m.ErrorCode.INTERNAL, message=f"internal error: {type(exc).__name__}")
        if reply is not None:
            self._send_frames([ident, codec.EVENT_TOPIC, codec.encode(reply)])

    def _send_frames(self, parts: list[Any], copy: bool = True) -> BaseException | None:
        """Send on the frames socket without waiting; returns the error instead of raising (EAGAIN: the
        peer's queue is full; EHOSTUNREACH: it is gone). A send may consume the socket's FD signal while
        requests wait, so unless the drain loop is running, check for waiting input and wake it."""
        sock = self.frames
        err: BaseException | None = None
        try:
            send_nowait(sock, parts, copy)
        except Exception as exc:  # returned, as pyzmq's futures did: the caller decides (drop, re-credit)
            err = exc
        if not self._frames_draining and not self._frames_wake_pending and not sock.closed and readable(sock):
            self._frames_wake()
        return err

    def _handle_frames(self, ident: bytes, frames: list[zmq.Frame]) -> Any:
        if len(frames) != 2:
            return m.Error(
                code=m.ErrorCode.BAD_REQUEST, message=f"expected one message part, got {len(frames) - 1}"
            )
        body = frames[1].buffer
        if body.nbytes > 65536:
            return m.Error(
                code=m.ErrorCode.TOO_LARGE,
                message=f"frames-plane message of {body.nbytes} bytes exceeds 65536",
            )
        try:
            req = codec.decode_frames_request(body)
        except ProtocolError as exc:
            self.stats["errors"] += 1
            return _error_reply(exc, body)
        if isinstance(req, m.Attach):
            session = self.by_token.get(req.session)
            if session is None:
                return m.Error(
                    rid=req.rid,
                    code=m.ErrorCode.UNAUTHORIZED,
                    message="unknown session token",
                    field="$.session",
                    hint="handshake on the control plane first (the server may have restarted)",
                )
            key = _user_id(frames[1])
            if self.keys is not None and key != session.key:
                return m.Error(
                    rid=req.rid, code=m.ErrorCode.FORBIDDEN, message="this key does not own that session"
                )
            if session.frames_id is not None:
                self.by_frames_id.pop(session.frames_id, None)
            session.frames_id = ident
            self.by_frames_id[ident] = session
            session.touch()
            return m.Ok(rid=req.rid, detail="attached")
        session = self.by_frames_id.get(ident)
        if session is None:
            return m.Error(
                rid=getattr(req, "pose_id", 0),
                code=m.ErrorCode.UNAUTHORIZED,
                message="frames socket not attached to a session",
                hint="send Attach with the session token from Welcome (the server may have restarted)",
            )
        session.touch()
        st = session.streams.get(req.stream)
        if st is None:
            return m.Error(
                rid=getattr(req, "pose_id", 0),
                code=m.ErrorCode.NOT_FOUND,
                message=f"stream {req.stream} is not open in this session",
                field="$.stream",
                hint="open one with OpenStream on the control plane",
            )
        if isinstance(req, m.Credit):
            st.credits = min(st.max_credits, st.credits + req.n)
            st.starved_since = None
        else:
            if req.credits:  # folded credit (1.1): exactly as a Credit message just before the pose
                st.credits = min(st.max_credits, st.credits + req.credits)
                st.starved_since = None
            err = control.check_pose(self, st, req)
            if err is not None:
                return err
            self.perspectives.client_pose(st)  # the client takes over from a perspective drive
            if st.pending is not None:
                st.replaced += 1
                self.stats["replaced"] += 1
            st.pending, st.t_pending = req, time.monotonic_ns()
            if st.credits == 0 and st.starved_since is None:
                st.starved_since = time.monotonic()
        self._pump()
        return None

    def _send_event(self, session: Session, event: Any) -> None:
        if session.frames_id is not None:
            self._send_frames([session.frames_id, codec.EVENT_TOPIC, codec.encode(event)])

    # -- scheduling and sending frames ----------------------------------------------------------

    def _pump(self) -> None:
        """Dispatch ready streams until the pipeline is full. Called synchronously whenever a pose, a credit,
        a finished frame or a state change arrives, so a pose that finds a credit starts rendering at once."""
        while self._in_flight < PIPELINE_DEPTH and not self._stopping:
            st = self._next_ready()
            if st is None:
                return
            self._dispatch(st)

    def _next_ready(self) -> Stream | None:
        """Round-robin over streams holding both a pose and a credit, so one busy client cannot starve others."""
        for i, sid in enumerate(self._rr):
            st = self.streams[sid]
            if st.pending is not None and st.credits > 0 and st.session.frames_id is not None:
                self._rr.append(self._rr.pop(i))
                return st
        return None

    def _dispatch(self, st: Stream) -> None:
        req, t_received = st.pending, st.t_pending
        assert req is not None
        st.pending, st.credits, st.last_pose = None, st.credits - 1, req
        st.seq += 1
        seq = st.seq
        tag = self.perspectives.tag(st, req)
        # The cache key depends only on the request's camera fields, the stream's (fixed) settings and
        # the shared state (scene version and parameters; every change bumps its seq). A stream that asks
        # for the same view again skips building the job and hashing the pose: the per-frame cost that
        # matters when frames come from the cache.
        memo_in = (
            req.T_world_camera,
            req.fov,
            req.width,
            req.height,
            req.near,
            req.far,
            req.color,
            req.depth,
            req.eyes,
            self.state.seq,
        )
        fj: framing.FrameJob | None = None
        memo = st.key_memo
        if memo is not None and memo[0] == memo_in:
            key = memo[1]
        else:
            fj = self._frame_job(st, req, t_received, tag)
            key = self._cache_key(fj)
            st.key_memo = (memo_in, key)
        cached = self.studio.cache.get(key) if key is not None else None
        if cached is not None:  # same scene, parameters, pose and size: send the stored frame again
            self.stats["cache_hits"] += 1
            self._send_stored(st, seq, req, t_received, tag, *cached, shared=False)
            return
        st.in_render += 1
        if key is not None:
            waiters = self._rendering.get(key)
            if waiters is not None:
                # The same frame is rendering for another request (viewers at one camera, every stream
                # re-rendered after a state change): share it rather than render it again.
                self.stats["shared_renders"] += 1
                waiters.append(_Waiter(st, seq, req, t_received, tag))
                return
            self._rendering[key] = []
        if fj is None:
            fj = self._frame_job(st, req, t_received, tag)
        cache = self.studio.cache

        def render(source: FrameSource) -> tuple[m.FrameHeader, list[Any]]:
            header, parts = framing.encode_frame(fj, source.render(fj.job), seq)
            if key is not None:
                cache.put(key, (header, parts), nbytes_of(parts))
            return header, parts

        self._in_flight += 1
        fut = self.worker.submit(render)
        fut.add_done_callback(lambda f: self._deliver(st, f, key))

    def _frame_job(
        self, st: Stream, req: m.PoseRequest, t_received: int, tag: tuple[str, float] | None
    ) -> framing.FrameJob:
        fj = framing.build_job(st.spec, req, self.state.render_params(), t_received)
        fj.stream = st.id
        if tag is not None:
            fj.perspective, fj.t_path = tag
        return fj

    def _cache_key(self, fj: framing.FrameJob) -> FrameKey | None:
        if self.studio.cache.max_bytes == 0:
            return None
        return frame_key_for_job(
            fj.job,
            scene_version=self.state.scene_version,
            params_hash=self.studio.render_hash(),
            encodings=(fj.color, fj.depth, fj.ids),
            extra=(fj.jpeg_quality,),
        )

    def _deliver(self, st: Stream, fut: asyncio.Future[Any], key: FrameKey | None = None) -> None:
        """A render job finished (on the loop): send its frame to the stream that asked and to every
        request that waited for the same frame, then fill the freed pipeline slot."""
        self._in_flight -= 1
        st.in_render -= 1
        waiters = self._rendering.pop(key, []) if key is not None else []
        if not fut.cancelled():
            self._send_frame(st, fut)
        for w in waiters:
            w.stream.in_render -= 1
            if fut.cancelled():
                continue
            if fut.exception() is not None:
                self._send_frame(w.stream, fut)  # the same error, and the credit back
            else:
                self._send_stored(w.stream, w.seq, w.req, w.t_received, w.tag, *fut.result(), shared=True)
        self._pump()

    def _send_stored(
        self,
        st: Stream,
        seq: int,
        req: m.PoseRequest,
        t_received: int,
        tag: tuple[str, float] | None,
        header: m.FrameHeader,
        parts: list[Any],
        *,
        shared: bool,
    ) -> None:
        """Send a frame made for another request (a cache hit, or a render this one waited on) under
        this request's own header: stream, seq, pose id, times, perspective."""
        perspective, t_path = tag if tag is not None else ("", 0.0)
        header = framing.restamp(
            header,
            stream=st.id,
            seq=seq,
            pose_id=req.pose_id,
            t_pose=req.t_pose_ns,
            t_received=t_received,
            perspective=perspective,
            t_path=t_path,
            shared=shared,
        )
        self._send_result(st, header, parts, stamped=True)

    def _send_frame(self, st: Stream, fut: asyncio.Future[Any]) -> None:
        exc = fut.exception()
        session = st.session
        if exc is not None:
            st.credits = min(st.max_credits, st.credits + 1)
            self._send_event(
                session,
                m.Error(
                    rid=st.last_pose.pose_id if st.last_pose else 0,
                    code=m.ErrorCode.INTERNAL,
                    message=f"render failed: {exc}",
                ),
            )
            return
        header, parts = fut.result()
        self._send_result(st, header, parts)

    def _send_result(
        self, st: Stream, header: m.FrameHeader, parts: list[Any], *, stamped: bool = False
    ) -> None:
        """Send a frame; `stamped`: its header already carries the send time (`framing.restamp`)."""
        session = st.session
        if st.id not in self.streams or session.frames_id is None:
            return  # closed while rendering
        head = codec.encode(header) if stamped else framing.header_bytes_with_send_time(header)
        msg = [session.frames_id, codec.FRAME_TOPIC, head, *parts]
        exc = self._send_frames(msg, copy=False)
        if exc is None:
            self.stats["frames"] += 1
        elif isinstance(exc, zmq.Again):
            self.stats["dropped_hwm"] += 1  # the client stopped reading; give the credit back
            st.credits = min(st.max_credits, st.credits + 1)
        else:
            self.drop_session(session, "frames peer unreachable")

    # -- housekeeping ---------------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        period = min(0.25, self.limits.heartbeat_ms / 4000)
        last_hugz = 0.0
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            if (now - last_hugz) * 1000 >= self.limits.heartbeat_ms:
                last_hugz = now
                hb = m.StateHeartbeat(seq=self.state.seq, scene_version=self.state.scene_version)
                _send_now(self.pub, [codec.STATE_TOPIC, codec.encode(hb)])
            for s in list(self.sessions.values()):
                if (now - s.last_seen) * 1000 > self.limits.session_timeout_ms:
                    self.drop_session(s, f"silent for {self.limits.session_timeout_ms / 1000:g} s")
                    continue
                for st in list(s.streams.values()):
                    if (
                        st.starved_since is not None
                        and st.credits == 0
                        and (now - st.starved_since) * 1000 > self.limits.stall_timeout_ms
                    ):
                        self.close_stream(
                            st,
                            f"no credit granted for {self.limits.stall_timeout_ms / 1000:g} s",
                            notify=True,
                        )

    def _publish(self, delta: m.StateDelta) -> None:
        if getattr(self, "pub", None) is not None and not self._stopping:
            _send_now(self.pub, [codec.STATE_TOPIC, codec.encode(delta)])


@dataclass(slots=True)
class _Waiter:
    """A request whose frame another stream's render is producing (same cache key)."""

    stream: Stream
    seq: int
    req: m.PoseRequest
    t_received: int
    tag: tuple[str, float] | None


def _error_reply(exc: ProtocolError, body: memoryview) -> m.Error:
    """The typed reply to an undecodable request, matched to its rid when one can be read."""
    return m.Error(
        rid=codec.request_id_of(body),
        code=m.ErrorCode(exc.code),
        message=exc.message,
        field=exc.field,
        hint=exc.hint,
    )


def _send_now(sock: zmq.asyncio.Socket, parts: list[Any], copy: bool = True) -> BaseException | None:
    """Send without waiting (the loop never blocks on a peer); returns the error instead of raising."""
    fut = cast("asyncio.Future[Any]", sock.send_multipart(parts, flags=zmq.NOBLOCK, copy=copy))
    if fut.done():
        return fut.exception()
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
    return None


def _user_id(frame: zmq.Frame) -> str:
    """The ZAP user id of the connection (the client's Z85 public key when CURVE is on), or ''."""
    try:
        uid = frame.get("User-Id")
    except zmq.ZMQError:
        return ""
    return uid if isinstance(uid, str) else ""
