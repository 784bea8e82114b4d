"""The sync client's per-frame path: requests and frames go through the caller's thread (no hop to the
client's event-loop thread and back), while the loop thread keeps the session, state and events."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import pytest

from bridge.client_sync import Client
from bridge.errors import Timeout, TransportError


def _pose(x: float) -> np.ndarray:
    p = np.eye(4)
    p[0, 3], p[1, 3], p[2, 3] = x, 1.7, 5.0
    return p


def _block_loop(c: Client, seconds: float) -> threading.Event:
    """Keep the client's event-loop thread busy (a blocking call on it) for `seconds`."""
    started = threading.Event()

    def hog() -> None:
        started.set()
        time.sleep(seconds)

    c._lt.loop.call_soon_threadsafe(hog)
    assert started.wait(5)
    return started


def test_frames_flow_while_the_loop_thread_is_busy(make_server: Any) -> None:
    """Per-frame calls never wait on the loop thread: 20 renders complete while it is blocked."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.render(_pose(0.0))
        _block_loop(c, 3.0)
        t0 = time.monotonic()
        frames = [st.render(_pose(0.01 * i), timeout=2.0) for i in range(20)]
        assert time.monotonic() - t0 < 2.5  # the loop is still blocked: these came through this thread
        assert [f.pose_id for f in frames] == sorted({f.pose_id for f in frames})
        assert all(f.color is not None and f.color.shape == (24, 32, 4) for f in frames)
        # different poses give different pixels: each frame answers its own request
        assert not np.array_equal(frames[0].color, frames[-1].color)


def test_pipelined_credits_keep_flow_control(make_server: Any) -> None:
    """Credits granted from the caller's thread bound frames in flight exactly as with the async client."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.grant(3)
        assert st.outstanding == 3
        ids = [st.request(_pose(0.1 * i)) for i in range(3)]
        got = [st.next_frame(5.0) for _ in range(3)]
        assert [f.pose_id for f in got] == ids
        assert st.outstanding == 0
        st.request(_pose(1.0))  # no credit left: no frame may come
        with pytest.raises(Timeout, match="no frame on stream"):
            st.next_frame(0.5)
        st.grant(1)
        assert st.next_frame(5.0).pose_id == ids[-1] + 1


def test_control_calls_interleave_with_streaming(make_server: Any) -> None:
    srv = make_server()
    with Client(srv.endpoints["control"], role="director") as c:
        st = c.open_stream(width=32, height=24)
        for i in range(10):
            st.render(_pose(0.05 * i))
            c.set_params({"exposure_ev": 0.1 * i})
        c.wait_state(lambda s: abs(float(s.get("exposure_ev", -1)) - 0.9) < 1e-9, 5.0)
        assert c.ping() < 5.0


def test_streams_in_two_threads_get_their_own_frames(make_server: Any) -> None:
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        streams = [c.open_stream(width=32, height=24), c.open_stream(width=16, height=16)]
        got: dict[int, list[Any]] = {0: [], 1: []}
        errors: list[BaseException] = []

        def run(k: int) -> None:
            try:
                for i in range(30):
                    got[k].append(streams[k].render(_pose(0.02 * i + k), timeout=5.0))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        assert {f.header.stream for f in got[0]} == {streams[0].id}
        assert {f.header.stream for f in got[1]} == {streams[1].id}
        assert {f.color.shape for f in got[0]} == {(24, 32, 4)}
        assert {f.color.shape for f in got[1]} == {(16, 16, 4)}


