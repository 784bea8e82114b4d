"""Requests for a frame that is already rendering share that render: viewers at one camera, and every
stream re-rendered after a director's change, cost one render, not one each."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from bridge.client_sync import Client
from bridge.render.source import RenderJob, RenderResult
from bridge.render.testpattern import TestPatternSource
from bridge.server import ServerConfig, ServerThread
from bridge.world.scene import look_at

RENDER_S = 0.4
"""Long enough that requests sent one after another all arrive while the first render runs."""


class SlowSource:
    """The test pattern, slowed down and counted; fails on demand."""

    name = "slow-testpattern"

    def __init__(self) -> None:
        self.inner = TestPatternSource()
        self.renders = 0
        self.fail = False
        self.started = threading.Event()

    def render(self, job: RenderJob) -> RenderResult:
        self.renders += 1
        self.started.set()
        time.sleep(RENDER_S)
        if self.fail:
            raise RuntimeError("renderer fell over")
        return self.inner.render(job)

    def close(self) -> None:
        pass


@pytest.fixture
def slow() -> Iterator[tuple[ServerThread, SlowSource]]:
    made: list[SlowSource] = []

    def factory() -> SlowSource:
        made.append(SlowSource())
        return made[-1]

    srv = ServerThread(ServerConfig(port=0), source_factory=factory).start()
    try:
        yield srv, made[0]
    finally:
        srv.stop()


def _pose(x: float) -> np.ndarray:
    return look_at((x, 2.0, 6.0), (x, 0.0, 0.0))


def _stat(srv: ServerThread, name: str) -> Any:
    return srv.call(lambda s: s.stats[name])


def test_viewers_at_one_camera_share_one_render(slow) -> None:  # type: ignore[no-untyped-def]
    srv, source = slow
    clients = [Client(srv.endpoints["control"], name=f"viewer{i}", follow_state=False) for i in range(4)]
    try:
        streams = [c.open_stream(width=48, height=32) for c in clients]
        ids = [st.request(_pose(0.0), grant=1) for st in streams]
        frames = [st.next_frame(timeout=10) for st in streams]
        assert source.renders == 1, "four requests for the same frame rendered it more than once"
        assert _stat(srv, "shared_renders") == 3
        for st, pose_id, f in zip(streams, ids, frames, strict=True):
            assert (f.header.stream, f.pose_id) == (st.id, pose_id), "each viewer gets its own header"
            assert f.header.seq == 1
            t = f.header.times
            assert t.t_pose <= t.t_received <= t.t_render_start < t.t_render_end <= t.t_encode_end <= t.t_send
            assert f.latency_ms()["render"] > 0, "a shared frame still reports the render it waited for"
            np.testing.assert_array_equal(f.color, frames[0].color)
            np.testing.assert_array_equal(f.depth, frames[0].depth)

        # A different camera is a different frame: rendered, not shared.
        streams[0].request(_pose(1.0), grant=1)
        streams[1].request(_pose(0.0), grant=1)  # cached by now: no render either
        moved, same = streams[0].next_frame(timeout=10), streams[1].next_frame(timeout=10)
        assert source.renders == 2 and _stat(srv, "shared_renders") == 3
        assert not np.array_equal(moved.color, same.color)
        np.testing.assert_array_equal(same.color, frames[1].color)
    finally:
        for c in clients:
            c.close()


def test_a_directors_change_rerenders_a_shared_camera_once(slow) -> None:  # type: ignore[no-untyped-def]
    srv, source = slow
    director = Client(srv.endpoints["control"], name="director", role="director")
    viewers = [Client(srv.endpoints["control"], name=f"viewer{i}", follow_state=False) for i in range(3)]
    try:
        streams = [v.open_stream(width=48, height=32) for v in viewers]
        for st in streams:
            st.render(_pose(0.0), timeout=10)
            st.grant(1)
        before = source.renders
        director.set_params({"look": "noir"})
        frames = [st.next_frame(timeout=10) for st in streams]
        assert source.renders == before + 1, "every stream's re-render of one camera ran separately"
        assert all(f.header.look == "noir" for f in frames)
        assert len({f.header.stream for f in frames}) == 3
    finally:
        director.close()
        for v in viewers:
            v.close()


def test_a_failed_shared_render_reports_to_every_waiter_and_returns_their_credits(slow) -> None:  # type: ignore[no-untyped-def]
    srv, source = slow
    source.fail = True
    clients = [Client(srv.endpoints["control"], name=f"viewer{i}", follow_state=False) for i in range(3)]
    try:
        streams = [c.open_stream(width=48, height=32) for c in clients]
        for st in streams:
            st.request(_pose(0.0), grant=1)
        deadline = time.monotonic() + 10
        credits = None
        while time.monotonic() < deadline:
            credits = srv.call(lambda s: [s.streams[st.id].credits for st in streams])
            if credits == [1, 1, 1]:
                break
            time.sleep(0.05)
        assert credits == [1, 1, 1], f"credits not returned after the failed render: {credits}"
        assert source.renders == 1
        assert srv.call(lambda s: s._rendering) == {}, "a failed render left waiters behind"
        assert srv.call(lambda s: [s.streams[st.id].in_render for st in streams]) == [0, 0, 0]

        source.fail = False  # the next request renders again and is answered
        f = streams[0].render(_pose(0.0), timeout=10)
        assert f.color.shape == (32, 48, 4) and source.renders == 2
    finally:
        for c in clients:
            c.close()


def test_a_viewer_that_leaves_while_waiting_costs_the_others_nothing(slow) -> None:  # type: ignore[no-untyped-def]
    srv, source = slow
    stay = Client(srv.endpoints["control"], name="stays", follow_state=False)
    leave = Client(srv.endpoints["control"], name="leaves", follow_state=False)
    try:
        st_stay = stay.open_stream(width=48, height=32)
        st_leave = leave.open_stream(width=48, height=32)
        st_stay.request(_pose(0.0), grant=1)
        assert source.started.wait(5)
        st_leave.request(_pose(0.0), grant=1)
        deadline = time.monotonic() + 5
        while _stat(srv, "shared_renders") < 1:
            assert time.monotonic() < deadline, "the second request did not join the render"
            time.sleep(0.01)
        leave.close()  # gone before the shared render finishes
        f = st_stay.next_frame(timeout=10)
        assert f.header.stream == st_stay.id and source.renders == 1
        assert srv.call(lambda s: s._rendering) == {}
        assert srv.call(lambda s: [st.in_render for st in s.streams.values()]) == [0]
        assert st_stay.render(_pose(0.5), timeout=10).color is not None  # the server carries on
    finally:
        stay.close()