def test_two_threads_on_one_stream_share_its_frames_without_a_lost_wake_up(make_server: Any) -> None:
    """Two threads blocked in `next_frame` on the same stream: frames arriving together go one to each at
    once, and none waits in the inbox while a thread sleeps (a wake-up that stood for two frames, or that
    the other thread drained, used to leave the second waiter asleep until its timeout)."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.render(_pose(0.0))
        lags: list[float] = []
        taken: list[int] = []
        errors: list[BaseException] = []
        stop = threading.Event()
        lock = threading.Lock()

        def consume() -> None:
            while not stop.is_set():
                try:
                    f = st.next_frame(timeout=0.5)
                except Timeout:
                    continue
                except BaseException as exc:
                    errors.append(exc)
                    return
                with lock:
                    lags.append((time.monotonic_ns() - f.t_received_ns) / 1e9)
                    taken.append(f.pose_id)
                time.sleep(0.25)  # "work": the other thread must take the next frame meanwhile

        threads = [threading.Thread(target=consume) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            sent: list[int] = []
            for burst in range(12):
                time.sleep(0.35)  # both threads back in `next_frame`
                sent += [st.request(_pose(0.01 * burst + 0.001 * k), grant=1) for k in range(2)]
            deadline = time.monotonic() + 10
            while len(taken) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        assert not errors
        assert sorted(taken) == sent  # every frame reached a thread, once
        # Each frame was taken by a thread within well under one "work" sleep of its arrival.
        assert max(lags) < 0.2, sorted(lags)[-4:]


def _waiting_next_frame(st: Any) -> tuple[threading.Thread, list[BaseException]]:
    """A thread blocked in `st.next_frame(30)` (after 0.3 s), and where its exception will land."""
    out: list[BaseException] = []

    def wait() -> None:
        try:
            st.next_frame(30.0)
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    return t, out


def test_a_waiting_next_frame_wakes_when_its_stream_closes(make_server: Any) -> None:
    """A caller blocked in `next_frame` learns of the close at once, not at its timeout."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=32, height=24)
        st.render(_pose(0.0))
        t, out = _waiting_next_frame(st)
        t0 = time.monotonic()
        srv.stop("maintenance")  # the server closes every stream and says goodbye
        t.join(10)
        assert not t.is_alive()
        assert time.monotonic() - t0 < 10
        assert len(out) == 1 and isinstance(out[0], TransportError)
        assert "closed" in str(out[0])


def test_a_waiting_next_frame_wakes_when_the_client_closes(make_server: Any) -> None:
    srv = make_server()
    c = Client(srv.endpoints["control"], follow_state=False)
    st = c.open_stream(width=32, height=24)
    t, out = _waiting_next_frame(st)
    c.close()
    t.join(10)
    assert not t.is_alive()
    assert len(out) == 1 and isinstance(out[0], TransportError)
    with pytest.raises(TransportError, match="closed"):
        st.request(_pose(0.0))


def test_stream_closed_while_nobody_reads_frames_is_seen(make_server: Any) -> None:
    """With no caller reading the frames socket, the loop thread still notices a close by the server."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False, reconnect=False) as c:
        st = c.open_stream(width=32, height=24)
        st.render(_pose(0.0))
        srv.stop("maintenance")
        deadline = time.monotonic() + 5
        while st.inner.closed_reason is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert st.inner.closed_reason is not None
        with pytest.raises(TransportError, match="closed"):
            st.request(_pose(0.0))


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
def test_closing_streams_frees_their_wait_sockets(make_server: Any) -> None:
    """A client that opens and closes streams (a resize, a new lens) does not pile up descriptors."""
    srv = make_server()
    with Client(srv.endpoints["control"], follow_state=False) as c:
        st = c.open_stream(width=16, height=16)
        st.render(_pose(0.0))
        st.close()
        before = _open_fds()
        for i in range(40):
            st = c.open_stream(width=16, height=16)
            st.render(_pose(0.01 * i))  # waits in next_frame: makes the stream's wait sockets
            st.close()
        assert _open_fds() <= before + 3


def test_credits_of_a_failed_send_are_given_back(make_server: Any) -> None:
    srv = make_server()
    c = Client(srv.endpoints["control"], follow_state=False)
    st = c.open_stream(width=16, height=16)
    st.render(_pose(0.0))
    assert st.outstanding == 0
    c.close()
    with pytest.raises(TransportError, match="closed"):
        st.request(_pose(0.1), grant=2)
    with pytest.raises(TransportError, match="closed"):
        st.grant(3)
    assert st.outstanding == 0


def test_a_closing_client_starts_no_recovery(make_server: Any) -> None:
    """A recovery asked for while the client closes (a heartbeat or frames-plane reply racing `close()`)
    would outlive the stopped loop: it is not started."""
    srv = make_server()
    c = Client(srv.endpoints["control"], follow_state=False)
    inner = c.inner

    def ask_while_closing() -> bool:
        inner._closed = True  # what `close()` sets first
        inner._schedule_recover("test")
        return inner._recovering is None

    try:
        assert c._lt.run(_call(ask_while_closing), 5.0)
    finally:
        inner._closed = False
        c.close()
    assert inner._recovering is None


async def _call(fn: Any) -> Any:
    return fn()
